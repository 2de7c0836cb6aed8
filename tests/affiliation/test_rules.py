"""Commission arithmetic, property-tested: no cascade pays more than its configured share,
and refunds take back exactly what was paid."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from affiliation.rules import Rule, commission_lines, configured_share, reversal_amount

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1000000"), places=2)
rates = st.decimals(min_value=Decimal(0), max_value=Decimal(40), places=2)


@given(sale=amounts, own_rate=rates, cascade=st.lists(rates, max_size=5))
def test_a_cascade_never_pays_more_than_its_configured_share(sale, own_rate, cascade):
    lines = commission_lines(
        sale_amount=sale,
        currency="EUR",
        rule=Rule(kind="percentage", rate=own_rate),
        affiliate_id=1,
        upline_ids=list(range(2, 2 + len(cascade))),
        cascade_rates=cascade,
    )

    total = sum((line.amount for line in lines), Decimal(0))
    assert total <= configured_share(Rule(kind="percentage", rate=own_rate), cascade, sale)
    assert all(line.amount == line.amount.quantize(Decimal("0.01")) for line in lines)
    assert all(line.amount > 0 for line in lines)
    # rounding down loses less than one cent per line
    assert configured_share(Rule(kind="percentage", rate=own_rate), cascade, sale) - total < Decimal(
        "0.01"
    ) * (len(cascade) + 1)


@given(sale=amounts, flat=amounts)
def test_a_flat_commission_never_exceeds_the_sale(sale, flat):
    lines = commission_lines(
        sale_amount=sale,
        currency="EUR",
        rule=Rule(kind="flat", flat_amount=flat),
        affiliate_id=1,
        upline_ids=[],
        cascade_rates=[],
    )

    assert sum(line.amount for line in lines) <= sale


def test_the_cascade_stops_at_the_top_of_the_tree():
    lines = commission_lines(
        sale_amount=Decimal("100.00"),
        currency="EUR",
        rule=Rule(kind="percentage", rate=Decimal(20)),
        affiliate_id=1,
        upline_ids=[2],
        cascade_rates=[Decimal(10), Decimal(5)],
    )

    assert [(line.level, line.beneficiary_id, line.amount) for line in lines] == [
        (0, 1, Decimal("20.00")),
        (1, 2, Decimal("10.00")),
    ]


def test_currencies_without_minor_units_round_to_whole_units():
    lines = commission_lines(
        sale_amount=Decimal("999"),
        currency="JPY",
        rule=Rule(kind="percentage", rate=Decimal(20)),
        affiliate_id=1,
        upline_ids=[],
        cascade_rates=[],
    )

    assert lines[0].amount == Decimal("199")


@given(
    commission=amounts,
    sale=amounts,
    parts=st.lists(st.integers(min_value=1, max_value=100), min_size=1, max_size=6),
)
def test_partial_refunds_adding_up_to_the_sale_reverse_exactly_the_commission(commission, sale, parts):
    total_parts = sum(parts)
    refunded = Decimal(0)
    reversed_total = Decimal(0)
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        refund = sale - refunded if last else (sale * part / total_parts).quantize(Decimal("0.01"))
        refund = min(refund, sale - refunded)
        refunded += refund
        reversed_total += reversal_amount(
            commission_amount=commission,
            sale_amount=sale,
            refunded_total=refunded,
            already_reversed=reversed_total,
            currency="EUR",
        )
        assert reversed_total <= commission

    assert refunded == sale
    assert reversed_total == commission
