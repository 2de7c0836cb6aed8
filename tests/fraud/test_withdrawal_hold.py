"""A withdrawal that a fraud rule holds waits for the review: it is neither approved (not even
automatically under the brand's threshold), nor marked paid, nor put in a payout run until the
case is decided; approving the case releases it, rejecting it returns the money."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Role
from affiliation.selectors import affiliate_balance
from affiliation.services import commissions_release_due
from fraud.models import CaseStatus
from fraud.services import case_approve, case_reject
from ledger.selectors import ledger_differences
from payouts.models import PayoutRun, WithdrawalRequest, WithdrawalStatus
from payouts.services import (
    payout_run_create,
    payout_settings_update,
    withdrawal_approve,
    withdrawal_hold,
    withdrawal_mark_paid,
    withdrawal_release,
    withdrawal_request,
)
from tests.conftest import make_user
from tests.engine import make_affiliate
from tests.fraud.helpers import cases, configure, program, sale

pytestmark = pytest.mark.django_db

APPROVE = "mutation($id: ID!) { withdrawalApprove(id: $id) { withdrawal { status holdReason } errors { field code } } }"


def _funded(brand, shared):
    affiliate = make_affiliate(brand, shared)
    sale(affiliate, amount="500.00")
    commissions_release_due(now=timezone.now() + dt.timedelta(days=60))
    return affiliate


def _held_withdrawal(brand):
    """A second affiliate asks to be paid on the first one's PayPal email; the rule holds it.
    The brand approves up to 1,000 automatically."""
    shared = program()
    configure(shared, "duplicate_payout_details", action="hold")
    payout_settings_update(actor=None, auto_approve_threshold="1000")
    first, second = _funded(brand, shared), _funded(brand, shared)
    withdrawal_request(affiliate=first, amount="50", method="paypal", details={"email": "cash@example.com"})
    withdrawal = withdrawal_request(
        affiliate=second, amount="50", method="paypal", details={"email": "cash@example.com"}
    )
    return first, second, withdrawal


def _code(error: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return {field: [item.code for item in items] for field, items in error.value.error_dict.items()}


def test_a_held_withdrawal_is_not_approved_automatically(in_brand_a):
    first, second, withdrawal = _held_withdrawal(in_brand_a)

    assert withdrawal.status == WithdrawalStatus.REQUESTED
    assert WithdrawalRequest.objects.get(pk=withdrawal.pk).hold_reason
    # The first affiliate's own withdrawal (nothing suspicious then) was approved automatically.
    assert WithdrawalRequest.objects.get(affiliate=first).status == WithdrawalStatus.APPROVED
    [case] = cases(second)
    assert (case.status, case.action, case.withdrawal_id) == (CaseStatus.OPEN, "hold", withdrawal.pk)
    assert affiliate_balance(second).reserved == Decimal(50)


def test_approving_or_paying_a_held_withdrawal_is_refused_with_a_field_error(in_brand_a, gql):
    _, second, withdrawal = _held_withdrawal(in_brand_a)
    admin = make_user(in_brand_a, role=Role.BRAND_ADMIN)

    with pytest.raises(ValidationError) as approving:
        withdrawal_approve(actor=admin, withdrawal=withdrawal)
    with pytest.raises(ValidationError) as paying:
        withdrawal_mark_paid(actor=admin, withdrawal=withdrawal, payment_reference="VIR-1")
    answer = gql(in_brand_a, admin).data(APPROVE, {"id": str(withdrawal.pk)})["withdrawalApprove"]

    assert _code(approving) == {"status": ["WITHDRAWAL_HELD"]}
    assert _code(paying) == {"status": ["ILLEGAL_TRANSITION"]}  # a requested one is approved first
    assert answer == {
        "withdrawal": {"status": "REQUESTED", "holdReason": "payout details under fraud review"},
        "errors": [{"field": "status", "code": "WITHDRAWAL_HELD"}],
    }
    assert WithdrawalRequest.objects.get(pk=withdrawal.pk).status == WithdrawalStatus.REQUESTED
    assert affiliate_balance(second).reserved == Decimal(50)


def test_an_approved_withdrawal_held_later_is_neither_marked_paid_nor_put_in_a_run(in_brand_a):
    shared = program()
    affiliate = _funded(in_brand_a, shared)
    admin = make_user(in_brand_a, role=Role.BRAND_ADMIN)
    withdrawal = withdrawal_request(
        affiliate=affiliate, amount="80", method="paypal", details={"email": "me@example.com"}
    )
    withdrawal_approve(actor=admin, withdrawal=withdrawal)
    withdrawal_hold(actor=admin, withdrawal=withdrawal, reason="a chargeback on a referred sale")

    with pytest.raises(ValidationError) as paying:
        withdrawal_mark_paid(actor=admin, withdrawal=withdrawal, payment_reference="VIR-2")
    with pytest.raises(ValidationError) as running:
        payout_run_create(actor=admin, withdrawal_ids=[withdrawal.pk])

    assert _code(paying) == {"status": ["WITHDRAWAL_HELD"]}
    assert _code(running) == {"withdrawalIds": ["WITHDRAWAL_HELD"]}
    assert WithdrawalRequest.objects.get(pk=withdrawal.pk).status == WithdrawalStatus.APPROVED
    assert not PayoutRun.objects.exists()

    withdrawal_release(actor=admin, withdrawal=withdrawal)
    paid = withdrawal_mark_paid(actor=admin, withdrawal=withdrawal, payment_reference="VIR-2")
    assert paid.status == WithdrawalStatus.PAID
    assert affiliate_balance(affiliate).paid == Decimal(80)
    assert ledger_differences() == []


def test_approving_the_case_releases_the_withdrawal_for_approval(in_brand_a):
    _, second, withdrawal = _held_withdrawal(in_brand_a)
    admin = make_user(in_brand_a, role=Role.BRAND_ADMIN)

    case_approve(actor=admin, case=cases(second)[0])

    assert WithdrawalRequest.objects.get(pk=withdrawal.pk).hold_reason == ""
    assert withdrawal_approve(actor=admin, withdrawal=withdrawal).status == WithdrawalStatus.APPROVED


def test_rejecting_the_case_rejects_the_withdrawal_and_returns_the_money(in_brand_a):
    _, second, withdrawal = _held_withdrawal(in_brand_a)
    admin = make_user(in_brand_a, role=Role.BRAND_ADMIN)
    available = affiliate_balance(second).available

    case_reject(actor=admin, case=cases(second)[0])

    assert WithdrawalRequest.objects.get(pk=withdrawal.pk).status == WithdrawalStatus.REJECTED
    balance = affiliate_balance(second)
    assert (balance.available, balance.reserved) == (available + Decimal(50), Decimal(0))
    assert ledger_differences() == []


def test_a_hold_in_brand_a_leaves_brand_b_alone(brand_a, brand_b):
    with tenant_context(brand_a):
        _held_withdrawal(brand_a)
    with tenant_context(brand_b):
        shared = program()
        payout_settings_update(actor=None, auto_approve_threshold="1000")
        affiliate = _funded(brand_b, shared)
        withdrawal = withdrawal_request(
            affiliate=affiliate, amount="50", method="paypal", details={"email": "cash@example.com"}
        )
        assert withdrawal.status == WithdrawalStatus.APPROVED
        assert withdrawal.hold_reason == ""
        assert cases(affiliate) == []
