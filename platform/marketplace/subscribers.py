"""How the marketplace hears about payments: it never is called by ``payments``, it listens.

- ``payment.confirmed`` of an order: the order becomes paid (vouchers, sales counted, the money
  split in the ledger, the conversions recorded). This runs **inside the payment's transaction**
  (``Phase.IN_TRANSACTION``): the payment, the order, the ledger entries and the invoice commit
  together or not at all. An order that can no longer be honoured (cancelled and sold out, or
  already paid by another payment) raises, so the confirmation rolls back and the caller refunds.
- ``payment.rejected`` of an order: a bank transfer refused while the order awaits payment
  cancels the order and returns its stock, in the same transaction as the rejection.
- Stripe's checkout-session and charge-refunded events of orders (``payments.webhooks``).

And it tells ``payments`` what an order's payment needs to know (``payments.purposes``): the
invoice's lines, the reservation's deadline, whether a reported transfer can still pay it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from accounts.models import User
from core.events import Event, Phase, subscriber
from marketplace.models import Order, OrderStatus
from marketplace.services.catalog import products_plan_downgrade, products_plan_restore
from marketplace.services.checkout import (
    payment_checkout_async_failed,
    payment_checkout_completed,
    payment_checkout_expired,
    payment_stripe_charge_refunded,
)
from marketplace.services.orders import order_cancel, order_paid
from payments.models import Payment, PaymentPurpose
from payments.purposes import GrossLine, PaymentPurposeHooks, payment_purpose_register
from payments.webhooks import stripe_event_handler


@subscriber("payment.confirmed", phase=Phase.IN_TRANSACTION)
def order_payment_confirmed(event: Event) -> None:
    if event.payload["purpose"] != PaymentPurpose.ORDER:
        return
    order_paid(Payment.objects.get(pk=event.payload["payment_id"]))


@subscriber("payment.rejected", phase=Phase.IN_TRANSACTION)
def order_payment_rejected(event: Event) -> None:
    if event.payload["purpose"] != PaymentPurpose.ORDER or event.payload["order_id"] is None:
        return
    payment = Payment.objects.select_related("order").get(pk=event.payload["payment_id"])
    order = payment.order
    if order is not None and order.status == OrderStatus.PENDING_PAYMENT:
        admin_id = event.payload["rejected_by_id"]
        actor = User.objects.filter(pk=admin_id).first() if admin_id is not None else None
        order_cancel(order=order, actor=actor, reason=f"payment rejected: {event.payload['reason']}")


@stripe_event_handler("checkout.session.completed", "checkout.session.async_payment_succeeded")
def _checkout_session_completed(session: Mapping[str, Any], created: dt.datetime) -> str | None:
    if session.get("mode") == "subscription" or (session.get("metadata") or {}).get("purpose") != "order":
        return None
    payment = payment_checkout_completed(session)
    return f"order payment {payment.reference}: {payment.status}" if payment else "unknown session"


@stripe_event_handler("checkout.session.async_payment_failed")
def _checkout_session_async_failed(session: Mapping[str, Any], created: dt.datetime) -> str | None:
    if (session.get("metadata") or {}).get("purpose") != "order":
        return None
    payment = payment_checkout_async_failed(session)
    return f"order payment {payment.reference}: {payment.status}" if payment else "unknown session"


@subscriber("merchant_plan.downgraded", phase=Phase.IN_TRANSACTION)
def merchant_plan_downgraded(event: Event) -> None:
    """The merchant fell back to the Free plan: live products above its quota are paused."""
    products_plan_downgrade(
        merchant_id=int(event.payload["merchant_id"]), quota=event.payload["product_quota"]
    )


@subscriber("merchant_plan.restored", phase=Phase.IN_TRANSACTION)
def merchant_plan_restored(event: Event) -> None:
    """The merchant's plan applies again: what the downgrade paused is live again."""
    products_plan_restore(merchant_id=int(event.payload["merchant_id"]), quota=event.payload["product_quota"])


@stripe_event_handler("checkout.session.expired")
def _checkout_session_expired(session: Mapping[str, Any], created: dt.datetime) -> str | None:
    if (session.get("metadata") or {}).get("purpose") != "order":
        return None
    payment = payment_checkout_expired(session)
    return f"order payment {payment.reference}: {payment.status}" if payment else "unknown session"


@stripe_event_handler("charge.refunded")
def _charge_refunded(charge: Mapping[str, Any], created: dt.datetime) -> str | None:
    results = payment_stripe_charge_refunded(charge)
    if not results:
        return None  # not an order's card payment (a membership's, see billing.subscribers)
    return f"{sum(1 for result in results if result.created)} refunds applied"


# --- what a payment of an order needs to know (payments.purposes) ---------------------------------


def _order_invoice_lines(payment: Payment) -> list[GrossLine]:
    order = payment.order
    assert order is not None
    return [
        GrossLine(line.title, line.quantity, line.unit_price, line.line_total)
        for line in order.lines.order_by("pk")
    ]


def _order_pay_before(payment: Payment) -> dt.datetime | None:
    return payment.order.reserved_until if payment.order is not None else None


def _order_transfer_refusal(payment: Payment) -> str:
    order = Order.objects.filter(pk=int(payment.order_id or 0)).only("status").first()
    if order is not None and order.status == OrderStatus.CANCELLED:
        return "This order's reservation ran out before the transfer was reported; contact the brand."
    return ""


ORDER_PAYMENTS = PaymentPurposeHooks(
    invoice_lines=_order_invoice_lines,
    pay_before=_order_pay_before,
    transfer_refusal=_order_transfer_refusal,
)


def register() -> None:
    """Called by ``MarketplaceConfig.ready()`` (the Stripe handlers above register on import)."""
    payment_purpose_register(PaymentPurpose.ORDER, ORDER_PAYMENTS)
