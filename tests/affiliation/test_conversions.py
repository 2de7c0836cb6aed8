from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_tenants.utils import tenant_context

from affiliation.models import CommissionStatus, ConversionStatus, OfferRule, RecurringMode
from affiliation.selectors import affiliate_balance
from affiliation.services import (
    affiliate_decide,
    click_commissions_accrue,
    commissions_release_due,
    conversion_record,
    conversion_refund,
    coupon_create,
)
from ledger.selectors import ledger_differences
from tests.engine import make_affiliate, make_click, make_program


@pytest.fixture
def in_brand_a(brand_a):
    with tenant_context(brand_a):
        yield brand_a


@pytest.fixture
def tree(in_brand_a):
    """grandparent ← parent ← seller, in a 20/25/30 % program with a 10 %/5 % cascade."""
    program = make_program()
    grandparent = make_affiliate(in_brand_a, program)
    parent = make_affiliate(in_brand_a, program, referrer=grandparent)
    seller = make_affiliate(in_brand_a, program, referrer=parent)
    return program, seller, parent, grandparent


def _sale(affiliate, order_id="order-1", amount="100.00", **kwargs):
    click = make_click(affiliate)
    return conversion_record(
        source="postback", order_id=order_id, amount=amount, currency="EUR", click_id=str(click.id), **kwargs
    )


def _pending(affiliate):
    return affiliate_balance(affiliate).pending


def test_a_sale_pays_the_seller_and_the_cascade_into_pending(tree):
    _, seller, parent, grandparent = tree

    result = _sale(seller, amount="100.00")

    assert result.created
    assert sorted((c.level, c.beneficiary_id, c.amount) for c in result.commissions) == [
        (0, seller.pk, Decimal("20.00")),
        (1, parent.pk, Decimal("10.00")),
        (2, grandparent.pk, Decimal("5.00")),
    ]
    assert (_pending(seller), _pending(parent), _pending(grandparent)) == (
        Decimal(20),
        Decimal(10),
        Decimal(5),
    )
    assert all(c.status == CommissionStatus.PENDING for c in result.commissions)
    assert ledger_differences() == []


def test_the_tier_sets_the_sellers_rate(in_brand_a):
    program = make_program(cascade_rates=[])
    vip = make_affiliate(in_brand_a, program, tier="vip")
    premium = make_affiliate(in_brand_a, program, tier="premium")

    assert _sale(vip, "o-vip", "80.00").commissions[0].amount == Decimal("24.00")
    assert _sale(premium, "o-premium", "80.00").commissions[0].amount == Decimal("20.00")


def test_a_replayed_order_changes_nothing(tree):
    _, seller, *_ = tree
    first = _sale(seller, "dup-1")

    again = conversion_record(
        source="postback", order_id="dup-1", amount="999.00", currency="EUR", coupon_code="X"
    )

    assert not again.created
    assert again.conversion.pk == first.conversion.pk
    assert _pending(seller) == Decimal(20)


def test_the_same_order_id_from_another_source_is_another_conversion(tree):
    _, seller, *_ = tree
    _sale(seller, "shared-id")
    click = make_click(seller)

    other = conversion_record(
        source="api", order_id="shared-id", amount="50.00", currency="EUR", click_id=str(click.id)
    )

    assert other.created


@pytest.mark.parametrize(
    ("kwargs", "field", "code"),
    [
        ({"currency": "USD"}, "currency", "CURRENCY_MISMATCH"),
        ({"amount": "10.001"}, "amount", "INVALID"),
        ({"amount": "-5"}, "amount", "INVALID"),
        ({"amount": "abc"}, "amount", "INVALID"),
        ({"order_id": " "}, "orderId", "REQUIRED"),
    ],
)
def test_bad_conversions_are_refused_and_record_nothing(tree, kwargs, field, code):
    _, seller, *_ = tree
    click = make_click(seller)
    arguments = {
        "source": "postback",
        "order_id": "bad",
        "amount": "10.00",
        "currency": "EUR",
        "click_id": str(click.id),
    }

    with pytest.raises(ValidationError) as error:
        conversion_record(**{**arguments, **kwargs})

    assert error.value.error_dict[field][0].code == code
    assert seller.conversions.count() == 0
    assert _pending(seller) == 0


def test_an_unknown_click_and_a_click_outside_the_window_are_refused(tree):
    program, seller, *_ = tree
    old = make_click(seller, age=dt.timedelta(days=program.cookie_window_days + 1))

    with pytest.raises(ValidationError) as unknown:
        conversion_record(
            source="postback",
            order_id="u",
            amount="1.00",
            currency="EUR",
            click_id="0190a2b4-0000-7000-8000-000000000000",
        )
    with pytest.raises(ValidationError) as outside:
        conversion_record(
            source="postback", order_id="o", amount="1.00", currency="EUR", click_id=str(old.id)
        )

    assert unknown.value.error_dict["clickId"][0].code == "NOT_ATTRIBUTED"
    assert outside.value.error_dict["clickId"][0].code == "OUTSIDE_WINDOW"


def test_a_coupon_attributes_without_a_click(tree):
    _, seller, *_ = tree
    coupon_create(actor=None, affiliate=seller, code="spring-10")

    result = conversion_record(
        source="postback", order_id="c1", amount="50.00", currency="EUR", coupon_code="SPRING-10"
    )

    assert result.conversion.affiliate_id == seller.pk
    assert result.commissions[0].amount == Decimal("10.00")


