"""Stripe's subscription and invoice events applied to the brand's rows (the webhook calls these
inside the brand's schema and transaction): a subscription's state, a paid invoice becoming a
confirmed payment (and so an invoice of ours, revenue in the ledger, a referrer's commission), a
failed payment. Late events are reconciled against the subscription's current state."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import stripe
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from billing.models import Membership, MerchantPlan, MerchantSubscription, SubscriptionStatus
from billing.services.stripe_sync import (
    StripeSubscription,
    SubscriptionRow,
    plain,
    provider_error,
    subscription_apply,
    subscription_fetch_apply,
    timestamp,
)
from core.audit import audit_log
from payments.models import Payment, PaymentProvider, PaymentPurpose
from payments.services.payments import new_payment_reference, payment_confirm
from payments.stripe_client import (
    from_minor_units,
    invoice_subscription_id,
    stripe_client,
    stripe_route_record,
)

if TYPE_CHECKING:
    pass


logger = logging.getLogger(__name__)


def _invoice_period(invoice: Mapping[str, Any]) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The service period an invoice pays: its subscription lines' period (a renewal invoice's
    own ``period_*`` is the period that just ended)."""
    starts, ends = [], []
    for line in ((invoice.get("lines") or {}).get("data")) or []:
        period = line.get("period") or {}
        if period.get("start") and period.get("end"):
            starts.append(int(period["start"]))
            ends.append(int(period["end"]))
    if not starts:
        return timestamp(invoice.get("period_start")), timestamp(invoice.get("period_end"))
    return timestamp(min(starts)), timestamp(max(ends))


def _row_linked(subscription_id: str, metadata: Mapping[str, Any]) -> SubscriptionRow | None:
    """The (locked) row of a Stripe subscription, linking it if the row named in its metadata
    is waiting for one. Linking always reads the subscription's current state, and an ended
    subscription never takes the place of the one awaited (a late event of the merchant's
    previous subscription, after they started over)."""
    from billing.services.stripe_sync import subscription_row_for

    probe = StripeSubscription.parse({"id": subscription_id, "metadata": dict(metadata)})
    row = subscription_row_for(probe, lock=True)
    if row is None or row.stripe_subscription_id == subscription_id:
        return row
    try:
        raw = plain(stripe_client().v1.subscriptions.retrieve(subscription_id))
    except stripe.StripeError as error:
        raise provider_error(error) from error
    current = StripeSubscription.parse(raw)
    if current.status == SubscriptionStatus.CANCELED:
        return None
    subscription_apply(row, current, stamp=timezone.now())
    return row


def stripe_subscription_event(subscription_object: Mapping[str, Any], *, created: dt.datetime) -> str:
    """Apply a ``customer.subscription.*`` event.

    In order (the event is newer than what the row holds): its snapshot is applied. Late (as
    old as or older than the row's state; Stripe does not guarantee order): the subscription is
    fetched again and the row reconciled against its current state, never rolled back.
    """
    incoming = StripeSubscription.parse(subscription_object)
    row = _row_linked(incoming.id, incoming.metadata)
    if row is None:
        return "not a live subscription of this brand's plans or memberships"
    if row.stripe_updated_at is not None and created <= row.stripe_updated_at:
        current = subscription_fetch_apply(row, incoming.id)
        return f"late event: reconciled with the current state ({current.stripe_status})"
    subscription_apply(row, incoming, stamp=created)
    return f"applied ({incoming.stripe_status})"


def stripe_checkout_subscription_completed(session: Mapping[str, Any]) -> str:
    """A subscription Checkout finished: link its subscription (if no event did yet)."""
    subscription_id = object_id_of(session.get("subscription"))
    if not subscription_id:
        return "no subscription on the session"
    stripe_route_record(subscription_id, "subscription")
    row = _row_linked(subscription_id, session.get("metadata") or {})
    if row is None:
        return "no subscription waiting for this session"
    return f"linked ({row.status})"


