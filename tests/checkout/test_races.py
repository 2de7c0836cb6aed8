"""Races on committed data with real threads: the last unit of stock, the double confirmation of a
bank transfer."""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import close_old_connections, connection
from django_tenants.utils import tenant_context

from accounts.models import Role
from ledger.models import LedgerTransaction
from ledger.selectors import ledger_differences
from marketplace.models import Order, OrderStatus, Product, Voucher
from marketplace.services.orders import order_place
from payments.models import Invoice, Payment, PaymentStatus
from payments.services.payments import payment_confirm, payment_submit_transaction, payment_verify
from tests.checkout.builders import bank_checkout, bank_details, fee_plan, make_merchant, make_product
from tests.conftest import make_user

pytestmark = pytest.mark.live


def _race(brand, count: int, attempt: Callable[[int], str]) -> list[str]:
    """Run ``attempt(i)`` in ``count`` threads released together; their outcomes."""
    barrier = threading.Barrier(count)
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(index: int) -> None:
        try:
            with tenant_context(brand):
                barrier.wait()
                try:
                    outcome = attempt(index)
                except ValidationError as error:
                    outcome = next(iter(error.error_dict.values()))[0].code
            with lock:
                outcomes.append(str(outcome))
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_twenty_buyers_race_for_the_last_unit_and_exactly_one_gets_it(live_brands):
    brand, _ = live_brands
    with tenant_context(brand):
        fee_plan()
        product = make_product(make_merchant(brand), stock=1, price=Decimal("99.00"))
        buyers = [make_user(brand, role=Role.CUSTOMER) for _ in range(20)]

    outcomes = _race(
        brand,
        20,
        lambda i: order_place(customer=buyers[i], items=[(product, 1)], provider="stripe").number and "ok",
    )

    assert outcomes.count("ok") == 1
    assert sorted(set(outcomes)) == ["OUT_OF_STOCK", "ok"]
    with tenant_context(brand):
        assert Product.objects.get(pk=product.pk).stock == 0
        assert Order.objects.filter(lines__product=product).count() == 1


def test_a_multi_line_race_never_oversells_any_line_nor_deadlocks(live_brands):
    """Buyers take two deals in opposite orders: lines are locked in product order, so no
    deadlock, and neither deal is oversold."""
    brand, _ = live_brands
    with tenant_context(brand):
        fee_plan()
        merchant = make_merchant(brand)
        first = make_product(merchant, stock=5)
        second = make_product(merchant, stock=7)
        buyers = [make_user(brand, role=Role.CUSTOMER) for _ in range(16)]

    def buy(i: int) -> str:
        items = [(first, 1), (second, 1)] if i % 2 else [(second, 1), (first, 1)]
        order_place(customer=buyers[i], items=items, provider="stripe")
        return "ok"

    outcomes = _race(brand, 16, buy)

    assert outcomes.count("ok") == 5
    assert set(outcomes) == {"ok", "OUT_OF_STOCK"}
    with tenant_context(brand):
        assert Product.objects.get(pk=first.pk).stock == 0
        assert Product.objects.get(pk=second.pk).stock == 2


def test_twenty_admins_confirming_the_same_transfer_confirm_it_once(live_brands):
    brand, _ = live_brands
    with tenant_context(brand):
        fee_plan("10")
        bank_details()
        customer = make_user(brand, role=Role.CUSTOMER)
        admins = [make_user(brand, role=Role.BRAND_ADMIN) for _ in range(20)]
        result = bank_checkout(customer, [(make_product(make_merchant(brand), price=Decimal("40.00")), 2)])
        payment = payment_submit_transaction(payment=result.payment, actor=customer, transaction_id="VIR-77")
        payment = payment_verify(payment=payment, actor=admins[0])

    outcomes = _race(
        brand,
        20,
        lambda i: payment_confirm(payment=Payment.objects.get(pk=payment.pk), actor=admins[i]).status,
    )

    assert outcomes.count(PaymentStatus.CONFIRMED) == 1
    assert sorted(set(outcomes)) == ["ILLEGAL_TRANSITION", "confirmed"]
    with tenant_context(brand):
        order = Order.objects.get(pk=result.order.pk)
        assert order.status == OrderStatus.PAID
        assert Voucher.objects.filter(line__order=order).count() == 2
        assert Invoice.objects.filter(payment=payment).count() == 1
        assert LedgerTransaction.objects.filter(idempotency_key=f"order:{order.number}:paid").count() == 1
        assert ledger_differences() == []
