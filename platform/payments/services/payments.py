"""Payments of orders and subscriptions: Stripe Checkout for orders, and the manual bank transfer
for orders, merchant plans and memberships.

Bank transfer: pending → transaction_submitted (the payer quotes the bank transaction id) →
verified (a brand admin found the money) → confirmed, or rejected from any of the first three.
Stripe: pending → confirmed (the Checkout session is paid) or failed. Every change is audited,
published live (the payer's ``payment.<id>`` topic and the admins' ``payments`` queue) and
happens under the payment's row lock, so a confirmation raced by two admins or by a webhook and
its redelivery happens once: one order paid (or subscription activated), one invoice, one ledger
transaction.

This module never calls the apps a payment pays for. It emits ``payment.confirmed``,
``payment.rejected`` and ``payment.refunded`` (``core.events``) in the payment's transaction;
``marketplace`` and ``billing`` subscribe (``<app>/subscribers.py``). What it must know of the
subject (invoice lines, a deadline) it asks ``payments.purposes``; which provider may make which
move, ``payments.providers``.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from accounts.models import User
from core.audit import audit_log
from core.errors import field_error
from core.events import emit, publish_on_commit
from core.ids import readable_code
from notifications.services import notify_brand
from payments.error_codes import PaymentErrorCode
from payments.models import (
    BillingSettings,
    ContactChannel,
    Payment,
    PaymentProvider,
    PaymentPurpose,
    PaymentStatus,
)
from payments.providers import PROVIDERS, provider_for
from payments.purposes import purpose_hooks
from payments.services.invoices import billing_settings, invoice_issue

logger = logging.getLogger(__name__)

PAYMENT_EVENT = "payment.updated"
ADMIN_QUEUE_TOPIC = "payments"


Code = PaymentErrorCode

# The moves each provider's status machine allows (see ``payments.providers``).
TRANSITIONS: dict[str, Mapping[str, frozenset[str]]] = {
    identifier: provider.transitions for identifier, provider in PROVIDERS.items()
}

# Telegram usernames: 5 to 32 characters, letters, digits and underscores, starting with a letter.
TELEGRAM_HANDLE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,30}[A-Za-z0-9]$")
# Discord's usernames since 2023: 2 to 32 lowercase letters, digits, "_" and ".", no "..".
DISCORD_USERNAME = re.compile(r"^(?!.*\.\.)[a-z0-9_.]{2,32}$")
E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
TRANSACTION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ./:_#-]{2,119}$")


def payment_topic(payment_id: int) -> str:
    return f"payment.{payment_id}"


def new_payment_reference() -> str:
    """What the payer quotes on the transfer: short, unambiguous, unguessable (50 random bits)."""
    return "PAY-" + readable_code(10)


def payment_publish(payment: Payment) -> None:
    payload = {"id": payment.pk, "reference": payment.reference, "status": payment.status}
    for topic in (payment_topic(payment.pk), ADMIN_QUEUE_TOPIC):
        publish_on_commit(topic=topic, message_type=PAYMENT_EVENT, payload=payload)


def _notify_brand(event: str, text: str) -> None:
    notify_brand(event, text)


# --- the payer's details ---------------------------------------------------------------------


@dataclass(frozen=True)
class PayerDetails:
    name: str
    email: str
    contact_channel: str
    contact: str


def contact_clean(channel: str, value: str) -> str:
    """A contact the brand can reach the payer on, checked against the channel's own rules."""
    value = (value or "").strip()
    if channel == ContactChannel.EMAIL:
        email = value.lower()
        try:
            validate_email(email)
        except ValidationError as error:
            raise field_error("contact", "Enter a valid email address.", Code.INVALID_CONTACT) from error
        return email
    if channel == ContactChannel.TELEGRAM:
        handle = value.removeprefix("https://t.me/").removeprefix("t.me/").lstrip("@")
        if not TELEGRAM_HANDLE.match(handle) or "__" in handle:
            raise field_error(
                "contact",
                "A Telegram username has 5 to 32 letters, digits or underscores, e.g. @ana_doe.",
                Code.INVALID_CONTACT,
            )
        return f"@{handle}"
    if channel == ContactChannel.WHATSAPP:
        number = re.sub(r"[\s().-]", "", value)
        if number.startswith("00"):
            number = "+" + number[2:]
        if not E164.match(number):
            raise field_error(
                "contact",
                "Give the WhatsApp number in international format, e.g. +212612345678.",
                Code.INVALID_CONTACT,
            )
        return number
    if channel == ContactChannel.DISCORD:
        username = value.lstrip("@").lower()
        if not DISCORD_USERNAME.match(username):
            raise field_error(
                "contact",
                "A Discord username has 2 to 32 lowercase letters, digits, _ or . (no “..”).",
                Code.INVALID_CONTACT,
            )
        return username
    raise field_error("contactChannel", "Choose email, Telegram, WhatsApp or Discord.", Code.INVALID_CONTACT)


