"""One scenario per rule that trips it, and one that does not."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from affiliation.models import CommissionStatus, ConversionStatus
from affiliation.selectors import affiliate_balance
from affiliation.services import affiliate_join, commissions_release_due, conversion_refund
from fraud.models import CaseStatus
from fraud.subscribers import is_disposable
from ledger.selectors import ledger_differences
from payouts.models import WithdrawalRequest
from payouts.services import withdrawal_request
from tests.conftest import make_user
from tests.engine import make_affiliate
from tests.fraud.helpers import cases, codes, configure, program, sale, session

pytestmark = pytest.mark.django_db


@pytest.fixture
def seller(in_brand_a):
    return make_affiliate(in_brand_a, program())


# --- click injection -------------------------------------------------------------------------


def test_a_sale_seconds_after_its_click_is_held(seller):
    result = sale(seller, click_age=dt.timedelta(seconds=4))

    assert result.conversion.under_review
    assert [c.status for c in result.commissions] == [CommissionStatus.HELD]
    assert codes(seller) == ["click_injection"]
    assert cases(seller)[0].status == CaseStatus.OPEN
    assert affiliate_balance(seller).pending == Decimal(20)  # held money stays pending
    assert ledger_differences() == []


def test_a_sale_minutes_after_its_click_is_allowed(seller):
    result = sale(seller, click_age=dt.timedelta(minutes=3))

    assert not result.conversion.under_review
    assert [c.status for c in result.commissions] == [CommissionStatus.PENDING]
    assert cases(seller) == []


# --- click spamming ---------------------------------------------------------------------------


def test_many_sales_long_after_their_clicks_flag_click_spamming(seller):
    for _ in range(4):
        sale(seller, click_age=dt.timedelta(hours=30))
    for _ in range(5):
        sale(seller)
    assert cases(seller) == []  # 9 sales: too few to judge

    result = sale(seller)  # 10 sales, 4 late: 40 % > 30 %

    assert codes(seller) == ["click_spamming"]
    assert result.commissions[0].status == CommissionStatus.PENDING  # flag: paid, reviewed
    assert cases(seller)[0].reasons[0]["facts"]["late_share"] == 40.0


def test_a_few_late_sales_are_not_click_spamming(seller):
    for _ in range(3):
        sale(seller, click_age=dt.timedelta(hours=30))
    for _ in range(9):
        sale(seller)

    assert cases(seller) == []  # 3 of 12: 25 %


# --- same network / device --------------------------------------------------------------------


def test_a_buyer_on_the_affiliates_network_is_held(seller):
    session(seller.user, "203.0.113.0/24")

    result = sale(seller, buyer_ip="203.0.113.77")

    assert codes(seller) == ["same_network"]
    assert result.commissions[0].status == CommissionStatus.HELD


def test_a_buyer_sharing_the_affiliates_device_is_held(seller, in_brand_a):
    buyer = make_user(in_brand_a, role="customer")
    session(seller.user, "198.51.100.0/24", browser="Firefox", os="Linux")
    session(buyer, "198.51.100.0/24", browser="Firefox", os="Linux")

    sale(seller, buyer_email=buyer.email)

    assert codes(seller) == ["same_network"]


def test_a_buyer_elsewhere_is_allowed(seller, in_brand_a):
    session(seller.user, "203.0.113.0/24")
    buyer = make_user(in_brand_a, role="customer")
    session(buyer, "203.0.113.0/24", browser="Safari", os="macOS")  # same office, another device

    sale(seller, buyer_ip="192.0.2.10", buyer_email=buyer.email)

    assert cases(seller) == []


# --- self-purchase ----------------------------------------------------------------------------


def test_buying_with_ones_own_email_is_rejected_and_earns_nothing(seller):
    result = sale(seller, buyer_email=seller.user.email.upper())

    assert result.conversion.status == ConversionStatus.REJECTED
    assert result.commissions == []
    assert affiliate_balance(seller).pending == 0
    [case] = cases(seller)
    assert (case.rule_codes, case.status, case.reviewer) == (["self_purchase"], CaseStatus.REJECTED, None)
    assert ledger_differences() == []


def test_buying_with_ones_paypal_payout_email_is_self_purchase(seller):
    WithdrawalRequest.objects.create(
        affiliate=seller,
        amount=Decimal(10),
        currency="EUR",
        method="paypal",
        details={"email": "me@gmail.com"},
    )

    result = sale(seller, buyer_email="M.E+shop@gmail.com")

    assert result.conversion.status == ConversionStatus.REJECTED
    assert cases(seller)[0].reasons[0]["facts"] == {"match": "payout_email"}


def test_another_buyer_is_no_self_purchase(seller):
    result = sale(seller, buyer_email="someone.else@example.org")

    assert result.conversion.status == ConversionStatus.APPROVED
    assert cases(seller) == []


# --- velocity of sales ------------------------------------------------------------------------


def test_more_sales_in_an_hour_than_the_threshold_are_flagged(seller):
    configure(seller.program, "conversion_velocity", threshold=3)
    for _ in range(3):
        sale(seller)
    assert cases(seller) == []

    sale(seller)

    assert codes(seller) == ["conversion_velocity"]


def test_sales_up_to_the_threshold_are_not_flagged(seller):
    configure(seller.program, "conversion_velocity", threshold=5)
    for _ in range(5):
        sale(seller)

    assert cases(seller) == []


# --- refund rate ------------------------------------------------------------------------------


def _refunded_history(seller, refunds: int) -> None:
    results = [sale(seller) for _ in range(10)]
    for result in results[:refunds]:
        conversion_refund(source="postback", order_id=result.conversion.order_id, refund_id="r1")


def test_a_high_refund_rate_holds_the_next_sale(seller):
    _refunded_history(seller, refunds=3)

    result = sale(seller)  # 3 of 11 refunded: 27 % > 20 %

    assert codes(seller) == ["refund_rate"]
    assert result.commissions[0].status == CommissionStatus.HELD


def test_a_low_refund_rate_holds_nothing(seller):
    _refunded_history(seller, refunds=1)

    sale(seller)

    assert cases(seller) == []


# --- countries --------------------------------------------------------------------------------


def test_a_sale_from_a_country_outside_the_programs_list_is_held(seller):
    configure(seller.program, "country_not_allowed", countries=["ma", "FR"])

    result = sale(seller, country="US")

    assert codes(seller) == ["country_not_allowed"]
    assert result.conversion.under_review


def test_a_sale_from_an_allowed_country_passes_and_an_empty_list_allows_all(seller, in_brand_a):
    configure(seller.program, "country_not_allowed", countries=["MA"])
    sale(seller, country="MA")
    other = make_affiliate(in_brand_a, program())
    sale(other, country="US")  # its program has no list

    assert cases(seller) == []
    assert cases(other) == []


# --- duplicate payout details -----------------------------------------------------------------


def _with_balance(affiliate) -> None:
    sale(affiliate, amount="500.00")
    commissions_release_due(now=timezone.now() + dt.timedelta(days=60))


def test_a_withdrawal_to_another_affiliates_paypal_is_flagged(in_brand_a):
    shared = program()
    first, second = make_affiliate(in_brand_a, shared), make_affiliate(in_brand_a, shared)
    _with_balance(first)
    _with_balance(second)
    withdrawal_request(affiliate=first, amount="50", method="paypal", details={"email": "Cash@Example.com"})

    withdrawal = withdrawal_request(
        affiliate=second, amount="50", method="paypal", details={"email": "cash@example.com"}
    )

    [case] = cases(second)
    assert (case.rule_codes, case.withdrawal_id) == (["duplicate_payout_details"], withdrawal.pk)
    assert cases(first) == []


def test_a_withdrawal_to_ones_own_details_again_is_not_flagged(in_brand_a):
    shared = program()
    first, second = make_affiliate(in_brand_a, shared), make_affiliate(in_brand_a, shared)
    _with_balance(first)
    _with_balance(second)
    withdrawal_request(affiliate=first, amount="50", method="paypal", details={"email": "one@example.com"})
    withdrawal_request(affiliate=first, amount="50", method="paypal", details={"email": "one@example.com"})
    withdrawal_request(affiliate=second, amount="50", method="paypal", details={"email": "two@example.com"})

    assert cases(first) == []
    assert cases(second) == []


# --- signups ----------------------------------------------------------------------------------


def test_a_disposable_email_signup_is_held_pending(in_brand_a):
    shared = program()
    user = make_user(in_brand_a, email="quick@mail.yopmail.com")

    affiliate = affiliate_join(user=user, program=shared)

    affiliate.refresh_from_db()
    assert affiliate.status == "pending"
    assert codes(affiliate) == ["disposable_email"]


def test_an_ordinary_email_signup_is_approved(in_brand_a):
    affiliate = affiliate_join(user=make_user(in_brand_a, email="jane@example.com"), program=program())

    affiliate.refresh_from_db()
    assert affiliate.status == "approved"
    assert cases(affiliate) == []
    assert is_disposable("x@mailinator.com")
    assert not is_disposable("x@gmail.com")


def _join_from(brand, shared, network: str):
    user = make_user(brand)
    session(user, network)
    return affiliate_join(user=user, program=shared)


def test_signups_flooding_from_one_network_are_held(in_brand_a):
    shared = program()
    configure(shared, "signup_flooding", threshold=2)
    first = _join_from(in_brand_a, shared, "192.0.2.0/24")
    second = _join_from(in_brand_a, shared, "192.0.2.0/24")
    assert cases(first) == cases(second) == []

    third = _join_from(in_brand_a, shared, "192.0.2.0/24")

    third.refresh_from_db()
    assert codes(third) == ["signup_flooding"]
    assert third.status == "pending"


def test_signups_from_different_networks_are_not_flooding(in_brand_a):
    shared = program()
    configure(shared, "signup_flooding", threshold=2)
    joined = [_join_from(in_brand_a, shared, f"192.0.{n}.0/24") for n in range(4)]

    assert all(cases(affiliate) == [] for affiliate in joined)


# --- a rule switched off ----------------------------------------------------------------------


def test_a_disabled_rule_does_not_trip(seller):
    configure(seller.program, "click_injection", enabled=False)

    result = sale(seller, click_age=dt.timedelta(seconds=2))

    assert cases(seller) == []
    assert not result.conversion.under_review
