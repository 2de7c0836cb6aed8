"""Paying for an order: placing it and starting the payment (a Stripe Checkout session or the
bank transfer's instructions), the Checkout session's completion and expiry, card refunds and
the expiry of unpaid reservations. The payment's own state machine is ``payments.services.payments``.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import stripe
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from core.audit import audit_log
from core.errors import field_error
from core.tenancy import tenant_connection
from marketplace.models import Order, OrderStatus, Product
from marketplace.services.orders import order_cancel, order_place, orders_due_for_expiry
from marketplace.services.refunds import RefundResult, order_refund_apply
from payments.models import Payment, PaymentProvider, PaymentPurpose, PaymentStatus
from payments.providers import provider_for
from payments.services.payments import (
    BankTransferInstructions,
    bank_transfer_instructions,
    new_payment_reference,
    payer_details_clean,
    payment_confirm,
    payment_fail,
    payment_publish,
    payment_start_bank_transfer,
)
from payments.services.payments import PaymentErrorCode as Code
from payments.stripe_client import (
    brand_metadata,
    from_minor_units,
    object_id,
    plain,
    provider_error,
    request_options,
    stripe_client,
    stripe_route_record,
    to_minor_units,
)
from tenants.selectors import brand_base_url

logger = logging.getLogger(__name__)

# Stripe refuses Checkout sessions that expire sooner than 30 minutes after they are created.
STRIPE_MIN_SESSION_MINUTES = 31
# A delayed payment method (SEPA Direct Debit, Bacs, ACH...) confirms or fails days after the
# Checkout completes: up to 14 business days for SEPA. The order's stock stays held that long.
ASYNC_PAYMENT_HOLD = dt.timedelta(days=21)


# --- Stripe Checkout ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckoutResult:
    order: Order
    payment: Payment
    checkout_url: str = ""  # Stripe: where to send the customer
    bank_transfer: BankTransferInstructions | None = None


def _brand_url(path: str) -> str:
    return brand_base_url(tenant_connection().tenant) + path


def _stripe_session_create(payment: Payment) -> str:
    """The Checkout session of an order's payment (the same one on a replay: same idempotency key,
    same parameters); returns its URL."""
    order = payment.order
    assert order is not None
    metadata = brand_metadata(purpose="order", order=order.number, payment_reference=payment.reference)
    params: dict[str, Any] = {
        "mode": "payment",
        "client_reference_id": payment.reference,
        "customer_email": order.email,
        "line_items": [
            {
                "quantity": line.quantity,
                "price_data": {
                    "currency": order.currency.lower(),
                    "unit_amount": to_minor_units(line.unit_price, order.currency),
                    "product_data": {"name": line.title, "metadata": {"product": str(line.product_id)}},
                },
            }
            for line in order.lines.order_by("pk")
        ],
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata},
        "success_url": _brand_url(
            f"/orders/{order.number}?checkout=success&session_id={{CHECKOUT_SESSION_ID}}"
        ),
        "cancel_url": _brand_url(f"/orders/{order.number}?checkout=cancelled"),
        "expires_at": int(order.reserved_until.timestamp()),
    }
    session = stripe_client().v1.checkout.sessions.create(
        params=params,  # type: ignore[arg-type]
        options=request_options("checkout", payment.reference),
    )
    stripe_route_record(session.id, "checkout.session")
    Payment.objects.filter(pk=payment.pk).update(stripe_checkout_session_id=session.id)
    payment.stripe_checkout_session_id = session.id
    return str(session.url or "")


def _stripe_session_url(payment: Payment) -> str:
    session = stripe_client().v1.checkout.sessions.retrieve(str(payment.stripe_checkout_session_id))
    return str(session.url or "") if session.status == "open" else ""


def order_checkout(
    *,
    customer: User,
    items: Sequence[tuple[Product | int, int]],
    provider: str,
    click_id: str | uuid.UUID | None = None,
    coupon_code: str = "",
    idempotency_key: str | None = None,
    email: str = "",
    payer_name: str = "",
    payer_email: str = "",
    contact_channel: str = "",
    contact: str = "",
) -> CheckoutResult:
    """Place an order and start paying for it: a Stripe Checkout URL, or the bank details and the
    reference to quote. Everything the customer can get wrong is checked before anything is
    written. A free order (every deal at 0) is paid at once.

    The Stripe session is created after the order's transaction commits: holding the reserved
    products' row locks over a call to Stripe would make every other buyer of those deals wait on
    it. If Stripe cannot be reached the order is cancelled at once and its stock returned.
    """
    if provider not in (PaymentProvider.BANK_TRANSFER, PaymentProvider.STRIPE):
        raise field_error("provider", "Pay by card or by bank transfer.", Code.PROVIDER_UNAVAILABLE)
    if provider == PaymentProvider.BANK_TRANSFER:
        payer_details_clean(
            name=payer_name, email=payer_email, contact_channel=contact_channel, contact=contact
        )
    method = provider_for(provider)
    if not method.is_available():
        raise field_error("provider", method.unavailable_message, Code.PROVIDER_UNAVAILABLE)
    with transaction.atomic():
        order = order_place(
            customer=customer,
            items=items,
            provider=provider,
            click_id=click_id,
            coupon_code=coupon_code,
            idempotency_key=idempotency_key,
            email=email,
        )
        # A concurrent replay of the same idempotency key waits here for this one's payment.
        order = Order.objects.select_for_update().get(pk=order.pk)
        payment = order.payments.order_by("pk").last()
        if payment is None and order.total == 0:
            payment = Payment.objects.create(
                reference=new_payment_reference(),
                provider=PaymentProvider.FREE,
                purpose=PaymentPurpose.ORDER,
                order=order,
                amount=order.total,
                currency=order.currency,
                payer=customer,
                payer_name=customer.full_name,
                payer_email=order.email,
            )
            payment = payment_confirm(payment=payment, actor=None)
        elif payment is None and provider == PaymentProvider.BANK_TRANSFER:
            instructions = payment_start_bank_transfer(
                payer=customer,
                payer_name=payer_name,
                payer_email=payer_email,
                contact_channel=contact_channel,
                contact=contact,
                order=order,
                amount=order.total,
                currency=order.currency,
            )
            return CheckoutResult(order=order, payment=instructions.payment, bank_transfer=instructions)
        elif payment is None:
            if order.reserved_until < timezone.now() + dt.timedelta(minutes=STRIPE_MIN_SESSION_MINUTES):
                order.reserved_until = timezone.now() + dt.timedelta(minutes=STRIPE_MIN_SESSION_MINUTES)
                order.save(update_fields=["reserved_until"])
            payment = Payment.objects.create(
                reference=new_payment_reference(),
                provider=PaymentProvider.STRIPE,
                purpose=PaymentPurpose.ORDER,
                order=order,
                amount=order.total,
                currency=order.currency,
                payer=customer,
                payer_name=customer.full_name,
                payer_email=order.email,
            )
            audit_log(actor=customer, action="payment.started", target=payment, provider=payment.provider)
    if payment.provider == PaymentProvider.BANK_TRANSFER:
        return CheckoutResult(order=order, payment=payment, bank_transfer=bank_transfer_instructions(payment))
    if payment.provider != PaymentProvider.STRIPE or payment.status != PaymentStatus.PENDING:
        return CheckoutResult(order=order, payment=payment)
    try:
        if payment.stripe_checkout_session_id:
            url = _stripe_session_url(payment)
        else:
            url = _stripe_session_create(payment)
    except stripe.StripeError as error:
        with transaction.atomic():
            payment_fail(payment, f"Stripe: {error}")
            order = order_cancel(order=order, actor=None, reason="the card payment could not be started")
        raise provider_error(error) from error
    return CheckoutResult(order=order, payment=payment, checkout_url=url)


def _refund_unfulfillable(payment: Payment, payment_intent: str) -> None:
    """A card payment for an order that cannot be honoured (it was cancelled and its deals sold out
    meanwhile, or it was already paid): the money goes straight back."""
    try:
        stripe_client().v1.refunds.create(
            params={"payment_intent": payment_intent, "metadata": brand_metadata(reason="order_cancelled")},
            options=request_options("refund-unfulfillable", payment.reference),
        )
    except stripe.StripeError:
        logger.exception("could not refund the unfulfillable payment %s", payment.reference)
        raise
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.status in (PaymentStatus.PENDING, PaymentStatus.FAILED):
            locked.status = PaymentStatus.REFUNDED
            locked.transaction_id = payment_intent
            locked.rejection_reason = "The order could not be honoured any more: the payment was refunded."
            locked.save(update_fields=["status", "transaction_id", "rejection_reason", "updated_at"])
            audit_log(actor=None, action="payment.refunded_unfulfillable", target=locked)
            payment_publish(locked)


def payment_checkout_completed(session: Mapping[str, Any]) -> Payment | None:
    """``checkout.session.completed`` (or ``async_payment_succeeded``) for an order: confirm its
    payment, once however often the event arrives, with the payment intent as transaction id.
    None for a session this brand does not know."""
    payment = (
        Payment.objects.select_related("order")
        .filter(stripe_checkout_session_id=str(session.get("id")))
        .first()
    )
    if payment is None:
        return None
    if session.get("payment_status") != "paid":
        _async_payment_hold(payment, session)  # a delayed method (a bank debit) on its way
        return payment
    if payment.status == PaymentStatus.FAILED:  # given up on (expired, cancelled): Stripe took it anyway
        _refund_unfulfillable(payment, object_id(session.get("payment_intent")))
        payment.refresh_from_db()
        return payment
    if payment.status != PaymentStatus.PENDING:
        return payment  # already applied
    amount = session.get("amount_total")
    currency = str(session.get("currency") or "").upper()
    if amount != to_minor_units(payment.amount, payment.currency) or currency != payment.currency:
        logger.error("checkout session %s paid %s %s for %s", session.get("id"), amount, currency, payment)
        audit_log(
            actor=None, action="payment.amount_mismatch", target=payment, amount=amount, currency=currency
        )
        return payment
    payment_intent = object_id(session.get("payment_intent"))
    stripe_route_record(payment_intent, "payment_intent")
    try:
        return payment_confirm(payment=payment, actor=None, transaction_id=payment_intent)
    except ValidationError as error:
        codes = {item.code for items in error.error_dict.values() for item in items}
        if "ILLEGAL_TRANSITION" in codes:  # confirmed concurrently by a redelivery
            payment.refresh_from_db()
            return payment
        if "ORDER_CANCELLED" in codes or "ALREADY_PAID" in codes:
            _refund_unfulfillable(payment, payment_intent)
            payment.refresh_from_db()
            return payment
        raise


def _async_payment_hold(payment: Payment, session: Mapping[str, Any]) -> None:
    """The customer completed Checkout with a delayed method: the order stays reserved (its stock
    held) until ``async_payment_succeeded`` or ``_failed``, instead of the session's window."""
    if session.get("status") != "complete" or payment.status != PaymentStatus.PENDING:
        return
    order = payment.order
    if order is None or order.status != OrderStatus.PENDING_PAYMENT:
        return
    hold_until = timezone.now() + ASYNC_PAYMENT_HOLD
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if locked.status != OrderStatus.PENDING_PAYMENT or locked.reserved_until >= hold_until:
            return
        locked.reserved_until = hold_until
        locked.save(update_fields=["reserved_until"])
        payment_intent = object_id(session.get("payment_intent"))
        if payment_intent:
            stripe_route_record(payment_intent, "payment_intent")
        audit_log(
            actor=None,
            action="order.async_payment_pending",
            target=locked,
            payment=payment.reference,
            reserved_until=hold_until.isoformat(),
        )