def payer_details_clean(*, name: str, email: str, contact_channel: str, contact: str) -> PayerDetails:
    """Name, email and a contact, every problem reported at once. The contact is by email unless
    the payer picks Telegram, WhatsApp or Discord; an email contact left blank is the payer's
    email."""
    errors: dict[str, ValidationError] = {}
    name = " ".join((name or "").split())
    if not name:
        errors["payer_name"] = ValidationError("Give the name the transfer comes from.", code=Code.REQUIRED)
    elif len(name) > 120:
        errors["payer_name"] = ValidationError("Keep the name under 120 characters.", code=Code.INVALID)
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        errors["payer_email"] = ValidationError("Enter a valid email address.", code=Code.INVALID_EMAIL)
    cleaned_contact = ""
    contact_channel = contact_channel or ContactChannel.EMAIL
    if contact_channel == ContactChannel.EMAIL and not (contact or "").strip():
        cleaned_contact = email  # reported above when it is not an email
    else:
        try:
            cleaned_contact = contact_clean(contact_channel, contact)
        except ValidationError as error:
            errors.update({field: ValidationError(items) for field, items in error.error_dict.items()})
    if errors:
        raise ValidationError(errors)
    return PayerDetails(name=name, email=email, contact_channel=contact_channel, contact=cleaned_contact)


# --- bank transfer -----------------------------------------------------------------------------


@dataclass(frozen=True)
class BankTransferInstructions:
    """What the payer needs to make the transfer: the amount, the brand's account and the
    reference to quote."""

    payment: Payment
    reference: str
    amount: Decimal
    currency: str
    account_holder: str
    bank_name: str
    iban: str
    bic: str
    rib: str
    instructions: str
    pay_before: dt.datetime | None


def bank_transfer_available(settings_row: BillingSettings | None = None) -> bool:
    if settings_row is None:
        return provider_for(PaymentProvider.BANK_TRANSFER).is_available()
    return bool(settings_row.bank_account_holder and (settings_row.bank_iban or settings_row.bank_rib))


def bank_transfer_instructions(payment: Payment) -> BankTransferInstructions:
    row = billing_settings()
    return BankTransferInstructions(
        payment=payment,
        reference=payment.reference,
        amount=payment.amount,
        currency=payment.currency,
        account_holder=row.bank_account_holder,
        bank_name=row.bank_name,
        iban=row.bank_iban,
        bic=row.bank_bic,
        rib=row.bank_rib,
        instructions=row.bank_instructions,
        pay_before=purpose_hooks(payment.purpose).pay_before(payment),
    )


def _subject(
    order: Model | None, merchant_subscription: Model | None, membership: Model | None
) -> tuple[str, dict[str, Any]]:
    """(purpose, subject fields) of what a payment pays for."""
    subjects = [subject for subject in (order, merchant_subscription, membership) if subject is not None]
    if len(subjects) != 1:
        raise TypeError("a payment pays for exactly one order, merchant plan or membership")
    if order is not None:
        return PaymentPurpose.ORDER, {"order": order}
    if merchant_subscription is not None:
        return PaymentPurpose.MERCHANT_PLAN, {"merchant_subscription": merchant_subscription}
    return PaymentPurpose.MEMBERSHIP, {"membership": membership}