def stripe_invoice_paid(invoice: Mapping[str, Any], *, created: dt.datetime) -> str:
    """``invoice.paid`` of a plan or membership: a confirmed Stripe payment (once per invoice),
    which issues the brand's invoice, posts the revenue and, for a referred member, records the
    conversion of this payment."""
    invoice_id = str(invoice["id"])
    subscription_id = invoice_subscription_id(invoice)
    if not subscription_id:
        return "not a subscription invoice"
    if invoice.get("status") not in (None, "paid"):
        # A re-read of a late event's invoice found it not paid after all (voided, reopened):
        # no payment, no commission is ever made of an invoice that is not paid.
        return f"invoice is {invoice.get('status')}, not paid"
    amount_units = int(invoice.get("amount_paid") or 0)
    if amount_units <= 0:
        return "nothing paid (trial or credit)"
    if Payment.objects.filter(stripe_invoice_id=invoice_id).exists():
        return "payment already recorded"
    parent = (invoice.get("parent") or {}).get("subscription_details") or {}
    metadata = parent.get("metadata") or (invoice.get("subscription_details") or {}).get("metadata") or {}
    row = _row_linked(subscription_id, metadata)
    if row is None:
        return "not a live subscription of this brand's plans or memberships"
    if row.payment_failed_at is not None or row.status in (
        SubscriptionStatus.PAST_DUE,
        SubscriptionStatus.UNPAID,
    ):
        # A failing subscription recovered: its status is Stripe's to say (the event telling it
        # may come later or earlier), so it is read now; a downgraded plan is restored.
        subscription_fetch_apply(row, subscription_id)
    currency = str(invoice.get("currency") or "").upper()
    period_start, period_end = _invoice_period(invoice)
    membership = row if isinstance(row, Membership) else None
    merchant_subscription = row if isinstance(row, MerchantSubscription) else None
    member = membership.member if membership is not None else row.merchant  # type: ignore[union-attr]
    payment = stripe_payment_record(
        purpose=PaymentPurpose.MEMBERSHIP if membership is not None else PaymentPurpose.MERCHANT_PLAN,
        merchant_subscription=merchant_subscription,
        membership=membership,
        merchant_plan=merchant_subscription.plan if merchant_subscription is not None else None,
        amount=from_minor_units(amount_units, currency),
        currency=currency,
        payer=member,
        payer_name=str(invoice.get("customer_name") or member.full_name or ""),
        payer_email=str(invoice.get("customer_email") or member.email),
        stripe_invoice_id=invoice_id,
        transaction_id=_invoice_payment_intent(invoice),
        period_start=period_start,
        period_end=period_end,
        paid_at=timestamp((invoice.get("status_transitions") or {}).get("paid_at")) or created,
    )
    return f"payment {payment.reference} confirmed"


def _invoice_payment_intent(invoice: Mapping[str, Any]) -> str:
    """The payment intent that paid ``invoice`` (the transaction id of its payment, and what a
    later ``charge.refunded`` names). Current API versions no longer put it on the invoice:
    it is in the invoice's payments, which events do not include, so they are listed."""
    value = invoice.get("payment_intent")
    if isinstance(value, Mapping):
        return str(value.get("id") or "")
    if value:
        return str(value)
    payments = ((invoice.get("payments") or {}).get("data")) or []
    if not payments and invoice.get("id") and (invoice.get("amount_paid") or 0) > 0:
        try:
            listed = stripe_client().v1.invoice_payments.list(params={"invoice": str(invoice["id"])})
        except stripe.StripeError:
            logger.warning("could not list the payments of invoice %s", invoice.get("id"))
            return ""
        payments = [plain(payment) for payment in listed.data]
    for payment in payments:
        intent = (payment.get("payment") or {}).get("payment_intent")
        if intent:
            return object_id_of(intent)
    return ""


def object_id_of(value: Any) -> str:
    return str(value.get("id") or "") if isinstance(value, Mapping) else str(value or "")