def payment_checkout_async_failed(session: Mapping[str, Any]) -> Payment | None:
    """``checkout.session.async_payment_failed``: the delayed payment (a bank debit) did not go
    through; the payment fails and the order is cancelled, its stock returned. Once, whatever the
    order of events (a session paid after all, as the webhook re-read it, is left alone)."""
    payment = (
        Payment.objects.select_related("order")
        .filter(stripe_checkout_session_id=str(session.get("id")))
        .first()
    )
    if payment is None or payment.status != PaymentStatus.PENDING:
        return payment
    if session.get("payment_status") == "paid":
        return payment_checkout_completed(session)
    with transaction.atomic():
        payment_fail(payment, "The delayed payment failed (e.g. the bank refused the debit).")
        if payment.order is not None and payment.order.status == OrderStatus.PENDING_PAYMENT:
            order_cancel(order=payment.order, actor=None, reason="the delayed payment failed")
    payment.refresh_from_db()
    return payment


def payment_checkout_expired(session: Mapping[str, Any]) -> Payment | None:
    """``checkout.session.expired``: the customer never paid; the order is cancelled."""
    payment = (
        Payment.objects.select_related("order")
        .filter(stripe_checkout_session_id=str(session.get("id")))
        .first()
    )
    if payment is None or payment.status != PaymentStatus.PENDING:
        return payment
    with transaction.atomic():
        payment_fail(payment, "The Checkout session expired.")
        if payment.order is not None and payment.order.status == OrderStatus.PENDING_PAYMENT:
            order_cancel(order=payment.order, actor=None, reason="the card payment was not completed")
    payment.refresh_from_db()
    return payment


