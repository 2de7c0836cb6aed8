"""Withdrawals: request (reserves the money), approve, mark paid, reject (releases it)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from affiliation.models import Affiliate, AffiliateStatus, WithdrawalMethod
from affiliation.services.conversions import parse_amount
from core.audit import audit_log
from core.errors import field_error
from core.events import emit, publish_on_commit
from core.money import minor_unit_exponent
from core.tasks import enqueue_on_commit
from kyc.gate import cumulative_payouts, kyc_payout_block
from ledger.models import AccountKind
from ledger.owners import Owner
from ledger.services import ledger_account, ledger_transfer
from payouts.error_codes import PayoutErrorCode as Code
from payouts.lock_objects import available_account_for_update
from payouts.models import WithdrawalRequest, WithdrawalStatus
from payouts.selectors import payout_settings

WITHDRAWAL_EVENT = "withdrawal.updated"
ADMIN_QUEUE_TOPIC = "withdrawals"

# Allowed moves of the status machine by a brand admin. Payout runs (services/runs.py) add
# their own: approved -> processing (sent to a provider), processing -> paid | failed (the
# provider's outcome) or back to approved (batch refused, nothing sent), paid -> failed (returned).
TRANSITIONS = {
    WithdrawalStatus.REQUESTED: {WithdrawalStatus.APPROVED, WithdrawalStatus.REJECTED},
    WithdrawalStatus.APPROVED: {WithdrawalStatus.PAID, WithdrawalStatus.REJECTED},
    WithdrawalStatus.PROCESSING: set(),
    WithdrawalStatus.PAID: set(),
    WithdrawalStatus.FAILED: set(),
    WithdrawalStatus.REJECTED: set(),
}

# Ledger movement of the reserved money per (from, to): (idempotency name, source, destination).
# Each name happens at most once per withdrawal (its ledger idempotency key).
MOVEMENTS = {
    (WithdrawalStatus.APPROVED, WithdrawalStatus.PAID): ("paid", AccountKind.RESERVED, AccountKind.PAID),
    (WithdrawalStatus.PROCESSING, WithdrawalStatus.PAID): ("paid", AccountKind.RESERVED, AccountKind.PAID),
    (WithdrawalStatus.REQUESTED, WithdrawalStatus.REJECTED): (
        "released",
        AccountKind.RESERVED,
        AccountKind.AVAILABLE,
    ),
    (WithdrawalStatus.APPROVED, WithdrawalStatus.REJECTED): (
        "released",
        AccountKind.RESERVED,
        AccountKind.AVAILABLE,
    ),
    (WithdrawalStatus.PROCESSING, WithdrawalStatus.FAILED): (
        "failed",
        AccountKind.RESERVED,
        AccountKind.AVAILABLE,
    ),
    (WithdrawalStatus.PAID, WithdrawalStatus.FAILED): ("returned", AccountKind.PAID, AccountKind.AVAILABLE),
}


def withdrawal_topic(affiliate_id: int) -> str:
    return f"affiliate.{affiliate_id}.withdrawals"


def _clean_details(method: str, details: dict[str, Any]) -> dict[str, str]:
    if method == WithdrawalMethod.PAYPAL:
        email = str(details.get("email", "")).strip().lower()
        try:
            validate_email(email)
        except ValidationError as error:
            raise field_error(
                "details.email", "Enter the email of your PayPal account.", Code.INVALID_EMAIL
            ) from error
        return {"email": email}
    holder = str(details.get("account_holder", "")).strip()
    try:
        iban = IBAN(str(details.get("iban", "")))
    except SchwiftyException as error:
        raise field_error(
            "details.iban", "This IBAN is not valid: check the country code and digits.", Code.INVALID_IBAN
        ) from error
    cleaned = {"iban": iban.compact, "account_holder": holder}
    if not holder:
        raise field_error("details.accountHolder", "Give the account holder's name.", Code.INVALID)
    if details.get("bic"):
        try:
            cleaned["bic"] = str(BIC(str(details["bic"])))
        except SchwiftyException as error:
            raise field_error("details.bic", "This BIC is not valid.", Code.INVALID) from error
    return cleaned


def _notify(withdrawal: WithdrawalRequest) -> None:
    """The domain event, live (the affiliate's withdrawal subscription) and by email, after commit."""
    facts: dict[str, Any] = {
        "withdrawal_id": withdrawal.pk,
        "affiliate_id": withdrawal.affiliate_id,
        "amount": withdrawal.amount,
        "currency": withdrawal.currency,
        "method": withdrawal.method,
        "status": withdrawal.status,
    }
    if withdrawal.status == WithdrawalStatus.PAID:
        facts["payment_reference"] = withdrawal.payment_reference
    elif withdrawal.status == WithdrawalStatus.REJECTED:
        facts["reason"] = withdrawal.rejection_reason
    elif withdrawal.status == WithdrawalStatus.FAILED:
        facts["reason"] = withdrawal.failure_reason
    emit(f"withdrawal.{withdrawal.status}", facts)
    from payouts.tasks import withdrawal_status_email_task

    _publish(withdrawal)
    enqueue_on_commit(withdrawal_status_email_task, withdrawal.pk)


def _publish(withdrawal: WithdrawalRequest) -> None:
    """Live: the affiliate's withdrawal subscription and the brand admins' queue, after commit."""
    for topic in (withdrawal_topic(withdrawal.affiliate_id), ADMIN_QUEUE_TOPIC):
        publish_on_commit(
            topic=topic,
            message_type=WITHDRAWAL_EVENT,
            payload={"id": withdrawal.pk, "status": withdrawal.status},
        )


def _shown(amount: Any, currency: str) -> str:
    """An amount as a message shows it: in the currency's minor unit (10.00, not 10.0000)."""
    return str(amount.quantize(minor_unit_exponent(currency)))


def withdrawal_request(
    *, affiliate: Affiliate, amount: Any, method: str, details: dict[str, Any]
) -> WithdrawalRequest:
    """Reserve ``amount`` of the available balance for a payout.

    The affiliate's available-balance row is locked first, so concurrent requests are
    serialised and the balance can never go below zero.
    """
    program = affiliate.program
    if affiliate.status != AffiliateStatus.APPROVED:
        raise field_error("affiliate", "Your membership is not approved.", Code.NOT_APPROVED)
    value = parse_amount(amount, program.currency)
    if method not in program.withdrawal_methods:
        allowed = ", ".join(program.withdrawal_methods)
        raise field_error(
            "method", "This program pays by %(methods)s.", Code.METHOD_NOT_ALLOWED, {"methods": allowed}
        )
    if value < program.minimum_withdrawal:
        raise field_error(
            "amount",
            "The minimum withdrawal is %(minimum)s %(currency)s.",
            Code.BELOW_MINIMUM,
            {"minimum": _shown(program.minimum_withdrawal, program.currency), "currency": program.currency},
        )
    if method == WithdrawalMethod.STRIPE:
        from payouts.services.connect import connect_withdrawal_details

        cleaned = connect_withdrawal_details(user=affiliate.user)
    else:
        cleaned = _clean_details(method, details)
    with transaction.atomic():
        available = available_account_for_update(affiliate)
        if value > available.balance:
            raise field_error(
                "amount",
                "You have %(available)s %(currency)s available.",
                Code.INSUFFICIENT_BALANCE,
                {"available": _shown(available.balance, program.currency), "currency": program.currency},
            )
        withdrawal = WithdrawalRequest.objects.create(
            affiliate=affiliate, amount=value, currency=program.currency, method=method, details=cleaned
        )
        ledger_transfer(
            kind="withdrawal.reserved",
            idempotency_key=f"withdrawal:{withdrawal.pk}:reserved",
            source=available,
            destination=ledger_account(
                owner=Owner.affiliate(affiliate.pk), kind=AccountKind.RESERVED, currency=program.currency
            ),
            amount=value,
        )
        audit_log(actor=affiliate.user, action="withdrawal.requested", target=withdrawal, amount=str(value))
        _notify(withdrawal)
    if _auto_approvable(withdrawal):
        withdrawal = withdrawal_move(
            actor=None, withdrawal=withdrawal, to=WithdrawalStatus.APPROVED, auto=True
        )
    return withdrawal


def kyc_block(withdrawal: WithdrawalRequest) -> str | None:
    """Why the payee may not be paid ``withdrawal`` yet (KYC required and not approved: the
    brand's KycSettings, ``kyc.gate``), or None."""
    payee = withdrawal.affiliate.user
    return kyc_payout_block(payee, cumulative_payouts(payee, withdrawal.currency) + withdrawal.amount)


def hold_block(withdrawal: WithdrawalRequest) -> str | None:
    """Why ``withdrawal`` is on hold (``withdrawal_hold``, e.g. by a fraud review), or None."""
    if not withdrawal.hold_reason:
        return None
    return f"This withdrawal is on hold ({withdrawal.hold_reason}) until it is released."


def _auto_approvable(withdrawal: WithdrawalRequest) -> bool:
    """At or below the brand's threshold (0: never), a withdrawal is approved when requested,
    unless the KYC gate or a hold (a fraud rule screening the request in its transaction) stops
    it: then it waits for a person."""
    threshold = payout_settings().auto_approve_threshold
    if not (threshold > 0 and withdrawal.amount <= threshold):
        return False
    withdrawal.refresh_from_db(fields=["hold_reason", "held_at"])
    return hold_block(withdrawal) is None and kyc_block(withdrawal) is None


def withdrawal_lock(withdrawal_id: int) -> WithdrawalRequest | None:
    """The withdrawal's row, locked until the transaction ends (call inside one)."""
    return (
        WithdrawalRequest.objects.select_for_update(of=("self",))
        .select_related("affiliate")
        .filter(pk=withdrawal_id)
        .first()
    )


def withdrawal_apply(
    *, actor: Any, locked: WithdrawalRequest, to: WithdrawalStatus, notify: bool = True, **fields: Any
) -> WithdrawalRequest:
    """Move a locked withdrawal to ``to`` (the caller checked the move is allowed): its fields,
    the ledger movement of the reserved money (once per kind: idempotency keys), audit, events."""
    now = timezone.now()
    before = WithdrawalStatus(locked.status)
    locked.status = to
    if actor is not None or to in (WithdrawalStatus.APPROVED, WithdrawalStatus.REJECTED):
        locked.decided_by = actor or locked.decided_by
        locked.decided_at = locked.decided_at or now
    for field, value in fields.items():
        if field != "auto":
            setattr(locked, field, value)
    if to == WithdrawalStatus.PAID:
        locked.paid_at = now
    locked.save()
    movement = MOVEMENTS.get((before, to))
    if movement is not None:
        name, source, destination = movement
        owner = Owner.affiliate(locked.affiliate_id)
        ledger_transfer(
            kind=f"withdrawal.{name}",
            idempotency_key=f"withdrawal:{locked.pk}:{name}",
            source=ledger_account(owner=owner, kind=source, currency=locked.currency),
            destination=ledger_account(owner=owner, kind=destination, currency=locked.currency),
            amount=locked.amount,
        )
    audit_log(actor=actor, action=f"withdrawal.{to}", target=locked, **{k: str(v) for k, v in fields.items()})
    if notify:
        _notify(locked)
    else:
        _publish(locked)
    return locked


def withdrawal_move(
    *, actor: Any, withdrawal: WithdrawalRequest, to: WithdrawalStatus, **fields: Any
) -> WithdrawalRequest:
    with transaction.atomic():
        locked = withdrawal_lock(withdrawal.pk)
        assert locked is not None
        if to not in TRANSITIONS[WithdrawalStatus(locked.status)]:
            raise field_error(
                "status", f"A {locked.status} withdrawal cannot become {to}.", Code.ILLEGAL_TRANSITION
            )
        if to in (WithdrawalStatus.APPROVED, WithdrawalStatus.PAID):
            held = hold_block(locked)
            if held:
                raise field_error("status", held, Code.WITHDRAWAL_HELD)
            block = kyc_block(locked)  # KYC gate (kyc.gate)
            if block:
                raise field_error("status", block, Code.KYC_REQUIRED)
        return withdrawal_apply(actor=actor, locked=locked, to=to, **fields)


# What may be held: a withdrawal not yet sent or paid (after that the money is the provider's).
HOLDABLE = (WithdrawalStatus.REQUESTED, WithdrawalStatus.APPROVED)


def withdrawal_hold(*, actor: Any, withdrawal: WithdrawalRequest, reason: str) -> WithdrawalRequest:
    """Hold a requested or approved withdrawal until ``withdrawal_release``: approving it,
    marking it paid and paying it in a payout run are refused (``WITHDRAWAL_HELD``); rejecting
    it is not. Holding a held one keeps the first reason. The money stays reserved."""
    with transaction.atomic():
        locked = withdrawal_lock(withdrawal.pk)
        assert locked is not None
        if locked.status not in HOLDABLE:
            raise field_error(
                "status", f"A {locked.status} withdrawal cannot be held.", Code.ILLEGAL_TRANSITION
            )
        if not locked.hold_reason:
            locked.hold_reason = reason.strip()[:200] or "held for review"
            locked.held_at = timezone.now()
            locked.save(update_fields=["hold_reason", "held_at"])
            audit_log(actor=actor, action="withdrawal.held", target=locked, reason=locked.hold_reason)
            _publish(locked)
    return locked


def withdrawal_release(*, actor: Any, withdrawal: WithdrawalRequest) -> WithdrawalRequest:
    """Lift the hold: the withdrawal can be approved and paid again (idempotent)."""
    with transaction.atomic():
        locked = withdrawal_lock(withdrawal.pk)
        assert locked is not None
        if locked.hold_reason:
            reason = locked.hold_reason
            locked.hold_reason = ""
            locked.held_at = None
            locked.save(update_fields=["hold_reason", "held_at"])
            audit_log(actor=actor, action="withdrawal.released", target=locked, reason=reason)
            _publish(locked)
    return locked


def withdrawal_approve(*, actor: Any, withdrawal: WithdrawalRequest) -> WithdrawalRequest:
    return withdrawal_move(actor=actor, withdrawal=withdrawal, to=WithdrawalStatus.APPROVED)


def withdrawal_mark_paid(
    *, actor: Any, withdrawal: WithdrawalRequest, payment_reference: str = ""
) -> WithdrawalRequest:
    return withdrawal_move(
        actor=actor,
        withdrawal=withdrawal,
        to=WithdrawalStatus.PAID,
        payment_reference=payment_reference.strip()[:120],
    )


def withdrawal_reject(*, actor: Any, withdrawal: WithdrawalRequest, reason: str) -> WithdrawalRequest:
    if not reason.strip():
        raise field_error("reason", "Tell the affiliate why.", Code.INVALID)
    return withdrawal_move(
        actor=actor,
        withdrawal=withdrawal,
        to=WithdrawalStatus.REJECTED,
        rejection_reason=reason.strip()[:500],
    )
