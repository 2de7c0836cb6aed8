"""How billing hears about payments: it never is called by ``payments``, it listens.

- ``payment.confirmed`` of a merchant plan or a membership: the bank-transfer period starts or
  is extended, the revenue is posted to the ledger, a referred member's payment earns the
  referrer's recurring commission. This runs **inside the payment's transaction**
  (``Phase.IN_TRANSACTION``): a confirmed payment without its period, its ledger entries or
  its invoice must never commit, nor the reverse.
- Stripe's subscription, invoice and checkout events of plans and memberships, and refunds of
  membership periods (``payments.webhooks``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from billing.services.memberships import membership_charge_refunded
from billing.services.stripe_events import (
    stripe_checkout_subscription_completed,
    stripe_invoice_paid,
    stripe_invoice_payment_failed,
    stripe_subscription_event,
)
from billing.services.subscriptions import subscription_payment_confirmed
from core.events import Event, Phase, subscriber
from payments.models import Payment, PaymentPurpose
from payments.purposes import GrossLine, PaymentPurposeHooks, payment_purpose_register
from payments.webhooks import stripe_event_handler

SUBSCRIPTION_PURPOSES = (PaymentPurpose.MERCHANT_PLAN, PaymentPurpose.MEMBERSHIP)


@subscriber("payment.confirmed", phase=Phase.IN_TRANSACTION)
def subscription_payment_confirmed_handler(event: Event) -> None:
    if event.payload["purpose"] not in SUBSCRIPTION_PURPOSES:
        return
    payment = Payment.objects.select_related("merchant_plan").get(pk=event.payload["payment_id"])
    subscription_payment_confirmed(payment)


@stripe_event_handler("checkout.session.completed", "checkout.session.async_payment_succeeded")
def _checkout_session_completed(session: Mapping[str, Any], created: dt.datetime) -> str | None:
    if session.get("mode") != "subscription":
        return None
    return stripe_checkout_subscription_completed(session)


@stripe_event_handler(
    "customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted"
)
def _subscription_event(subscription: Mapping[str, Any], created: dt.datetime) -> str | None:
    return stripe_subscription_event(subscription, created=created)


@stripe_event_handler("invoice.paid")
def _invoice_paid(invoice: Mapping[str, Any], created: dt.datetime) -> str | None:
    return stripe_invoice_paid(invoice, created=created)


@stripe_event_handler("invoice.payment_failed")
def _invoice_payment_failed(invoice: Mapping[str, Any], created: dt.datetime) -> str | None:
    return stripe_invoice_payment_failed(invoice, created=created)


@stripe_event_handler("charge.refunded")
def _charge_refunded(charge: Mapping[str, Any], created: dt.datetime) -> str | None:
    refunds = membership_charge_refunded(charge)
    return f"{refunds} membership refunds applied" if refunds else None


# --- what a payment of a plan or a membership needs to know (payments.purposes) ------------------


def _period(payment: Payment, name: str) -> str:
    if payment.period_start and payment.period_end:
        name += f" ({payment.period_start:%Y-%m-%d} to {payment.period_end:%Y-%m-%d})"
    return name[:200]


def _merchant_plan_invoice_lines(payment: Payment) -> list[GrossLine]:
    plan = payment.merchant_plan or (
        payment.merchant_subscription.plan if payment.merchant_subscription else None
    )
    name = f"{plan.name} plan" if plan is not None else "Merchant plan"
    return [GrossLine(_period(payment, name), 1, payment.amount, payment.amount)]


def _membership_invoice_lines(payment: Payment) -> list[GrossLine]:
    membership = payment.membership
    name = f"{membership.plan.name} membership" if membership is not None else "Membership"
    return [GrossLine(_period(payment, name), 1, payment.amount, payment.amount)]


def register() -> None:
    """Called by ``BillingConfig.ready()`` (the Stripe handlers above register on import)."""
    payment_purpose_register(
        PaymentPurpose.MERCHANT_PLAN, PaymentPurposeHooks(invoice_lines=_merchant_plan_invoice_lines)
    )
    payment_purpose_register(
        PaymentPurpose.MEMBERSHIP, PaymentPurposeHooks(invoice_lines=_membership_invoice_lines)
    )