# --- refunds -------------------------------------------------------------------------------------


def _units_metadata(units: Mapping[int, int] | None) -> str:
    return ",".join(f"{line_id}:{count}" for line_id, count in sorted((units or {}).items()))


def _units_parse(value: str) -> dict[int, int] | None:
    units = {}
    for part in (value or "").split(","):
        line_id, _, count = part.partition(":")
        if line_id.isdigit() and count.isdigit():
            units[int(line_id)] = int(count)
    return units or None


def _order_card_payment(order: Order) -> Payment:
    payment = (
        Payment.objects.filter(
            order=order,
            provider=PaymentProvider.STRIPE,
            status__in=[PaymentStatus.CONFIRMED, PaymentStatus.REFUNDED],
        )
        .exclude(transaction_id="")
        .first()
    )
    if payment is None:
        raise field_error("order", "This order has no card payment to refund.", Code.NOT_FOUND)
    return payment


def payment_stripe_refund_create(
    *, order: Order, amount: Decimal, units: Mapping[int, int] | None, refund_id: str, reason: str = ""
) -> str:
    """Refund ``amount`` of an order's card payment in Stripe (idempotent per ``refund_id``) and
    return Stripe's refund id. Our refund id and the refunded units travel in the refund's
    metadata, so the ``charge.refunded`` webhook applies the same refund the same way."""
    payment = _order_card_payment(order)
    metadata = brand_metadata(
        order=order.number, refund_id=refund_id, units=_units_metadata(units), reason=reason[:200]
    )
    try:
        refund = stripe_client().v1.refunds.create(
            params={
                "payment_intent": payment.transaction_id,
                "amount": to_minor_units(amount, order.currency),
                "metadata": metadata,
            },
            options=request_options("refund", order.number, refund_id),
        )
    except stripe.StripeError as error:
        raise provider_error(error) from error
    audit_log(
        actor=None, action="order.refund_sent", target=order, refund_id=refund_id, stripe_refund=refund.id
    )
    return str(refund.id)


