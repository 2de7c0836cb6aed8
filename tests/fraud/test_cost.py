"""What screening a sale costs in statements: one, when no rule trips (the issue's budget is
5 ms at p95 per sale; each statement is a round trip inside ``conversion_record``'s transaction).
Before it was folded into one query a sale with every rule on cost 9 (7 when the buyer has no
account here)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from affiliation.screening import conversion_screener_register, conversion_screener_unregister
from fraud.config import programs_rules
from fraud.screening import conversion_rules_screen
from payouts.models import WithdrawalRequest
from tests.conftest import make_user
from tests.engine import make_affiliate
from tests.fraud.helpers import cases, configure, program, sale, session

pytestmark = pytest.mark.django_db

# Statements screening may add to a recorded sale that trips no rule (rules cached).
SALE_BUDGET = 1


@pytest.fixture
def seller(in_brand_a):
    affiliate = make_affiliate(in_brand_a, program())
    # Every sale rule has something to look at: sessions, a payout email, a country list.
    session(affiliate.user, "198.51.100.0/24")
    WithdrawalRequest.objects.create(
        affiliate=affiliate,
        amount="10.00",
        currency=affiliate.program.currency,
        method="paypal",
        details={"email": "payouts@example.net"},
    )
    configure(affiliate.program, "country_not_allowed", countries=["FR", "BE"])
    return affiliate


def _buyer(**kwargs):
    buyer = make_user(connection.tenant, role="customer", email="shopper@example.org")
    session(buyer, "203.0.113.0/24", browser="Firefox", os="Linux")
    return {"buyer_email": buyer.email, "buyer_ip": "192.0.2.7", "country": "FR", **kwargs}


def _statements(affiliate, **kwargs) -> int:
    programs_rules([affiliate.program_id])  # warm the 10 s cache, as in a running process
    with CaptureQueriesContext(connection) as captured:
        result = sale(affiliate, **kwargs)
    assert not result.conversion.under_review
    return len(captured.captured_queries)


def _screening_queries(captured: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if "fraud_affiliatehour" in q["sql"]]


def test_screening_adds_one_statement_to_a_sale_with_every_rule_on(seller):
    facts = _buyer()
    sale(seller, **facts)  # the affiliate's first sale costs more (its counters' row, …)
    conversion_screener_unregister(conversion_rules_screen)
    try:
        without = _statements(seller, **facts)
    finally:
        conversion_screener_register(conversion_rules_screen)
    with_rules = _statements(seller, **facts)

    assert with_rules - without <= SALE_BUDGET
    assert cases(seller) == []


def test_the_one_statement_holds_every_lookup_the_sale_needs(seller):
    programs_rules([seller.program_id])
    with CaptureQueriesContext(connection) as captured:
        sale(seller, **_buyer())

    (statement,) = _screening_queries(captured)
    for table in ("accounts_user", "accounts_usersession", "payouts_withdrawalrequest", "tracking_click"):
        assert table in statement


def test_rules_that_cannot_trip_look_nothing_up(seller):
    """No buyer: no self-purchase nor same-network lookup; no country list: no click lookup."""
    configure(seller.program, "country_not_allowed", countries=[])
    programs_rules([seller.program_id])
    with CaptureQueriesContext(connection) as captured:
        sale(seller)

    (statement,) = _screening_queries(captured)
    for table in ("accounts_user", "accounts_usersession", "payouts_withdrawalrequest", "tracking_click"):
        assert table not in statement


def test_disabled_rules_look_nothing_up(seller):
    for code in ("self_purchase", "same_network", "country_not_allowed"):
        configure(seller.program, code, enabled=False, countries=["FR"])
    programs_rules([seller.program_id])
    with CaptureQueriesContext(connection) as captured:
        sale(seller, **_buyer(country="US"))

    (statement,) = _screening_queries(captured)
    assert "accounts_usersession" not in statement
    assert "tracking_click" not in statement
    assert cases(seller) == []


def test_a_tripping_sale_still_counts_in_the_same_statement(seller):
    """A sale that trips (its click seconds old) pays for its case, not for more lookups."""
    programs_rules([seller.program_id])
    with CaptureQueriesContext(connection) as captured:
        result = sale(seller, click_age=dt.timedelta(seconds=3), **_buyer())

    assert result.conversion.under_review
    assert len(_screening_queries(captured)) == 1