def payment_start_bank_transfer(
    *,
    payer: User,
    payer_name: str,
    payer_email: str,
    contact_channel: str,
    contact: str,
    amount: Decimal,
    currency: str,
    # Rows of the apps above (marketplace.Order, billing.MerchantSubscription, billing.Membership,
    # billing.MerchantPlan): Payment names them by string, this module does not import them.
    order: Any = None,
    merchant_subscription: Any = None,
    membership: Any = None,
    merchant_plan: Any = None,
    period_start: dt.datetime | None = None,
    period_end: dt.datetime | None = None,
) -> BankTransferInstructions:
    """Open a bank-transfer payment of ``amount`` for an order, a merchant plan (``merchant_plan``:
    the plan this period pays for) or a membership and return what the payer must do. Only one
    payment of a subject is open at a time: asking again returns the open one."""
    details = payer_details_clean(
        name=payer_name, email=payer_email, contact_channel=contact_channel, contact=contact
    )
    row = billing_settings()
    if not bank_transfer_available(row):
        raise field_error(
            "provider", "This brand does not take bank transfers yet.", Code.PROVIDER_UNAVAILABLE
        )
    purpose, subject = _subject(order, merchant_subscription, membership)
    with transaction.atomic():
        open_payment = (
            Payment.objects.select_for_update()
            .filter(
                provider=PaymentProvider.BANK_TRANSFER,
                status__in=[
                    PaymentStatus.PENDING,
                    PaymentStatus.TRANSACTION_SUBMITTED,
                    PaymentStatus.VERIFIED,
                ],
                **subject,
            )
            .first()
        )
        if open_payment is not None:
            return bank_transfer_instructions(open_payment)
        payment = Payment.objects.create(
            reference=new_payment_reference(),
            provider=PaymentProvider.BANK_TRANSFER,
            purpose=purpose,
            amount=amount,
            currency=currency,
            merchant_plan=merchant_plan,
            payer=payer,
            payer_name=details.name,
            payer_email=details.email,
            payer_contact_channel=details.contact_channel,
            payer_contact=details.contact,
            period_start=period_start,
            period_end=period_end,
            **subject,
        )
        audit_log(
            actor=payer,
            action="payment.started",
            target=payment,
            provider=payment.provider,
            purpose=purpose,
            amount=str(payment.amount),
            currency=payment.currency,
        )
        payment_publish(payment)
    return bank_transfer_instructions(payment)


# --- transitions -------------------------------------------------------------------------------


def _illegal(payment: Payment, to: str) -> ValidationError:
    current = PaymentStatus(payment.status).label.lower()
    target = PaymentStatus(to).label.lower()
    return field_error(
        "status", f"A payment that is {current} cannot become {target}.", Code.ILLEGAL_TRANSITION
    )


def _transition(payment: Payment, to: str) -> Payment:
    """The payment, locked, after checking the move; the caller saves it."""
    locked = Payment.objects.select_for_update(of=("self",)).get(pk=payment.pk)
    if locked.provider not in PROVIDERS or not provider_for(locked.provider).can_move(locked.status, to):
        raise _illegal(locked, to)
    locked.status = to
    return locked


def payment_for_payer(payment: Payment, actor: User) -> None:
    if payment.payer_id != getattr(actor, "pk", None):
        raise field_error("reference", "No payment of yours has this reference.", Code.NOT_FOUND)


def payment_submit_transaction(*, payment: Payment, actor: User, transaction_id: str) -> Payment:
    """The payer says they made the transfer and gives the bank's transaction id."""
    payment_for_payer(payment, actor)
    transaction_id = " ".join((transaction_id or "").split())
    if not TRANSACTION_ID.match(transaction_id):
        raise field_error(
            "transactionId",
            "Give the transaction id from your bank (3 to 120 letters, digits and . / : _ # -).",
            Code.INVALID_TRANSACTION_ID,
        )
    with transaction.atomic():
        locked = _transition(payment, PaymentStatus.TRANSACTION_SUBMITTED)
        refusal = purpose_hooks(locked.purpose).transfer_refusal(locked)
        if refusal:
            raise field_error("reference", refusal, Code.RESERVATION_EXPIRED)
        locked.transaction_id = transaction_id
        locked.submitted_at = timezone.now()
        locked.save(update_fields=["status", "transaction_id", "submitted_at", "updated_at"])
        audit_log(
            actor=actor, action="payment.transaction_submitted", target=locked, transaction_id=transaction_id
        )
        payment_publish(locked)
        _notify_brand(
            "manual_payment.submitted",
            f"Bank transfer to verify: {locked.reference}, {locked.amount} {locked.currency} from "
            f"{locked.payer_name} (transaction {transaction_id}).",
        )
    return locked


