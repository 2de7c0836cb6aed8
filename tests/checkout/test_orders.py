"""Placing orders: validation, atomic stock reservation, idempotency, expiry of reservations."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Role
from core.models import AuditEvent
from marketplace.models import Order, OrderLine, OrderStatus, Product, ProductStatus
from marketplace.services.checkout import order_reservations_expire
from marketplace.services.orders import order_cancel, order_place
from payments.models import Payment, PaymentStatus
from payments.services.payments import payment_submit_transaction
from tests.checkout.builders import bank_checkout, bank_details, fee_plan, make_merchant, make_product
from tests.conftest import make_user


@pytest.fixture
def shop(brand_a):
    with tenant_context(brand_a):
        fee_plan("10")
        bank_details()
        merchant = make_merchant(brand_a)
        customer = make_user(brand_a, role=Role.CUSTOMER)
        yield merchant, customer


def _codes(error: ValidationError) -> dict[str, str]:
    return {field: items[0].code for field, items in error.error_dict.items()}


def test_an_order_reserves_stock_and_snapshots_prices_and_the_plan_fee(shop):
    merchant, customer = shop
    spa = make_product(merchant, price=Decimal("49.90"), stock=5)
    dinner = make_product(merchant, price=Decimal("25.00"), stock=None)

    order = order_place(customer=customer, items=[(spa, 2), (dinner.pk, 1)], provider="bank_transfer")

    spa.refresh_from_db()
    dinner.refresh_from_db()
    assert (spa.stock, dinner.stock) == (3, None)
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert order.total == Decimal("124.80")
    assert order.platform_fee == Decimal("12.48")
    lines = list(order.lines.order_by("pk"))
    assert [(line.title, line.quantity, line.line_total, line.platform_fee_rate) for line in lines] == [
        (spa.title, 2, Decimal("99.80"), Decimal("10")),
        (dinner.title, 1, Decimal("25.00"), Decimal("10")),
    ]
    assert order.email == customer.email
    assert order.reserved_until > timezone.now() + dt.timedelta(hours=71)
    assert AuditEvent.objects.filter(action="order.placed", target_id=str(order.pk)).exists()


def test_the_same_deal_twice_is_one_line_checked_against_the_maximum(shop):
    merchant, customer = shop
    spa = make_product(merchant, max_per_purchase=3)

    with pytest.raises(ValidationError) as error:
        order_place(customer=customer, items=[(spa, 2), (spa, 2)], provider="stripe")

    assert _codes(error.value) == {"items.0.quantity": "QUANTITY_OUT_OF_RANGE"}


@pytest.mark.parametrize(
    ("fields", "quantity", "field", "code"),
    [
        ({"expires_at": "past"}, 1, "items.1.productId", "DEAL_EXPIRED"),
        ({"status": ProductStatus.PAUSED}, 1, "items.1.productId", "PRODUCT_UNAVAILABLE"),
        ({"status": ProductStatus.DRAFT}, 1, "items.1.productId", "PRODUCT_UNAVAILABLE"),
        ({"min_per_purchase": 2}, 1, "items.1.quantity", "QUANTITY_OUT_OF_RANGE"),
        ({"max_per_purchase": 3}, 4, "items.1.quantity", "QUANTITY_OUT_OF_RANGE"),
        ({}, 0, "items.1.quantity", "QUANTITY_OUT_OF_RANGE"),
        ({"stock": 2}, 3, "items.1.quantity", "OUT_OF_STOCK"),
        ({"stock": 0}, 1, "items.1.quantity", "OUT_OF_STOCK"),
        ({"currency": "MAD"}, 1, "items.1.productId", "CURRENCY_MISMATCH"),
    ],
)
def test_bad_lines_are_user_errors_and_nothing_is_written(shop, fields, quantity, field, code):
    merchant, customer = shop
    good = make_product(merchant, stock=5)
    if fields.get("expires_at") == "past":
        fields = {"expires_at": timezone.now() - dt.timedelta(minutes=1)}
    bad = make_product(merchant, **fields)
    before = (Order.objects.count(), OrderLine.objects.count(), Payment.objects.count())

    with pytest.raises(ValidationError) as error:
        bank_checkout(customer, [(good, 1), (bad, quantity)])

    assert _codes(error.value) == {field: code}
    assert (Order.objects.count(), OrderLine.objects.count(), Payment.objects.count()) == before
    assert Product.objects.get(pk=good.pk).stock == 5


def test_an_unknown_product_a_bad_coupon_and_an_empty_order(shop):
    merchant, customer = shop
    product = make_product(merchant)

    with pytest.raises(ValidationError) as unknown:
        order_place(customer=customer, items=[(999_999, 1)], provider="stripe")
    with pytest.raises(ValidationError) as coupon:
        order_place(customer=customer, items=[(product, 1)], provider="stripe", coupon_code="NOPE")
    with pytest.raises(ValidationError) as empty:
        order_place(customer=customer, items=[], provider="stripe")
    with pytest.raises(ValidationError) as provider:
        order_place(customer=customer, items=[(product, 1)], provider="paypal")

    assert _codes(unknown.value) == {"items.0.productId": "PRODUCT_UNAVAILABLE"}
    assert _codes(coupon.value) == {"couponCode": "UNKNOWN_COUPON"}
    assert _codes(empty.value) == {"items": "REQUIRED"}
    assert _codes(provider.value) == {"provider": "PROVIDER_UNAVAILABLE"}
    assert not Order.objects.filter(customer=customer).exists()


def test_a_line_refused_at_reservation_rolls_back_the_lines_before_it(shop):
    """The second line's stock runs out between validation and the conditional UPDATE (another
    buyer): the first line's stock, already taken, comes back with the rollback."""
    merchant, customer = shop
    first = make_product(merchant, stock=5)
    second = make_product(merchant, stock=1)
    Product.objects.filter(pk=second.pk).update(stock=0)  # sold meanwhile; `second` still says 1

    with pytest.raises(ValidationError) as error:
        order_place(customer=customer, items=[(first, 2), (second, 1)], provider="stripe")

    assert _codes(error.value) == {"items.1.quantity": "OUT_OF_STOCK"}
    assert Product.objects.get(pk=first.pk).stock == 5
    assert not Order.objects.filter(customer=customer).exists()


