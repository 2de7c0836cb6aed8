"""Card payments of orders through Stripe Checkout, against the fake Stripe API: the session, the
webhook that pays the order (once), refunds both ways, reservations running out."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context, tenant_context

from accounts.models import Role
from affiliation.models import Commission, Conversion
from affiliation.selectors import affiliate_balance
from ledger.models import AccountKind, LedgerAccount, OwnerType
from ledger.selectors import ledger_differences
from marketplace.models import Order, OrderStatus, Product, Voucher, VoucherStatus
from marketplace.services.checkout import (
    order_checkout,
    order_reservations_expire,
    payment_stripe_refund_create,
)
from marketplace.services.refunds import order_refund
from payments.models import Invoice, Payment, PaymentStatus
from tenants.models import StripeObjectRoute
from tests.billing.conftest import StripeEvents
from tests.checkout.builders import bank_details, fee_plan, make_merchant, make_product
from tests.conftest import make_user
from tests.engine import make_affiliate, make_click, make_program

PLACE = """
mutation($input: OrderPlaceInput!) {
  orderPlace(input: $input) { order { number status } checkoutUrl bankTransfer { reference } errors { field code } }
}
"""


@pytest.fixture
def stripe_on(fake_stripe: Any, settings: Any) -> Any:
    settings.STRIPE_API_KEY = fake_stripe.api_key
    settings.STRIPE_API_BASE = fake_stripe.url
    settings.STRIPE_WEBHOOK_SECRET = fake_stripe.webhook_secret
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    return fake_stripe


@pytest.fixture
def events(stripe_on: Any) -> StripeEvents:
    return StripeEvents(stripe_on)


@pytest.fixture
def shop(brand_a):
    with tenant_context(brand_a):
        fee_plan("10")
        bank_details()
        program = make_program(cascade_rates=[])
        affiliate = make_affiliate(brand_a, program)
        yield {
            "merchant": make_merchant(brand_a),
            "customer": make_user(brand_a, role=Role.CUSTOMER),
            "admin": make_user(brand_a, role=Role.BRAND_ADMIN),
            "affiliate": affiliate,
            "click": make_click(affiliate),
        }


def _card_order(shop, product: Product, quantity: int = 2):
    return order_checkout(
        customer=shop["customer"],
        items=[(product, quantity)],
        provider="stripe",
        click_id=str(shop["click"].id),
    )


def test_a_card_order_is_paid_by_the_checkout_webhook_once(gql, brand_a, shop, stripe_on, events):
    product = make_product(shop["merchant"], price=Decimal("49.90"), stock=3)
    client = gql(brand_a, shop["customer"])
    client.client.cookies["afp_click"] = str(shop["click"].id)

    placed = client.data(
        PLACE, {"input": {"items": [{"productId": str(product.pk), "quantity": 2}], "provider": "STRIPE"}}
    )["orderPlace"]

    assert placed["errors"] == []
    assert placed["bankTransfer"] is None
    assert placed["checkoutUrl"].startswith(stripe_on.url)
    with tenant_context(brand_a):
        order = Order.objects.get(number=placed["order"]["number"])
        payment = Payment.objects.get(order=order)
        assert Product.objects.get(pk=product.pk).stock == 1
    session = stripe_on.client().v1.checkout.sessions.retrieve(payment.stripe_checkout_session_id)
    assert session.mode == "payment"
    assert session.amount_total == 9980
    assert session.currency == "eur"
    assert session.metadata.to_dict() == {
        "brand": brand_a.schema_name,
        "purpose": "order",
        "order": order.number,
        "payment_reference": payment.reference,
    }
    assert session.success_url.startswith(f"https://{brand_a.domains.get().domain}/orders/{order.number}")
    assert session.expires_at == int(order.reserved_until.timestamp())
    with schema_context("public"):
        assert StripeObjectRoute.objects.get(stripe_id=session.id).tenant_id == brand_a.pk

    stripe_on.complete_checkout(session.id)
    delivered = events.deliver(types=("checkout.session.completed",))
    assert len(delivered) == 1
    assert events.post(delivered[0]).status_code == 200  # a redelivery: stored once, applied once

    with tenant_context(brand_a):
        order.refresh_from_db()
        payment.refresh_from_db()
        assert order.status == OrderStatus.PAID
        assert payment.status == PaymentStatus.CONFIRMED
        assert payment.transaction_id.startswith("pi_")
        assert Voucher.objects.filter(line__order=order).count() == 2
        assert Invoice.objects.get(payment=payment).transaction_id == payment.transaction_id
        conversion = Conversion.objects.get(order_id=f"{order.number}:1")
        assert conversion.affiliate == shop["affiliate"]
        assert Commission.objects.get(conversion=conversion).amount == Decimal("19.96")
        assert ledger_differences() == []
    with schema_context("public"):
        assert StripeObjectRoute.objects.get(stripe_id=payment.transaction_id).tenant_id == brand_a.pk


def test_a_refund_through_the_api_and_its_webhook_apply_once(brand_a, shop, stripe_on, events):
    with tenant_context(brand_a):
        result = _card_order(shop, make_product(shop["merchant"], price=Decimal("20.00")), 2)
    stripe_on.complete_checkout(result.payment.stripe_checkout_session_id)
    events.deliver()
    with tenant_context(brand_a):
        order = Order.objects.get(pk=result.order.pk)
        line = order.lines.get()
        refunded = order_refund(order=order, refund_id="goodwill-1", actor=shop["admin"], lines={line.pk: 1})
    delivered = events.deliver(types=("charge.refunded",))  # the webhook of the same refund
    with tenant_context(brand_a):
        again = order_refund(order=order, refund_id="goodwill-1", actor=shop["admin"], lines={line.pk: 1})

        assert len(delivered) == 1
        assert refunded.refund.refund_id == "goodwill-1"
        assert again.created is False
        assert again.refund.pk == refunded.refund.pk
        order.refresh_from_db()
        assert (order.status, order.refunded_amount) == (OrderStatus.PARTIALLY_REFUNDED, Decimal("20.00"))
        assert Voucher.objects.filter(line=line, status=VoucherStatus.VOID).count() == 1
        intent = Payment.objects.get(pk=result.payment.pk).transaction_id
        stripe_refunds = stripe_on.client().v1.refunds.list(params={"payment_intent": intent})
        assert [refund.amount for refund in stripe_refunds.data] == [2000]
        assert stripe_refunds.data[0].metadata["units"] == f"{line.pk}:1"
        assert stripe_refunds.data[0].metadata["refund_id"] == "goodwill-1"
        assert affiliate_balance(shop["affiliate"]).pending == Decimal("4.00")
        assert ledger_differences() == []


def test_a_refund_whose_webhook_comes_before_the_api_call_returns_is_applied_once(
    brand_a, shop, stripe_on, events
):
    """The webhook of a refund created through the API can be processed before the API path records
    it (another worker): both name the refund by our id, so it is applied once."""
    with tenant_context(brand_a):
        result = _card_order(shop, make_product(shop["merchant"], price=Decimal("20.00")), 2)
    stripe_on.complete_checkout(result.payment.stripe_checkout_session_id)
    events.deliver()
    with tenant_context(brand_a):
        order = Order.objects.get(pk=result.order.pk)
        payment_stripe_refund_create(order=order, amount=Decimal("15.00"), units=None, refund_id="early-1")
    events.deliver()  # charge.refunded first
    with tenant_context(brand_a):
        replay = order_refund(order=order, refund_id="early-1", actor=shop["admin"], amount="15.00")
        assert replay.created is False
        order.refresh_from_db()
        assert order.refunded_amount == Decimal("15.00")
        intent = Payment.objects.get(pk=result.payment.pk).transaction_id
        assert len(stripe_on.client().v1.refunds.list(params={"payment_intent": intent}).data) == 1
        assert ledger_differences() == []


def test_the_customer_cancels_a_card_order_and_its_session_is_closed(gql, brand_a, shop, stripe_on):
    with tenant_context(brand_a):
        product = make_product(shop["merchant"], stock=3)
        result = _card_order(shop, product, 2)
    cancel = "mutation($n: String!) { orderCancel(number: $n) { order { status payment { status } } errors { code } } }"

    answer = gql(brand_a, shop["customer"]).data(cancel, {"n": result.order.number})["orderCancel"]

    assert answer == {"order": {"status": "CANCELLED", "payment": {"status": "FAILED"}}, "errors": []}
    session = stripe_on.client().v1.checkout.sessions.retrieve(result.payment.stripe_checkout_session_id)
    assert session.status == "expired"
    with tenant_context(brand_a):
        assert Product.objects.get(pk=product.pk).stock == 3
    stranger = gql(brand_a, make_user(brand_a, role=Role.CUSTOMER)).execute(
        cancel, {"n": result.order.number}
    )
    assert stranger["errors"][0]["extensions"]["code"] == "NOT_FOUND"


def test_a_refund_made_in_stripes_dashboard_arrives_by_webhook(brand_a, shop, stripe_on, events):
    with tenant_context(brand_a):
        result = _card_order(shop, make_product(shop["merchant"], price=Decimal("20.00")), 2)
    stripe_on.complete_checkout(result.payment.stripe_checkout_session_id)
    events.deliver()
    with tenant_context(brand_a):
        payment = Payment.objects.get(pk=result.payment.pk)
    stripe_on.client().v1.refunds.create(params={"payment_intent": payment.transaction_id})
    events.deliver()

    with tenant_context(brand_a):
        order = Order.objects.get(pk=result.order.pk)
        assert (order.status, order.refunded_amount) == (OrderStatus.REFUNDED, Decimal("40.00"))
        assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.REFUNDED
        assert affiliate_balance(shop["affiliate"]).pending == 0
        account = LedgerAccount.objects.get(kind=AccountKind.CUSTOMER_PAYMENTS, owner_type=OwnerType.BRAND)
        assert account.balance == 0
        assert ledger_differences() == []


def test_an_unpaid_card_order_expires_with_its_session(brand_a, shop, stripe_on, events):
    with tenant_context(brand_a):
        product = make_product(shop["merchant"], stock=5)
        result = _card_order(shop, product, 2)
        Order.objects.filter(pk=result.order.pk).update(
            reserved_until=timezone.now() - dt.timedelta(seconds=1)
        )

        assert order_reservations_expire() == 1

        session = stripe_on.client().v1.checkout.sessions.retrieve(result.payment.stripe_checkout_session_id)
        assert session.status == "expired"
        assert Order.objects.get(pk=result.order.pk).status == OrderStatus.CANCELLED
        assert Payment.objects.get(pk=result.payment.pk).status == PaymentStatus.FAILED
        assert Product.objects.get(pk=product.pk).stock == 5
    assert [event["type"] for event in events.deliver()] == ["checkout.session.expired"]
    with tenant_context(brand_a):
        assert Product.objects.get(pk=product.pk).stock == 5  # the event changes nothing more


def test_a_session_paid_whose_webhook_is_late_is_confirmed_not_expired(brand_a, shop, stripe_on, events):
    with tenant_context(brand_a):
        product = make_product(shop["merchant"], stock=5)
        result = _card_order(shop, product, 1)
    stripe_on.complete_checkout(result.payment.stripe_checkout_session_id)  # its webhook is late
    with tenant_context(brand_a):
        Order.objects.filter(pk=result.order.pk).update(
            reserved_until=timezone.now() - dt.timedelta(seconds=1)
        )
        assert order_reservations_expire() == 0
    events.deliver()  # the late webhook finds it done
    with tenant_context(brand_a):
        assert Order.objects.get(pk=result.order.pk).status == OrderStatus.PAID
        assert Payment.objects.get(pk=result.payment.pk).status == PaymentStatus.CONFIRMED
        assert Product.objects.get(pk=product.pk).stock == 4
        assert Invoice.objects.filter(payment=result.payment).count() == 1


def test_money_stripe_takes_for_an_order_that_cannot_be_honoured_goes_back(brand_a, shop, stripe_on, events):
    """A second card payment of a paid order, and a payment given up on that Stripe collected anyway,
    are refunded in Stripe at once; the order stays paid once, with one invoice."""
    from marketplace.services.checkout import _stripe_session_create
    from payments.services.payments import new_payment_reference

    with tenant_context(brand_a):
        result = _card_order(shop, make_product(shop["merchant"], price=Decimal("10.00")), 1)
        order = result.order
        second = Payment.objects.create(
            reference=new_payment_reference(),
            provider="stripe",
            purpose="order",
            order=order,
            amount=order.total,
            currency=order.currency,
            payer=shop["customer"],
        )
        _stripe_session_create(second)
        given_up = Payment.objects.create(
            reference=new_payment_reference(),
            provider="stripe",
            purpose="order",
            order=order,
            amount=order.total,
            currency=order.currency,
            payer=shop["customer"],
        )
        _stripe_session_create(given_up)
        Payment.objects.filter(pk=given_up.pk).update(status=PaymentStatus.FAILED)
    for payment in (result.payment, second, given_up):
        stripe_on.complete_checkout(payment.stripe_checkout_session_id)
    events.deliver()
    assert [event["type"] for event in events.deliver(types=("charge.refunded",))] == ["charge.refunded"] * 2

    with tenant_context(brand_a):
        statuses = [Payment.objects.get(pk=p.pk).status for p in (result.payment, second, given_up)]
        assert statuses == [PaymentStatus.CONFIRMED, PaymentStatus.REFUNDED, PaymentStatus.REFUNDED]
        assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID  # those refunds are not the order's
        assert Order.objects.get(pk=order.pk).refunded_amount == 0
        assert Invoice.objects.filter(payment__order=order).count() == 1
        assert Voucher.objects.filter(line__order=order).count() == 1
        for payment in (second, given_up):
            intent = Payment.objects.get(pk=payment.pk).transaction_id
            refunds = stripe_on.client().v1.refunds.list(params={"payment_intent": intent}).data
            assert [refund.amount for refund in refunds] == [1000]
        assert ledger_differences() == []


def test_stripe_unreachable_cancels_the_order_and_frees_the_stock(gql, brand_a, shop, settings):
    settings.STRIPE_API_KEY = "sk_test_unreachable"
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    product = make_product(shop["merchant"], stock=2)

    placed = gql(brand_a, shop["customer"]).data(
        PLACE, {"input": {"items": [{"productId": str(product.pk), "quantity": 2}], "provider": "STRIPE"}}
    )["orderPlace"]

    assert [error["code"] for error in placed["errors"]] == ["PAYMENT_PROVIDER_ERROR"]
    with tenant_context(brand_a):
        assert Product.objects.get(pk=product.pk).stock == 2
        assert set(Order.objects.filter(customer=shop["customer"]).values_list("status", flat=True)) == {
            OrderStatus.CANCELLED
        }