def payment_verify(*, payment: Payment, actor: User) -> Payment:
    """A brand admin found the transfer on the brand's account."""
    with transaction.atomic():
        locked = _transition(payment, PaymentStatus.VERIFIED)
        locked.verified_at = timezone.now()
        locked.verified_by = actor
        locked.save(update_fields=["status", "verified_at", "verified_by", "updated_at"])
        audit_log(actor=actor, action="payment.verified", target=locked)
        payment_publish(locked)
    return locked


def payment_event_payload(payment: Payment) -> dict[str, Any]:
    """The payload of the ``payment.*`` events (see ``core/events/catalog.py``)."""
    return {
        "payment_id": payment.pk,
        "reference": payment.reference,
        "provider": payment.provider,
        "purpose": payment.purpose,
        "amount": str(payment.amount),
        "currency": payment.currency,
        "order_id": payment.order_id,
    }


def payment_confirm(*, payment: Payment, actor: User | None, transaction_id: str = "") -> Payment:
    """Confirm a payment: the order is paid or the subscription activated, and the invoice issued,
    exactly once. A bank transfer must have been verified first."""
    with transaction.atomic():
        locked = _transition(payment, PaymentStatus.CONFIRMED)
        locked.confirmed_at = timezone.now()
        locked.confirmed_by = actor
        if transaction_id:
            locked.transaction_id = transaction_id[:120]
        locked.save(update_fields=["status", "confirmed_at", "confirmed_by", "transaction_id", "updated_at"])
        # What was paid for starts in this transaction (marketplace pays the order, billing starts
        # the period: in-transaction subscribers of payment.confirmed), then the invoice is
        # issued: a failure of either rolls the confirmation back.
        emit("payment.confirmed", payment_event_payload(locked))
        locked.refresh_from_db()  # a subscriber may have set the period it pays (a bank transfer's)
        invoice_issue(locked)
        audit_log(
            actor=actor,
            action="payment.confirmed",
            target=locked,
            provider=locked.provider,
            transaction_id=locked.transaction_id,
        )
        payment_publish(locked)
        _notify_brand(
            "payment.confirmed",
            f"Payment confirmed: {locked.reference}, {locked.amount} {locked.currency}"
            f" ({locked.get_purpose_display()}).",
        )
    return locked


def payment_reject(*, payment: Payment, actor: User, reason: str) -> Payment:
    """A brand admin refuses a bank transfer (not received, wrong amount…); a rejected order
    payment cancels the order and returns its stock."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise field_error("reason", "Tell the payer why.", Code.REQUIRED)
    with transaction.atomic():
        locked = _transition(payment, PaymentStatus.REJECTED)
        locked.rejected_at = timezone.now()
        locked.rejection_reason = reason[:500]
        locked.save(update_fields=["status", "rejected_at", "rejection_reason", "updated_at"])
        # marketplace cancels an order awaiting this payment (in-transaction subscriber)
        emit(
            "payment.rejected",
            {
                **payment_event_payload(locked),
                "reason": locked.rejection_reason,
                "rejected_by_id": getattr(actor, "pk", None),
            },
        )
        audit_log(actor=actor, action="payment.rejected", target=locked, reason=reason[:500])
        payment_publish(locked)
    return locked


def payment_fail(payment: Payment, reason: str) -> None:
    locked = _transition(payment, PaymentStatus.FAILED)
    locked.rejection_reason = reason[:500]
    locked.save(update_fields=["status", "rejection_reason", "updated_at"])
    audit_log(actor=None, action="payment.failed", target=locked, reason=reason)
    payment_publish(locked)


def payment_refund_record(*, payment: Payment, amount: Decimal, refunded_in_full: bool) -> Payment:
    """Money of a confirmed payment went back to the payer (``amount`` by this refund, sent by
    the caller through the provider): ``payment.refunded`` is emitted, and a payment refunded in
    full becomes REFUNDED. Call it in the refund's transaction, once per refund."""
    with transaction.atomic():
        locked = Payment.objects.select_for_update(of=("self",)).get(pk=payment.pk)
        if refunded_in_full and locked.status == PaymentStatus.CONFIRMED:
            locked.status = PaymentStatus.REFUNDED
            locked.save(update_fields=["status", "updated_at"])
        emit("payment.refunded", {**payment_event_payload(locked), "refunded_amount": amount})
    return locked