def payment_stripe_charge_refunded(charge: Mapping[str, Any]) -> list[RefundResult]:
    """``charge.refunded`` of an order's card payment: apply each of the charge's refunds once
    (those made through ``orderRefund`` are already applied; those made in Stripe's dashboard are
    applied here, by amount unless their metadata names units)."""
    payment_intent = object_id(charge.get("payment_intent"))
    payment = (
        Payment.objects.select_related("order")
        .filter(
            provider=PaymentProvider.STRIPE,
            purpose=PaymentPurpose.ORDER,
            transaction_id=payment_intent,
            confirmed_at__isnull=False,  # the payment that paid the order, not one sent straight back
        )
        .first()
    )
    if payment is None or payment.order is None or not payment_intent:
        return []
    refunds = (charge.get("refunds") or {}).get("data")
    if refunds is None:  # not included in the charge since API version 2022-11-15
        listed = stripe_client().v1.refunds.list(params={"payment_intent": payment_intent, "limit": 100})
        refunds = [plain(refund) for refund in listed.data]
    results = []
    for refund in sorted(refunds, key=lambda item: item.get("created") or 0):
        if refund.get("status") not in ("succeeded", "pending"):
            continue
        metadata = refund.get("metadata") or {}
        units = _units_parse(metadata.get("units", ""))
        try:
            results.append(
                order_refund_apply(
                    order=payment.order,
                    refund_id=str(metadata.get("refund_id") or refund["id"]),
                    actor=None,
                    amount=None if units else from_minor_units(refund["amount"], payment.currency),
                    lines=units,
                    reason=metadata.get("reason", "") or "refunded in Stripe",
                )
            )
        except ValidationError as error:
            logger.error("refund %s of %s not applied: %s", refund.get("id"), payment.order.number, error)
            audit_log(
                actor=None,
                action="order.refund_not_applied",
                target=payment.order,
                refund_id=refund.get("id"),
            )
    return results


