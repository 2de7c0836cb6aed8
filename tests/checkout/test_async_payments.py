"""Orders paid by a delayed method (SEPA Direct Debit and the like): Checkout completes unpaid,
the order stays reserved with its stock held until ``checkout.session.async_payment_succeeded``
(paid once) or ``_failed`` (cancelled, stock back), whatever the order and repetition of events."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Role
from ledger.selectors import ledger_differences
from marketplace.models import Order, OrderStatus, Product
from marketplace.services.checkout import order_checkout, order_reservations_expire
from payments.models import Invoice, Payment, PaymentStatus
from tests.checkout.builders import bank_details, fee_plan, make_merchant, make_product
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(brand_a):
    with tenant_context(brand_a):
        fee_plan("10")
        bank_details()
        yield {"merchant": make_merchant(brand_a), "customer": make_user(brand_a, role=Role.CUSTOMER)}


def _sepa_order(brand: Any, shop: dict[str, Any], world: Any, stock: int = 5) -> tuple[Order, Product, str]:
    with tenant_context(brand):
        product = make_product(shop["merchant"], price=Decimal("40.00"), stock=stock)
        result = order_checkout(customer=shop["customer"], items=[(product, 2)], provider="stripe")
        session_id = result.payment.stripe_checkout_session_id
        product.refresh_from_db()
    assert product.stock == stock - 2  # reserved
    return result.order, product, session_id


def _session(world: Any, session_id: str, *, status: str, payment_status: str) -> dict[str, Any]:
    session = dict(world.objects[session_id])
    session.update(status=status, payment_status=payment_status, payment_intent=f"pi_{session_id}")
    return session


def _state(brand: Any, order: Order, product: Product) -> tuple[str, str, int, int]:
    with tenant_context(brand):
        order.refresh_from_db()
        product.refresh_from_db()
        payment = Payment.objects.get(order=order)
        return order.status, payment.status, product.stock, Invoice.objects.filter(payment=payment).count()


def test_a_delayed_payment_stays_reserved_then_is_paid_once(brand_a, shop, stripe_world):
    world = stripe_world
    order, product, session_id = _sepa_order(brand_a, shop, world)
    t = world.now - 3600
    completed = _session(world, session_id, status="complete", payment_status="unpaid")
    world.put(completed)
    world.deliver(world.event("checkout.session.completed", completed, at=t))
    assert _state(brand_a, order, product) == (OrderStatus.PENDING_PAYMENT, PaymentStatus.PENDING, 3, 0)
    with tenant_context(brand_a):
        order.refresh_from_db()
        # Held for the debit's days, not the session's minutes: the expiry job leaves it alone.
        assert order.reserved_until > timezone.now() + dt.timedelta(days=14)
        assert order_reservations_expire(now=timezone.now() + dt.timedelta(days=3)) == 0
    assert _state(brand_a, order, product)[0] == OrderStatus.PENDING_PAYMENT

    succeeded = _session(world, session_id, status="complete", payment_status="paid")
    world.put(succeeded)
    event = world.event("checkout.session.async_payment_succeeded", succeeded, at=t + 3 * 86400)
    assert world.deliver(event, event) == ["applied", "duplicate"]
    world.deliver(world.event("checkout.session.async_payment_succeeded", succeeded, at=t + 3 * 86400))
    assert _state(brand_a, order, product) == (OrderStatus.PAID, PaymentStatus.CONFIRMED, 3, 1)
    with tenant_context(brand_a):
        assert ledger_differences() == []


def test_a_failed_delayed_payment_cancels_the_order_and_releases_the_stock(brand_a, shop, stripe_world):
    world = stripe_world
    order, product, session_id = _sepa_order(brand_a, shop, world)
    t = world.now - 3600
    completed = _session(world, session_id, status="complete", payment_status="unpaid")
    world.deliver(world.event("checkout.session.completed", completed, at=t))
    failed = _session(world, session_id, status="complete", payment_status="unpaid")
    world.put(failed)
    event = world.event("checkout.session.async_payment_failed", failed, at=t + 86400)
    world.deliver(event, event)
    assert _state(brand_a, order, product) == (OrderStatus.CANCELLED, PaymentStatus.FAILED, 5, 0)
    # The completion delivered again, late: nothing comes back to life.
    world.deliver(world.event("checkout.session.completed", completed, at=t))
    assert _state(brand_a, order, product) == (OrderStatus.CANCELLED, PaymentStatus.FAILED, 5, 0)


@pytest.mark.parametrize("outcome", ["succeeded", "failed"])
def test_delayed_payment_events_in_any_order_reach_the_same_state(brand_a, shop, stripe_world, outcome):
    world = stripe_world
    expected = (
        (OrderStatus.PAID, PaymentStatus.CONFIRMED, 3, 1)
        if outcome == "succeeded"
        else (OrderStatus.CANCELLED, PaymentStatus.FAILED, 5, 0)
    )
    rng = random.Random(outcome)
    for _ in range(4):
        order, product, session_id = _sepa_order(brand_a, shop, world)
        t = world.now - 3600
        completed = _session(world, session_id, status="complete", payment_status="unpaid")
        final = _session(
            world,
            session_id,
            status="complete",
            payment_status="paid" if outcome == "succeeded" else "unpaid",
        )
        events = [
            world.event("checkout.session.completed", completed, at=t),
            world.event(f"checkout.session.async_payment_{outcome}", final, at=t + 86400),
        ]
        world.put(final)  # Stripe's current state
        deliveries = [*events, rng.choice(events)]
        rng.shuffle(deliveries)
        world.deliver(*deliveries)
        assert _state(brand_a, order, product) == expected, [event["type"] for event in deliveries]


def test_an_async_event_for_brand_a_never_touches_brand_b(brand_a, brand_b, shop, stripe_world):
    world = stripe_world
    order, product, session_id = _sepa_order(brand_a, shop, world)
    with tenant_context(brand_b):
        fee_plan("10")
        bank_details()
        merchant_b = make_merchant(brand_b)
        product_b = make_product(merchant_b, price=Decimal("40.00"), stock=5)
        order_b = order_checkout(
            customer=make_user(brand_b, role=Role.CUSTOMER), items=[(product_b, 2)], provider="stripe"
        ).order
        # A payment of brand B naming brand A's session (a collision, or a forged metadata).
        Payment.objects.filter(order=order_b).update(stripe_checkout_session_id=session_id)
    failed = _session(world, session_id, status="complete", payment_status="unpaid")
    world.put(failed)
    world.deliver(world.event("checkout.session.async_payment_failed", failed, at=world.now - 60))
    assert _state(brand_a, order, product)[0] == OrderStatus.CANCELLED
    assert _state(brand_b, order_b, product_b) == (OrderStatus.PENDING_PAYMENT, PaymentStatus.PENDING, 3, 0)