def test_an_idempotency_key_replays_the_first_order_per_customer(shop):
    merchant, customer = shop
    other = make_user(connection.tenant, role=Role.CUSTOMER)
    product = make_product(merchant, stock=5)

    first = order_place(customer=customer, items=[(product, 1)], provider="stripe", idempotency_key="k-1")
    again = order_place(customer=customer, items=[(product, 1)], provider="stripe", idempotency_key="k-1")
    theirs = order_place(customer=other, items=[(product, 1)], provider="stripe", idempotency_key="k-1")

    assert again.pk == first.pk
    assert theirs.pk != first.pk
    assert Product.objects.get(pk=product.pk).stock == 3


def test_a_cookie_that_is_not_a_click_id_is_ignored(shop):
    merchant, customer = shop
    order = order_place(
        customer=customer, items=[(make_product(merchant), 1)], provider="stripe", click_id="<script>"
    )
    assert order.click_id is None


def test_cancelling_returns_the_stock_once(shop):
    merchant, customer = shop
    product = make_product(merchant, stock=3)
    order = order_place(customer=customer, items=[(product, 2)], provider="stripe")

    order_cancel(order=order, actor=customer, reason="changed my mind")
    order_cancel(order=order, actor=customer, reason="changed my mind")

    assert Product.objects.get(pk=product.pk).stock == 3
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED


def test_expired_reservations_are_cancelled_and_their_stock_returned_once(shop):
    merchant, customer = shop
    product = make_product(merchant, stock=10)
    unpaid = bank_checkout(customer, [(product, 2)])
    reported = bank_checkout(customer, [(product, 3)])
    payment_submit_transaction(payment=reported.payment, actor=customer, transaction_id="VIR-42")
    fresh = bank_checkout(customer, [(product, 1)])
    Order.objects.filter(pk__in=[unpaid.order.pk, reported.order.pk]).update(
        reserved_until=timezone.now() - dt.timedelta(minutes=1)
    )
    assert Product.objects.get(pk=product.pk).stock == 4

    assert order_reservations_expire() == 1
    assert order_reservations_expire() == 0  # a second run (or a redelivered task) changes nothing

    statuses = dict(Order.objects.filter(customer=customer).values_list("pk", "status"))
    assert statuses == {
        unpaid.order.pk: OrderStatus.CANCELLED,
        reported.order.pk: OrderStatus.PENDING_PAYMENT,  # the payer reported the transfer: it waits
        fresh.order.pk: OrderStatus.PENDING_PAYMENT,
    }
    assert Payment.objects.get(pk=unpaid.payment.pk).status == PaymentStatus.FAILED
    assert Product.objects.get(pk=product.pk).stock == 6
