"""The review queue's decisions, the hold against the release job, and isolation of brands."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Role
from affiliation.models import AffiliateStatus, Commission, CommissionKind, CommissionStatus, ConversionStatus
from affiliation.selectors import affiliate_balance
from affiliation.services import commissions_release_due
from fraud.models import CaseStatus, FraudCase
from fraud.services import affiliate_ban, case_approve, case_reject
from ledger.selectors import ledger_differences
from tests.conftest import make_user
from tests.engine import make_affiliate
from tests.fraud.helpers import cases, configure, program, sale
from tracking.ingest import ClickDrain

pytestmark = pytest.mark.django_db
LATER = dt.timedelta(days=60)


@pytest.fixture
def admin(in_brand_a):
    return make_user(in_brand_a, role=Role.BRAND_ADMIN)


@pytest.fixture
def held(in_brand_a):
    """A seller's sale held for click injection, with a cascade to a parent."""
    shared = program(cascade_rates=[Decimal(10)])
    parent = make_affiliate(in_brand_a, shared)
    seller = make_affiliate(in_brand_a, shared, referrer=parent)
    result = sale(seller, click_age=dt.timedelta(seconds=3))
    return seller, parent, result


def test_the_release_job_skips_held_commissions(held):
    seller, _parent, result = held

    commissions_release_due(now=timezone.now() + LATER)

    statuses = set(Commission.objects.filter(conversion=result.conversion).values_list("status", flat=True))
    assert statuses == {CommissionStatus.HELD}
    assert affiliate_balance(seller).available == 0
    assert affiliate_balance(seller).pending == Decimal(20)


def test_approving_releases_the_hold_by_the_commissions_dates(held, admin):
    seller, parent, result = held
    [case] = cases(seller)

    case_approve(actor=admin, case=case, note="known customer")

    case.refresh_from_db()
    assert (case.status, case.reviewer_id, case.history[-1]["decision"]) == ("approved", admin.pk, "approved")
    result.conversion.refresh_from_db()
    assert not result.conversion.under_review
    assert set(Commission.objects.filter(conversion=result.conversion).values_list("status", flat=True)) == {
        CommissionStatus.PENDING
    }
    commissions_release_due(now=timezone.now() + LATER)
    assert affiliate_balance(seller).available == Decimal(20)
    assert affiliate_balance(parent).available == Decimal(10)
    assert ledger_differences() == []


def test_approving_after_the_hold_period_releases_at_once(held, admin):
    seller, _, result = held
    Commission.objects.filter(conversion=result.conversion).update(available_at=timezone.now())

    case_approve(actor=admin, case=cases(seller)[0])

    assert affiliate_balance(seller).available == Decimal(20)
    assert ledger_differences() == []


def test_rejecting_reverses_every_commission_through_the_ledger(held, admin):
    seller, parent, result = held

    case_reject(actor=admin, case=cases(seller)[0], note="injected")

    result.conversion.refresh_from_db()
    assert result.conversion.status == ConversionStatus.REJECTED
    assert not result.conversion.under_review
    assert set(Commission.objects.filter(conversion=result.conversion).values_list("status", flat=True)) == {
        CommissionStatus.REVERSED
    }
    assert affiliate_balance(seller).pending == affiliate_balance(parent).pending == 0
    assert ledger_differences() == []


def test_rejecting_a_flagged_sale_already_released_takes_it_from_available(in_brand_a, admin):
    seller = make_affiliate(in_brand_a, program())
    configure(seller.program, "click_injection", action="flag")
    sale(seller, click_age=dt.timedelta(seconds=3))
    commissions_release_due(now=timezone.now() + LATER)
    assert affiliate_balance(seller).available == Decimal(20)

    case_reject(actor=admin, case=cases(seller)[0])

    assert affiliate_balance(seller).available == 0
    assert ledger_differences() == []


def test_a_decided_case_cannot_be_decided_again(held, admin):
    seller, _, _ = held
    case = case_reject(actor=admin, case=cases(seller)[0])

    with pytest.raises(ValidationError) as error:
        case_approve(actor=admin, case=case)

    assert error.value.error_dict["case"][0].code == "ALREADY_DECIDED"
    assert affiliate_balance(seller).pending == 0