def stripe_payment_record(
    *,
    purpose: str,
    amount: Decimal,
    currency: str,
    payer: User,
    stripe_invoice_id: str,
    paid_at: dt.datetime,
    merchant_subscription: MerchantSubscription | None = None,
    membership: Any = None,
    merchant_plan: MerchantPlan | None = None,
    payer_name: str = "",
    payer_email: str = "",
    transaction_id: str = "",
    period_start: dt.datetime | None = None,
    period_end: dt.datetime | None = None,
) -> Payment:
    """A subscription invoice Stripe collected, recorded as a Stripe payment and confirmed
    through the payments service (which calls ``subscription_payment_confirmed`` and issues the
    brand's invoice). Once per Stripe invoice (``stripe_invoice_id`` is unique)."""
    with transaction.atomic():
        existing = Payment.objects.filter(stripe_invoice_id=stripe_invoice_id).first()
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                payment = Payment.objects.create(
                    reference=new_payment_reference(),
                    provider=PaymentProvider.STRIPE,
                    purpose=purpose,
                    merchant_subscription=merchant_subscription,
                    membership=membership,
                    merchant_plan=merchant_plan,
                    amount=amount,
                    currency=currency,
                    payer=payer,
                    payer_name=payer_name[:120],
                    payer_email=payer_email,
                    transaction_id=transaction_id[:120],
                    stripe_invoice_id=stripe_invoice_id,
                    period_start=period_start,
                    period_end=period_end,
                )
        except IntegrityError:  # recorded concurrently (a redelivery racing this one)
            return Payment.objects.get(stripe_invoice_id=stripe_invoice_id)
        audit_log(
            actor=None,
            action="payment.started",
            target=payment,
            provider=payment.provider,
            purpose=purpose,
            stripe_invoice=stripe_invoice_id,
            paid_at=paid_at.isoformat(),
        )
        return payment_confirm(payment=payment, actor=None, transaction_id=transaction_id)


def stripe_invoice_payment_failed(invoice: Mapping[str, Any], *, created: dt.datetime) -> str:
    """A renewal (or upgrade) was declined: the payer is told (with a link to update their card),
    the subscription is past due while Stripe retries, and the grace period starts
    (``billing.services.lifecycle``).

    Order-independent: a failure of an invoice since paid (its payment recorded, or the invoice
    as re-read by the webhook says ``paid``) changes nothing; a failure older than the row's
    state reconciles the row with the subscription's current state instead of overwriting it."""
    from billing.services.lifecycle import failure_state_track, payment_failure_notify

    subscription_id = invoice_subscription_id(invoice)
    if not subscription_id:
        return "not a subscription invoice"
    invoice_id = str(invoice.get("id") or "")
    if invoice.get("status") == "paid" or Payment.objects.filter(stripe_invoice_id=invoice_id).exists():
        return "invoice since paid: nothing to do"
    row: SubscriptionRow | None = None
    for model in (MerchantSubscription, Membership):
        row = model.objects.select_for_update().filter(stripe_subscription_id=subscription_id).first()
        if row is not None:
            break
    if row is None:
        return "no subscription of this brand's plans or memberships"
    if row.status == SubscriptionStatus.CANCELED and row.payment_failed_at is None:
        return "subscription already ended"
    if row.stripe_updated_at is not None and created <= row.stripe_updated_at:
        current = subscription_fetch_apply(row, subscription_id)
        outcome = f"late failure: reconciled with the current state ({current.stripe_status})"
    else:
        if row.status in (SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING):
            row.status = SubscriptionStatus.PAST_DUE
        failure_state_track(row)
        row.save(update_fields=["status", "payment_failed_at", "updated_at"])
        if isinstance(row, MerchantSubscription):
            from billing.services.lifecycle import merchant_plan_state_sync

            merchant_plan_state_sync(row)
        outcome = f"payment failed ({row.status})"
    if row.status in (SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING):
        return outcome  # paid meanwhile: nobody to tell
    if row.payment_failed_at is None:
        row.payment_failed_at = timezone.now()
        row.save(update_fields=["payment_failed_at", "updated_at"])
    currency = str(invoice.get("currency") or row.plan.currency).upper()
    amount = from_minor_units(
        int(invoice.get("amount_remaining") or invoice.get("amount_due") or 0), currency
    )
    payment_failure_notify(row, invoice, currency=currency, amount=amount)
    audit_log(
        actor=None,
        action="billing.subscription.payment_failed",
        target=row,
        invoice=invoice_id,
        attempt_count=int(invoice.get("attempt_count") or 1),
    )
    return outcome
