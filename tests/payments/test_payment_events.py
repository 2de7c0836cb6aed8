"""Payments tell the apps above them what happened through domain events, never by calling
them: the events are in the brand's outbox, in the payment's transaction, and the subscribers
of marketplace and billing act in that same transaction (a refused order rolls the payment's
confirmation back)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import tenant_context

from accounts.models import Role
from core.models import OutboxEvent
from marketplace.models import Order, OrderStatus
from marketplace.services.refunds import order_refund_apply
from payments.models import Invoice, Payment, PaymentStatus
from payments.services.payments import (
    payment_confirm,
    payment_reject,
    payment_submit_transaction,
    payment_verify,
)
from payments.webhooks import stripe_event_handler
from tests.checkout.builders import (
    bank_checkout,
    bank_details,
    fee_plan,
    make_merchant,
    make_product,
    pay_by_bank,
)
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(brand_a):
    with tenant_context(brand_a):
        fee_plan("10")
        bank_details()
        yield (
            make_merchant(brand_a),
            make_user(brand_a, role=Role.CUSTOMER),
            make_user(brand_a, role=Role.BRAND_ADMIN),
        )


def _events(*names: str) -> list[OutboxEvent]:
    return list(OutboxEvent.objects.filter(name__in=names).order_by("occurred_at", "id"))


def test_a_confirmed_payment_records_its_event_and_the_order_it_paid(shop):
    merchant, customer, admin = shop
    result = bank_checkout(customer, [(make_product(merchant, price=Decimal("49.90")), 2)])

    payment = pay_by_bank(result, admin)

    (confirmed,) = _events("payment.confirmed")
    assert Decimal(confirmed.payload.pop("amount")) == Decimal("99.80")
    assert confirmed.payload == {
        "payment_id": payment.pk,
        "reference": payment.reference,
        "provider": "bank_transfer",
        "purpose": "order",
        "currency": "EUR",
        "order_id": result.order.pk,
    }
    (paid,) = _events("order.paid")
    assert paid.payload["order_id"] == result.order.pk
    assert paid.payload["payment_id"] == payment.pk
    # marketplace's in-transaction subscriber paid the order before the invoice was issued
    assert Order.objects.get(pk=result.order.pk).status == OrderStatus.PAID
    assert Invoice.objects.filter(payment=payment).count() == 1


def test_a_subscriber_refusing_the_order_rolls_the_confirmation_back(shop):
    merchant, customer, admin = shop
    result = bank_checkout(customer, [(make_product(merchant), 1)])
    payment = payment_submit_transaction(payment=result.payment, actor=customer, transaction_id="TX-1")
    payment = payment_verify(payment=payment, actor=admin)
    # given the order was meanwhile paid by another payment
    Order.objects.filter(pk=result.order.pk).update(status=OrderStatus.PAID, paid_at=payment.created_at)
    Payment.objects.create(
        reference="PAY-OTHER00001",
        provider="free",
        purpose="order",
        order=result.order,
        amount=Decimal(0),
        currency="EUR",
        status=PaymentStatus.CONFIRMED,
        confirmed_at=payment.created_at,
    )

    with pytest.raises(ValidationError) as refused:
        payment_confirm(payment=payment, actor=admin)

    assert [item.code for items in refused.value.error_dict.values() for item in items] == ["ALREADY_PAID"]
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.VERIFIED
    assert not _events("payment.confirmed")  # the event went with the rolled-back transaction
    assert not Invoice.objects.filter(payment=payment).exists()


def test_a_rejected_transfer_records_its_event_and_marketplace_cancels_the_order(shop):
    merchant, customer, admin = shop
    result = bank_checkout(customer, [(make_product(merchant), 1)])
    payment = payment_submit_transaction(payment=result.payment, actor=customer, transaction_id="TX-2")

    payment_reject(payment=payment, actor=admin, reason="Nothing arrived")

    (rejected,) = _events("payment.rejected")
    assert (rejected.payload["reason"], rejected.payload["rejected_by_id"]) == ("Nothing arrived", admin.pk)
    assert Order.objects.get(pk=result.order.pk).status == OrderStatus.CANCELLED


def test_each_refund_of_an_order_records_payment_refunded(shop):
    merchant, customer, admin = shop
    result = bank_checkout(customer, [(make_product(merchant, price=Decimal("20.00")), 2)])
    payment = pay_by_bank(result, admin)

    order_refund_apply(order=result.order, refund_id="r1", actor=admin, amount=Decimal("5.00"))
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.CONFIRMED
    order_refund_apply(order=result.order, refund_id="r2", actor=admin, amount=None)

    refunds = _events("payment.refunded")
    assert [Decimal(event.payload["refunded_amount"]) for event in refunds] == [Decimal(5), Decimal(35)]
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.REFUNDED


def test_payment_events_stay_in_their_brand(shop, brand_b):
    merchant, customer, admin = shop
    pay_by_bank(bank_checkout(customer, [(make_product(merchant), 1)]), admin)
    assert len(_events("payment.confirmed")) == 1

    with tenant_context(brand_b):
        assert not _events("payment.confirmed", "order.paid")


def test_a_stripe_handler_must_name_events_the_endpoint_listens_to():
    with pytest.raises(ValueError, match=r"invoice\.created"):
        stripe_event_handler("invoice.created")
