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
from core.tasks import enqueue_on_commit
from ledger.models import AccountKind
from ledger.owners import Owner
from ledger.services import ledger_account, ledger_transfer
from payouts.error_codes import PayoutErrorCode as Code
from payouts.lock_objects import available_account_for_update
from payouts.models import WithdrawalRequest, WithdrawalStatus

WITHDRAWAL_EVENT = "withdrawal.updated"
ADMIN_QUEUE_TOPIC = "withdrawals"

# Allowed moves of the status machine.
TRANSITIONS = {
    WithdrawalStatus.REQUESTED: {WithdrawalStatus.APPROVED, WithdrawalStatus.REJECTED},
    WithdrawalStatus.APPROVED: {WithdrawalStatus.PAID, WithdrawalStatus.REJECTED},
    WithdrawalStatus.PAID: set(),
    WithdrawalStatus.REJECTED: set(),
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
    emit(f"withdrawal.{withdrawal.status}", facts)
    from payouts.tasks import withdrawal_status_email_task

    for topic in (withdrawal_topic(withdrawal.affiliate_id), ADMIN_QUEUE_TOPIC):
        publish_on_commit(
            topic=topic,
            message_type=WITHDRAWAL_EVENT,
            payload={"id": withdrawal.pk, "status": withdrawal.status},
        )
    enqueue_on_commit(withdrawal_status_email_task, withdrawal.pk)


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
        raise field_error("method", f"This program pays by {allowed}.", Code.METHOD_NOT_ALLOWED)
    if value < program.minimum_withdrawal:
        raise field_error(
            "amount",
            f"The minimum withdrawal is {program.minimum_withdrawal} {program.currency}.",
            Code.BELOW_MINIMUM,
        )
    if method == WithdrawalMethod.STRIPE:
        from payouts.services_connect import connect_withdrawal_details

        cleaned = connect_withdrawal_details(user=affiliate.user)
    else:
        cleaned = _clean_details(method, details)
    with transaction.atomic():
        available = available_account_for_update(affiliate)
        if value > available.balance:
            raise field_error(
                "amount",
                f"You have {available.balance} {program.currency} available.",
                Code.INSUFFICIENT_BALANCE,
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
    return withdrawal


def _transition(
    *, actor: Any, withdrawal: WithdrawalRequest, to: WithdrawalStatus, **fields: Any
) -> WithdrawalRequest:
    with transaction.atomic():
        locked = (
            WithdrawalRequest.objects.select_for_update().select_related("affiliate").get(pk=withdrawal.pk)
        )
        if to not in TRANSITIONS[WithdrawalStatus(locked.status)]:
            raise field_error(
                "status", f"A {locked.status} withdrawal cannot become {to}.", Code.ILLEGAL_TRANSITION
            )
        now = timezone.now()
        locked.status = to
        locked.decided_by = actor
        locked.decided_at = locked.decided_at or now
        for field, value in fields.items():
            setattr(locked, field, value)
        if to == WithdrawalStatus.PAID:
            locked.paid_at = now
        locked.save()
        # Paid: the reservation becomes paid money; rejected: it is available again.
        movement = {
            WithdrawalStatus.PAID: ("paid", AccountKind.PAID),
            WithdrawalStatus.REJECTED: ("released", AccountKind.AVAILABLE),
        }.get(to)
        if movement is not None:
            name, destination = movement
            ledger_transfer(
                kind=f"withdrawal.{name}",
                idempotency_key=f"withdrawal:{locked.pk}:{name}",
                source=ledger_account(
                    owner=Owner.affiliate(locked.affiliate_id),
                    kind=AccountKind.RESERVED,
                    currency=locked.currency,
                ),
                destination=ledger_account(
                    owner=Owner.affiliate(locked.affiliate_id), kind=destination, currency=locked.currency
                ),
                amount=locked.amount,
            )
        audit_log(
            actor=actor, action=f"withdrawal.{to}", target=locked, **{k: str(v) for k, v in fields.items()}
        )
        _notify(locked)
    return locked


def withdrawal_approve(*, actor: Any, withdrawal: WithdrawalRequest) -> WithdrawalRequest:
    return _transition(actor=actor, withdrawal=withdrawal, to=WithdrawalStatus.APPROVED)


def withdrawal_mark_paid(
    *, actor: Any, withdrawal: WithdrawalRequest, payment_reference: str = ""
) -> WithdrawalRequest:
    return _transition(
        actor=actor,
        withdrawal=withdrawal,
        to=WithdrawalStatus.PAID,
        payment_reference=payment_reference.strip()[:120],
    )


def withdrawal_reject(*, actor: Any, withdrawal: WithdrawalRequest, reason: str) -> WithdrawalRequest:
    if not reason.strip():
        raise field_error("reason", "Tell the affiliate why.", Code.INVALID)
    return _transition(
        actor=actor,
        withdrawal=withdrawal,
        to=WithdrawalStatus.REJECTED,
        rejection_reason=reason.strip()[:500],
    )
