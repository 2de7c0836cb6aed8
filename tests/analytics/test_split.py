"""Per-click commissions spread over a batch's clicks: every dimension of every bucket adds up
to the same amount, to the minor unit, even for a batch across an hour boundary."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from analytics.models import ALL_AFFILIATES
from analytics.rollups import ClickAnalytics, LinkFacts, split_amount

H = 1_774_000_800  # an hour's start (seconds)


@dataclass
class Paid:
    beneficiary_id: int
    program_id: int
    amount: Decimal
    currency: str = "EUR"


def test_split_amount_is_exact_and_proportional():
    assert split_amount(Decimal("1.00"), [1, 1, 1], "EUR") == [
        Decimal("0.34"),
        Decimal("0.33"),
        Decimal("0.33"),
    ]
    assert split_amount(Decimal("7"), [2, 1], "JPY") == [Decimal("5"), Decimal("2")]
    assert split_amount(Decimal("0.50"), [0, 0], "EUR") == [Decimal(0), Decimal(0)]


def test_every_dimension_of_every_bucket_gets_the_same_share():
    links = {
        1: LinkFacts(10, 5, "product:1", "EUR"),
        2: LinkFacts(10, 5, "", "EUR"),
        3: LinkFacts(11, 5, "", "EUR"),
    }
    analytics = ClickAnalytics(links)
    analytics.combos = {
        (H, 1, "FR", "mobile", "Safari", "t.co"): [3, 2],
        (H, 2, "MA", "desktop", "Chrome", ""): [1, 1],
        (H + 3600, 1, "FR", "desktop", "Chrome", "www.google.com"): [2, 2],
        (H + 3600, 2, "", "tablet", "Chrome", "mail.google.com"): [5, 0],
        (H, 3, "US", "mobile", "Chrome", ""): [9, 9],  # another affiliate: not paid by this commission
    }

    batch = analytics.commission_rows([Paid(beneficiary_id=10, program_id=5, amount=Decimal("1.01"))])

    totals: dict[tuple[str, str, int, int], Decimal] = defaultdict(Decimal)
    for (granularity, dimension, bucket, _, affiliate, _, _), row in batch._rows.items():
        totals[(granularity, dimension, bucket, affiliate)] += row[6]
    hours = {key: amount for key, amount in totals.items() if key[0] == "hour"}
    assert {(d, b, a) for (_, d, b, a) in hours} == {
        (dimension, bucket, affiliate)
        for dimension in ("all", "link", "country", "device", "browser", "source")
        for bucket in (H, H + 3600)
        for affiliate in (10, ALL_AFFILIATES)
        if not (dimension == "link" and affiliate == ALL_AFFILIATES)
    }
    # 3 unique clicks in the first hour, 2 in the second: 0.61 and 0.40, in every dimension.
    assert {(b, amount) for (_, _, b, _), amount in hours.items()} == {
        (H, Decimal("0.61")),
        (H + 3600, Decimal("0.40")),
    }
    assert sum(
        amount for (g, d, _, a), amount in totals.items() if g == "day" and d == "country" and a == 10
    ) == Decimal("1.01")