# --- reservations running out --------------------------------------------------------------------


def _close_stripe_session(payment: Payment) -> bool:
    """Expire the payment's open Checkout session, so that nobody can pay for an order being
    cancelled. False when the session turns out to be paid (it is confirmed here) or Stripe cannot
    be reached (the order waits for the next run)."""
    if not payment.stripe_checkout_session_id:
        return True
    client = stripe_client()
    try:
        client.v1.checkout.sessions.expire(payment.stripe_checkout_session_id)
        return True
    except stripe.InvalidRequestError:
        try:
            session = plain(client.v1.checkout.sessions.retrieve(payment.stripe_checkout_session_id))
        except stripe.StripeError:
            return False
        if session.get("status") == "complete":
            payment_checkout_completed(session)
            return False
        return session.get("status") == "expired"
    except stripe.StripeError:
        logger.warning("could not expire checkout session %s", payment.stripe_checkout_session_id)
        return False


def order_reservations_expire(now: dt.datetime | None = None) -> int:
    """Cancel unpaid orders whose reservation ran out and return their stock (beat job). Each order
    goes in its own transaction, so a redelivered job or two workers cancel each order once."""
    cancelled = 0
    for order_id in orders_due_for_expiry(now):
        order = Order.objects.get(pk=order_id)
        pending = list(order.payments.filter(status=PaymentStatus.PENDING).order_by("pk"))
        if not all(
            _close_stripe_session(payment)
            for payment in pending
            if payment.provider == PaymentProvider.STRIPE
        ):
            continue
        with transaction.atomic():
            locked = Order.objects.select_for_update().get(pk=order_id)
            if locked.status != OrderStatus.PENDING_PAYMENT:
                continue
            for payment in pending:
                try:
                    payment_fail(payment, "The reservation ran out before the payment arrived.")
                except ValidationError:
                    continue  # it moved on meanwhile (submitted, confirmed)
            if locked.payments.filter(
                status__in=[
                    PaymentStatus.TRANSACTION_SUBMITTED,
                    PaymentStatus.VERIFIED,
                    PaymentStatus.CONFIRMED,
                ]
            ).exists():
                continue
            order_cancel(order=locked, actor=None, reason="the reservation ran out")
            cancelled += 1
    return cancelled


def order_cancel_unpaid(*, order: Order, actor: User) -> Order:
    """The customer gives up an order awaiting payment: its open Checkout session is expired first
    (nobody can pay for it any more), its pending payments fail and its stock comes back. An order
    whose bank transfer was reported waits for the brand admin's decision instead."""
    in_review = [PaymentStatus.TRANSACTION_SUBMITTED, PaymentStatus.VERIFIED]
    if order.payments.filter(status__in=in_review).exists():
        raise field_error(
            "order",
            "You reported a transfer for this order: the brand is checking it.",
            Code.PAYMENT_IN_REVIEW,
        )
    pending = list(order.payments.filter(status=PaymentStatus.PENDING).order_by("pk"))
    for payment in pending:
        if payment.provider == PaymentProvider.STRIPE and not _close_stripe_session(payment):
            raise field_error(
                "order",
                "The card payment could not be stopped (it may have just gone through);"
                " look again in a minute.",
                Code.PAYMENT_PROVIDER_ERROR,
            )
    with transaction.atomic():
        for payment in pending:
            try:
                payment_fail(payment, "The customer cancelled the order.")
            except ValidationError:
                continue  # it moved on meanwhile; order_cancel below decides
        return order_cancel(order=order, actor=actor, reason="cancelled by the customer")
