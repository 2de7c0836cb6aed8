"""Rejecting a case about clicks takes back the per-click pay those clicks earned, through the
ledger, once, in that brand only; the affiliate's other clicks keep theirs."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Role
from affiliation.models import Commission, CommissionKind, CommissionStatus
from affiliation.selectors import affiliate_balance
from affiliation.services import link_create
from fraud import services as fraud_services
from fraud.models import CaseStatus
from fraud.services import case_approve, case_reject
from ledger.models import LedgerTransaction
from ledger.selectors import ledger_differences
from tests.conftest import make_user
from tests.engine import make_affiliate
from tests.fraud.helpers import cases, configure, program
from tracking.ingest import ClickDrain

pytestmark = pytest.mark.django_db

_ips = iter(range(1_000, 1_000_000, 100))


def _rows(link, count: int):
    """``count`` unique clicks (one IP each) on ``link``, now."""
    now_ms = int(timezone.now().timestamp() * 1000)
    first_ip = next(_ips)
    return [
        (
            str(uuid.uuid4()),
            link.pk,
            now_ms + n,
            f"{first_ip + n:032x}",
            "Mozilla/5.0",
            "",
            "",
            "",
            "desktop",
            "Chrome",
            "Windows",
            "{}",
        )
        for n in range(count)
    ]


def _clicker(brand, *, action: str):
    """An affiliate paid 0.20 per unique click, whose program flags (or rejects) more than 3
    clicks an hour; they click 2, then 3, then 2 times (7 in the hour: 2 of the second batch
    and both of the third are over 3, suspicious)."""
    shared = program(commission_kind=CommissionKind.PER_CLICK, per_click_amount=Decimal("0.20"))
    configure(shared, "click_velocity", threshold=3, action=action)
    affiliate = make_affiliate(brand, shared)
    link = link_create(affiliate=affiliate)
    drain = ClickDrain(consumer="fraud-click-rejection")
    try:
        for number, count in enumerate((2, 3, 2)):
            drain.write(
                brand.schema_name, f"clicks-{brand.schema_name}-{affiliate.pk}-{number}", _rows(link, count)
            )
    finally:
        drain.close()
    return affiliate


def _earned(affiliate) -> Decimal:
    return sum(
        (c.amount - c.reversed_amount for c in Commission.objects.filter(beneficiary=affiliate)), Decimal(0)
    )


def _reversals() -> int:
    return LedgerTransaction.objects.filter(kind="commission.reversed").count()


def test_rejecting_a_clicks_case_takes_back_what_the_suspicious_clicks_earned(in_brand_a):
    affiliate = _clicker(in_brand_a, action="flag")
    admin = make_user(in_brand_a, role=Role.BRAND_ADMIN)
    [case] = cases(affiliate)
    assert (case.click_count, sum(case.click_pay.values()), len(case.click_pay)) == (4, 4, 2)
    assert _earned(affiliate) == Decimal("1.40")  # flagged only: all 7 paid so far
    assert affiliate_balance(affiliate).pending == Decimal("1.40")

    case_reject(actor=admin, case=case)

    assert _earned(affiliate) == Decimal("0.60")  # the 3 clicks within the velocity keep theirs
    assert affiliate_balance(affiliate).pending == Decimal("0.60")
    first, second, third = Commission.objects.filter(beneficiary=affiliate).order_by("pk")
    assert [c.reversed_amount for c in (first, second, third)] == [0, Decimal("0.40"), Decimal("0.40")]
    assert third.status == CommissionStatus.REVERSED
    assert ledger_differences() == []


def test_rejecting_twice_takes_back_once(in_brand_a):
    affiliate = _clicker(in_brand_a, action="flag")
    admin = make_user(in_brand_a, role=Role.BRAND_ADMIN)
    [case] = cases(affiliate)
    case_reject(actor=admin, case=case)
    reversals = _reversals()

    with pytest.raises(ValidationError) as again:
        case_reject(actor=admin, case=case)
    case.refresh_from_db()
    fraud_services._click_pay_reverse(case)  # even applied again, the ledger keys hold

    assert again.value.error_dict["case"][0].code == "ALREADY_DECIDED"
    assert _reversals() == reversals
    assert _earned(affiliate) == Decimal("0.60")
    assert ledger_differences() == []


def test_approving_a_clicks_case_keeps_the_pay(in_brand_a):
    affiliate = _clicker(in_brand_a, action="flag")
    admin = make_user(in_brand_a, role=Role.BRAND_ADMIN)

    case_approve(actor=admin, case=cases(affiliate)[0])

    assert _earned(affiliate) == Decimal("1.40")
    assert ledger_differences() == []


def test_clicks_a_reject_rule_refused_were_never_paid_so_nothing_more_is_taken(in_brand_a):
    affiliate = _clicker(in_brand_a, action="reject")
    admin = make_user(in_brand_a, role=Role.BRAND_ADMIN)
    [case] = cases(affiliate)
    assert (case.status, case.click_pay) == (CaseStatus.OPEN, {})
    assert _earned(affiliate) == Decimal("0.60")

    case_reject(actor=admin, case=case)

    assert _earned(affiliate) == Decimal("0.60")
    assert ledger_differences() == []


def test_rejecting_brand_as_case_leaves_brand_bs_clicks_paid(brand_a, brand_b):
    with tenant_context(brand_b):
        theirs = _clicker(brand_b, action="flag")
    with tenant_context(brand_a):
        ours = _clicker(brand_a, action="flag")
        case_reject(actor=make_user(brand_a, role=Role.BRAND_ADMIN), case=cases(ours)[0])
        assert _earned(ours) == Decimal("0.60")
    with tenant_context(brand_b):
        assert _earned(theirs) == Decimal("1.40")
        assert cases(theirs)[0].status == CaseStatus.OPEN
        assert ledger_differences() == []