def test_a_full_refund_restores_every_balance_to_the_cent(tree):
    _, seller, parent, grandparent = tree
    _sale(seller, "r1", "123.45")

    conversion = conversion_refund(source="postback", order_id="r1", refund_id="rf-1").conversion

    assert conversion.status == ConversionStatus.REVERSED
    assert [_pending(a) for a in (seller, parent, grandparent)] == [0, 0, 0]
    assert all(c.status == CommissionStatus.REVERSED for c in conversion.commissions.all())
    assert ledger_differences() == []


def test_partial_refunds_then_the_rest(tree):
    _, seller, *_ = tree
    _sale(seller, "p1", "100.00")

    conversion_refund(source="postback", order_id="p1", refund_id="a", amount="33.33")
    assert _pending(seller) == Decimal("13.34")  # 20.00 - 6.66 (rounded down on the cumulative refund)
    replay = conversion_refund(source="postback", order_id="p1", refund_id="a", amount="33.33")
    assert replay.created is False
    assert _pending(seller) == Decimal("13.34")
    conversion_refund(source="postback", order_id="p1", refund_id="b")

    assert _pending(seller) == 0
    assert ledger_differences() == []


def test_a_refund_larger_than_what_is_left_is_refused(tree):
    _, seller, *_ = tree
    _sale(seller, "big", "10.00")

    with pytest.raises(ValidationError) as error:
        conversion_refund(source="postback", order_id="big", refund_id="x", amount="10.01")

    assert error.value.error_dict["amount"][0].code == "REFUND_TOO_LARGE"


def test_commissions_become_available_after_the_hold_and_a_later_refund_comes_out_of_available(tree):
    program, seller, *_ = tree
    _sale(seller, "h1", "50.00")

    assert commissions_release_due() == 0  # still in the hold period
    released = commissions_release_due(now=timezone.now() + dt.timedelta(days=program.hold_days, minutes=1))

    assert released == 3
    assert affiliate_balance(seller).available == Decimal("10.00")
    assert affiliate_balance(seller).pending == 0
    conversion_refund(source="postback", order_id="h1", refund_id="late")
    assert affiliate_balance(seller).available == 0
    assert ledger_differences() == []


def test_an_unapproved_referrer_earns_nothing(tree):
    _, seller, parent, grandparent = tree
    affiliate_decide(actor=None, affiliate=parent, approve=False)

    result = _sale(seller, "s1")

    assert {c.beneficiary_id for c in result.commissions} == {seller.pk, grandparent.pk}


def test_an_offer_rule_overrides_the_program_rule(tree):
    program, seller, *_ = tree
    OfferRule.objects.create(
        program=program, offer_ref="sku-9", commission_kind="flat", flat_amount=Decimal("7.50")
    )

    result = _sale(seller, "offer-1", "100.00", offer_ref="sku-9")

    assert result.commissions[0].amount == Decimal("7.50")


def test_a_flat_program_pays_the_flat_amount(in_brand_a):
    program = make_program(commission_kind="flat", flat_amount=Decimal("15.00"), cascade_rates=[])
    seller = make_affiliate(in_brand_a, program)

    assert _sale(seller, "f1", "60.00").commissions[0].amount == Decimal("15.00")


@pytest.mark.parametrize(
    ("mode", "months", "paid_months"),
    [
        (RecurringMode.NONE, 12, [0]),
        (RecurringMode.MONTHS, 3, [0, 1, 2]),
        (RecurringMode.LIFETIME, 12, [0, 1, 2, 3, 4, 5]),
    ],
)
def test_recurring_commissions_on_a_referred_members_subscription(in_brand_a, mode, months, paid_months):
    program = make_program(recurring_mode=mode, recurring_months=months, cascade_rates=[Decimal(10)])
    parent = make_affiliate(in_brand_a, program)
    seller = make_affiliate(in_brand_a, program, referrer=parent)
    start = timezone.now() - dt.timedelta(days=200)
    click = make_click(seller, age=dt.timedelta(days=200, minutes=1))

    earned_months = []
    for month in range(6):
        result = conversion_record(
            source="stripe",
            order_id=f"in_{month}",
            amount="29.00",
            currency="EUR",
            click_id=str(click.id) if month == 0 else "",
            subscription_ref="sub_1",
            occurred_at=start + dt.timedelta(days=31 * month),
        )
        assert result.conversion.affiliate_id == seller.pk
        if result.commissions:
            earned_months.append(month)
            assert {c.level for c in result.commissions} == {0, 1}
            assert all(c.is_recurring == (month > 0) for c in result.commissions)

    assert earned_months == paid_months


def test_per_click_earnings_accrue_once_per_batch(in_brand_a):
    program = make_program(commission_kind="per_click", per_click_amount=Decimal("0.20"), cascade_rates=[])
    affiliate = make_affiliate(in_brand_a, program)
    other_program = make_program()
    percentage_affiliate = make_affiliate(in_brand_a, other_program)
    clicks = {(affiliate.pk, program.pk): 7, (percentage_affiliate.pk, other_program.pk): 3}

    first = click_commissions_accrue(batch_key="batch-1", unique_clicks=clicks)
    replay = click_commissions_accrue(batch_key="batch-1", unique_clicks=clicks)

    assert [(c.beneficiary_id, c.click_count, c.amount) for c in first] == [
        (affiliate.pk, 7, Decimal("1.40"))
    ]
    assert replay == []
    assert _pending(affiliate) == Decimal("1.40")
    assert _pending(percentage_affiliate) == 0
    assert _sale(affiliate, "epc-sale").commissions == []  # sales earn nothing in a per-click program