def test_banning_rejects_the_case_cancels_pending_commissions_and_suspends(held, admin):
    seller, parent, _ = held
    sale(seller)  # another sale, pending, not under review
    assert affiliate_balance(seller).pending == Decimal(40)

    affiliate_ban(actor=admin, case=cases(seller)[0])

    seller.refresh_from_db()
    assert seller.status == AffiliateStatus.SUSPENDED
    assert cases(seller)[0].status == CaseStatus.REJECTED
    assert affiliate_balance(seller).pending == 0
    assert affiliate_balance(parent).pending == Decimal(10)  # the upline's earning of the clean sale stays
    assert ledger_differences() == []


def test_rules_configured_in_one_brand_do_not_apply_in_another(brand_a, brand_b):
    with tenant_context(brand_a):
        in_a = make_affiliate(brand_a, program())
        configure(in_a.program, "click_injection", enabled=False)
        sale(in_a, click_age=dt.timedelta(seconds=2))
        assert cases(in_a) == []
        program_id = in_a.program_id
    with tenant_context(brand_b):
        in_b = make_affiliate(brand_b, program())
        sale(in_b, click_age=dt.timedelta(seconds=2))
        assert codes_of(in_b) == ["click_injection"]
        assert not FraudCase.objects.filter(program_id=program_id).exists()
    with tenant_context(brand_a):
        assert FraudCase.objects.count() == 0  # B's case lives in B's schema only


def codes_of(affiliate):
    return [code for case in cases(affiliate) for code in case.rule_codes]


# --- clicks in the drain ----------------------------------------------------------------------


def _rows(link, count: int, *, country: str = "", first_ip: int = 0):
    now_ms = int(timezone.now().timestamp() * 1000)
    return [
        (
            str(uuid.uuid4()),
            link.pk,
            now_ms + n,
            f"{first_ip + n:032x}",
            "Mozilla/5.0",
            "",
            "",
            country,
            "desktop",
            "Chrome",
            "Windows",
            "{}",
        )
        for n in range(count)
    ]


@pytest.fixture
def per_click(in_brand_a):
    from affiliation.services import link_create

    affiliate = make_affiliate(in_brand_a, program(commission_kind=CommissionKind.PER_CLICK))
    return affiliate, link_create(affiliate=affiliate)


def _paid_clicks(affiliate) -> int:
    return sum(Commission.objects.filter(beneficiary=affiliate).values_list("click_count", flat=True))


def test_clicks_beyond_the_hourly_velocity_are_flagged_and_not_paid_when_rejected(in_brand_a, per_click):
    affiliate, link = per_click
    configure(affiliate.program, "click_velocity", threshold=3, action="reject")
    drain = ClickDrain(consumer="fraud-test")
    try:
        drain.write(in_brand_a.schema_name, "fraud:1", _rows(link, 2))
        assert cases(affiliate) == []
        stats = drain.write(in_brand_a.schema_name, "fraud:2", _rows(link, 3, first_ip=10))
    finally:
        drain.close()

    assert stats.inserted == 3  # stored and counted as clicks
    [case] = cases(affiliate)
    assert (case.kind, case.rule_codes, case.click_count) == ("clicks", ["click_velocity"], 2)
    assert _paid_clicks(affiliate) == 3  # 2 + 1: the 2 clicks over 3 an hour earn nothing


def test_clicks_within_the_velocity_are_all_paid(in_brand_a, per_click):
    affiliate, link = per_click
    configure(affiliate.program, "click_velocity", threshold=5, action="reject")
    drain = ClickDrain(consumer="fraud-test")
    try:
        drain.write(in_brand_a.schema_name, "fraud:3", _rows(link, 5))
    finally:
        drain.close()

    assert cases(affiliate) == []
    assert _paid_clicks(affiliate) == 5


def test_clicks_from_countries_outside_the_list_are_flagged(in_brand_a, per_click):
    affiliate, link = per_click
    configure(affiliate.program, "country_not_allowed", countries=["MA"], action="flag")
    drain = ClickDrain(consumer="fraud-test")
    try:
        drain.write(in_brand_a.schema_name, "fraud:4", _rows(link, 2, country="MA"))
        assert cases(affiliate) == []
        drain.write(in_brand_a.schema_name, "fraud:5", _rows(link, 3, country="US", first_ip=20))
    finally:
        drain.close()

    [case] = cases(affiliate)
    assert (case.rule_codes, case.click_count) == (["country_not_allowed"], 3)
    assert _paid_clicks(affiliate) == 5  # flag only: still paid
