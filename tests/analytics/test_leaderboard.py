"""The leaderboard: ranking by earnings and by unique clicks, periods, opt-out, masking, and a
constant number of queries."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context
from hypothesis import assume, example, given
from hypothesis import strategies as st

from affiliation.models import Affiliate, Commission
from affiliation.services import (
    affiliate_decide,
    affiliate_set_leaderboard_opt_out,
    conversion_record,
    conversion_refund,
    link_create,
)
from analytics.leaderboard import leaderboard, mask_email, mask_name
from analytics.rollups import EventValues, RollupBatch, epoch_seconds
from tests.engine import make_affiliate, make_click, make_program

_orders = itertools.count(1)


@pytest.fixture
def in_brand_a(brand_a):
    with tenant_context(brand_a):
        yield brand_a


@pytest.fixture
def program(in_brand_a):
    """20 % to the seller, no cascade: earnings are a fifth of the sales."""
    return make_program(cascade_rates=[])


def member(brand, program, full_name="", email_name=None) -> Affiliate:
    affiliate = make_affiliate(brand, program)
    affiliate.user.full_name = full_name
    affiliate.user.save(update_fields=["full_name"])
    return affiliate


def sell(affiliate: Affiliate, amount: str, *, age: dt.timedelta | None = None) -> str:
    order_id = f"lb-{next(_orders)}"
    result = conversion_record(
        source="postback",
        order_id=order_id,
        amount=amount,
        currency="EUR",
        click_id=str(make_click(affiliate).id),
    )
    if age is not None:
        Commission.objects.filter(conversion=result.conversion).update(created_at=timezone.now() - age)
    return order_id


def clicks(
    affiliate: Affiliate, *, unique: int, raw: int | None = None, age: dt.timedelta = dt.timedelta(hours=1)
) -> None:
    """Clicks counted in the click rollup (hour and day rows, every dimension), ``age`` ago."""
    link = affiliate.links.first() or link_create(affiliate=affiliate)
    batch = RollupBatch()
    batch.add(
        epoch_seconds(timezone.now() - age),
        EventValues(affiliate.program_id, affiliate.pk, link.offer_ref, "EUR", link=str(link.pk)),
        clicks=unique if raw is None else raw,
        unique_clicks=unique,
    )
    with connection.cursor() as cursor:
        batch.write(cursor)


def board(program, metric="earnings", **kwargs):
    return [
        (entry.rank, entry.affiliate_id, entry.value)
        for entry in leaderboard(program=program, metric=metric, **kwargs)
    ]


# --- earnings --------------------------------------------------------------------------------


def test_earnings_rank_best_first_with_ties_broken_by_who_joined_first(in_brand_a, program):
    first, second, third, _fourth = (member(in_brand_a, program) for _ in range(4))
    sell(first, "50.00")  # 10.00
    sell(second, "100.00")  # 20.00
    sell(third, "40.00")
    sell(third, "10.00")  # 10.00 in two sales: ties with the first
    # fourth earned nothing: not on the board

    assert board(program) == [
        (1, second.pk, Decimal("20.00")),
        (2, first.pk, Decimal("10.00")),
        (3, third.pk, Decimal("10.00")),
    ]
    assert board(program, limit=2) == board(program)[:2]


def test_earnings_are_net_of_refunds_and_wholly_reversed_ones_do_not_count(in_brand_a, program):
    partly, wholly, steady = (member(in_brand_a, program) for _ in range(3))
    conversion_refund(source="postback", order_id=sell(partly, "100.00"), refund_id="r", amount="75.00")
    conversion_refund(source="postback", order_id=sell(wholly, "500.00"), refund_id="r")
    sell(steady, "30.00")

    assert board(program) == [(1, steady.pk, Decimal("6.00")), (2, partly.pk, Decimal("5.00"))]


def test_cascade_earnings_count_for_the_referrer(in_brand_a):
    program = make_program(cascade_rates=[Decimal(10)])
    referrer = make_affiliate(in_brand_a, program)
    seller = make_affiliate(in_brand_a, program, referrer=referrer)

    sell(seller, "100.00")

    assert board(program) == [(1, seller.pk, Decimal("20.00")), (2, referrer.pk, Decimal("10.00"))]


@pytest.mark.parametrize(
    ("period_days", "expected"),
    [
        (7, ["recent"]),
        (30, ["month", "recent"]),
        (90, ["month", "quarter", "recent"]),
        (None, ["old", "month", "quarter", "recent"]),
    ],
)
def test_periods_count_what_was_earned_in_them(in_brand_a, program, period_days, expected):
    affiliates = {name: member(in_brand_a, program) for name in ("recent", "month", "quarter", "old")}
    sell(affiliates["recent"], "10.00", age=dt.timedelta(days=2))
    sell(affiliates["month"], "20.00", age=dt.timedelta(days=20))
    sell(affiliates["quarter"], "15.00", age=dt.timedelta(days=80))
    sell(affiliates["old"], "100.00", age=dt.timedelta(days=400))
    names = {affiliate.pk: name for name, affiliate in affiliates.items()}

    ranked = [names[affiliate_id] for _, affiliate_id, _ in board(program, period_days=period_days)]

    assert ranked == expected


def test_opted_out_and_unapproved_affiliates_are_left_out(in_brand_a, program):
    shy, suspended, shown = (member(in_brand_a, program) for _ in range(3))
    for affiliate in (shy, suspended, shown):
        sell(affiliate, "10.00")
        clicks(affiliate, unique=5)
    affiliate_set_leaderboard_opt_out(affiliate=shy, opt_out=True)
    affiliate_decide(actor=None, affiliate=suspended, approve=False)

    assert [row[1] for row in board(program)] == [shown.pk]
    assert [row[1] for row in board(program, "clicks")] == [shown.pk]
    assert (
        leaderboard(program=program, metric="earnings", viewer_affiliate_id=shy.pk)[-1].affiliate_id
        == shown.pk
    )


def test_another_programs_earnings_do_not_count(in_brand_a, program):
    other_program = make_program(cascade_rates=[])
    ours, theirs = member(in_brand_a, program), member(in_brand_a, other_program)
    sell(ours, "10.00")
    sell(theirs, "1000.00")

    assert board(program) == [(1, ours.pk, Decimal("2.00"))]


# --- clicks ----------------------------------------------------------------------------------


def test_clicks_rank_by_unique_clicks_not_raw_ones(in_brand_a, program):
    reloader, popular, quiet = (member(in_brand_a, program) for _ in range(3))
    clicks(reloader, unique=3, raw=500)
    clicks(popular, unique=40, raw=45)
    clicks(popular, unique=2, age=dt.timedelta(hours=5))
    clicks(quiet, unique=0, raw=4)

    assert board(program, "clicks") == [(1, popular.pk, 42), (2, reloader.pk, 3)]
    assert all(isinstance(value, int) for *_, value in board(program, "clicks"))


def test_click_periods_follow_the_rollup_hours(in_brand_a, program):
    week, month = member(in_brand_a, program), member(in_brand_a, program)
    clicks(week, unique=1, age=dt.timedelta(days=6, hours=23))
    clicks(month, unique=9, age=dt.timedelta(days=8))

    assert board(program, "clicks", period_days=7) == [(1, week.pk, 1)]
    assert board(program, "clicks", period_days=30) == [(1, month.pk, 9), (2, week.pk, 1)]


# --- the viewer and masking ------------------------------------------------------------------


def test_the_viewer_is_flagged_and_appended_with_their_rank_when_below_the_board(in_brand_a, program):
    affiliates = [member(in_brand_a, program) for _ in range(5)]
    for position, affiliate in enumerate(affiliates):
        sell(affiliate, f"{100 - position * 10}.00")
    top, last = affiliates[0], affiliates[4]

    on_board = leaderboard(program=program, metric="earnings", limit=3, viewer_affiliate_id=top.pk)
    below = leaderboard(program=program, metric="earnings", limit=3, viewer_affiliate_id=last.pk)

    assert [(e.rank, e.is_viewer) for e in on_board] == [(1, True), (2, False), (3, False)]
    assert [(e.rank, e.affiliate_id, e.is_viewer) for e in below] == [
        (1, top.pk, False),
        (2, affiliates[1].pk, False),
        (3, affiliates[2].pk, False),
        (5, last.pk, True),
    ]


def test_names_and_emails_are_masked(in_brand_a, program):
    named = member(in_brand_a, program, full_name="Jane van Doe")
    anonymous = member(in_brand_a, program)
    sell(named, "20.00")
    sell(anonymous, "10.00")

    first, second = leaderboard(program=program, metric="earnings")

    assert first.display_name == "Jane D."
    assert first.masked_email == "u***@e***.com"  # user…@example.com (tests/conftest.py)
    assert second.display_name == "u***"
    assert named.user.email not in repr(first)
    assert "van Doe" not in repr(first)


@pytest.mark.parametrize(
    ("email", "masked"),
    [
        ("jane.doe@gmail.com", "j***@g***.com"),
        ("Jane@Mail.Example.co.uk", "j***@m***.uk"),
        ("a@b.io", "a***@b***.io"),
        ("root@localhost", "r***@l***"),
        ("com@com.com", "c***@c***"),  # the suffix would give the name away
        ("not-an-email", "***"),
        ("", "***"),
    ],
)
def test_mask_email(email, masked):
    assert mask_email(email) == masked


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("Jane Doe", "Jane D."),
        ("  jean  paul sartre ", "jean S."),
        ("Jane", "Jane"),
        ("", ""),
        ("Élodie émond", "Élodie É."),
    ],
)
def test_mask_name(name, masked):
    assert mask_name(name) == masked


@given(email=st.emails())
@example(email="om@x.com")
@example(email="jane@jane.jane")
def test_a_masked_email_never_shows_the_local_part_or_the_domain_label(email):
    """Local parts of asterisks are left out: ``***`` is the mask itself."""
    local, _, domain = email.lower().rpartition("@")
    label = domain.split(".")[0]
    assume("*" not in local and "*" not in label)

    masked = mask_email(email)

    assert "***" in masked
    for part in (local, label):
        if len(part) > 1:
            assert part not in masked.lower()


# --- queries ---------------------------------------------------------------------------------


@pytest.mark.parametrize("metric", ["earnings", "clicks"])
def test_the_number_of_queries_does_not_grow_with_the_affiliates(
    in_brand_a, program, django_assert_num_queries, metric
):
    affiliates = []

    def grow(count: int) -> None:
        for _ in range(count):
            affiliate = member(in_brand_a, program, full_name="Some One")
            sell(affiliate, "10.00")
            clicks(affiliate, unique=3)
            affiliates.append(affiliate)

    grow(3)
    with django_assert_num_queries(1):
        small = leaderboard(program=program, metric=metric, period_days=30)
    with django_assert_num_queries(3):
        leaderboard(program=program, metric=metric, limit=1, viewer_affiliate_id=affiliates[-1].pk)
    grow(12)
    with django_assert_num_queries(1):
        large = leaderboard(program=program, metric=metric, period_days=30)
    with django_assert_num_queries(3):
        viewer_row = leaderboard(
            program=program, metric=metric, limit=1, viewer_affiliate_id=affiliates[-1].pk
        )[-1]

    assert (len(small), len(large)) == (3, 10)
    assert (viewer_row.rank, viewer_row.is_viewer) == (15, True)


def test_bad_arguments_are_programming_errors(in_brand_a, program):
    with pytest.raises(ValueError, match="metric"):
        leaderboard(program=program, metric="sales")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="period_days"):
        leaderboard(program=program, metric="clicks", period_days=14)
    with pytest.raises(ValueError, match="limit"):
        leaderboard(program=program, metric="clicks", limit=0)
