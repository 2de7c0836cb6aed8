"""Checkout between brands: orders, payments, vouchers and invoices of brand A are not found from
brand B (queries, mutations, subscriptions), tasks run in the brand that enqueued them, invoice
PDFs live under the brand's own storage prefix, Stripe sessions route to their brand."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from decimal import Decimal
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.core.exceptions import SuspiciousOperation
from django.core.files.storage import default_storage
from django.utils import timezone
from django_tenants.utils import schema_context, tenant_context

from accounts.models import ApiTokenScope, Role
from accounts.services import api_token_create
from marketplace.models import Order, OrderStatus, Product, Voucher
from marketplace.services.checkout import order_checkout
from marketplace.tasks import expire_reservations_task
from payments.models import Invoice, Payment, PaymentStatus
from payments.tasks import invoice_deliver_task
from tenants.models import StripeObjectRoute
from tests.billing.conftest import StripeEvents
from tests.checkout.builders import (
    bank_checkout,
    bank_details,
    fee_plan,
    make_merchant,
    make_product,
    pay_by_bank,
)
from tests.conftest import make_user
from tests.tenancy.test_cache_and_storage import _bucket_keys
from tests.ws_client import GraphQLWebsocket

ADMIN_ACTION = "mutation($r: String!) { %s(reference: $r) { payment { status } } }"


def _paid_order(brand: Any, prefix: str) -> dict[str, Any]:
    """A paid bank-transfer order with its invoice rendered, and one awaiting payment."""
    with tenant_context(brand):
        fee_plan()
        bank_details(invoice_prefix=prefix)
        customer = make_user(brand, role=Role.CUSTOMER)
        admin = make_user(brand, role=Role.BRAND_ADMIN)
        merchant = make_merchant(brand)
        product = make_product(merchant, price=Decimal("10.00"), stock=5)
        paid = bank_checkout(customer, [(product, 1)])
        payment = pay_by_bank(paid, admin)
        pending = bank_checkout(customer, [(product, 1)])
        invoice = Invoice.objects.get(payment=payment)
        invoice_deliver_task.run(invoice.pk)
        invoice.refresh_from_db()
        voucher = Voucher.objects.get(line__order=paid.order)
    return {
        "customer": customer,
        "admin": admin,
        "merchant": merchant,
        "order": paid.order,
        "payment": payment,
        "pending": pending.payment,
        "invoice": invoice,
        "voucher": voucher,
    }


def test_brand_b_finds_none_of_brand_as_checkout_objects(gql, brand_a, brand_b):
    a = _paid_order(brand_a, "AAA")
    b = _paid_order(brand_b, "BBB")
    customer_b = gql(brand_b, b["customer"])
    admin_b = gql(brand_b, b["admin"])
    merchant_b = gql(brand_b, b["merchant"])

    assert customer_b.data(
        "query($n: String!) { order(number: $n) { number } }", {"n": a["order"].number}
    ) == {"order": None}
    assert admin_b.data("query($n: String!) { order(number: $n) { number } }", {"n": a["order"].number}) == {
        "order": None
    }
    assert admin_b.data(
        "query($r: String!) { payment(reference: $r) { status } }", {"r": a["payment"].reference}
    ) == {"payment": None}
    assert admin_b.data(
        "query($n: String!) { invoice(number: $n) { number } }", {"n": a["invoice"].number}
    ) == {"invoice": None}
    by_id = admin_b.data(
        "query($i: ID!) { invoice(id: $i) { number downloadUrl } }", {"i": str(a["invoice"].pk)}
    )
    assert by_id["invoice"] is None or by_id["invoice"]["number"].startswith("BBB-")
    if by_id["invoice"]:
        assert f"/{brand_b.schema_name}/invoices/" in by_id["invoice"]["downloadUrl"]
    listed = admin_b.data(
        "{ orders { edges { node { number } } } invoices { edges { node { number } } }"
        " manualPayments { edges { node { reference } } } }"
    )
    assert a["order"].number not in str(listed)
    assert a["invoice"].number not in str(listed)
    assert a["payment"].reference not in str(listed)
    assert b["invoice"].number in str(listed)

    for action in ("paymentVerify", "paymentConfirm"):
        body = admin_b.execute(
            ADMIN_ACTION % action,
            {"r": a["pending"].reference},
        )
        assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    rejected = admin_b.execute(
        'mutation($r: String!) { paymentReject(reference: $r, reason: "x") { payment { status } } }',
        {"r": a["pending"].reference},
    )
    submitted = customer_b.execute(
        'mutation($r: String!) { paymentSubmitTransaction(reference: $r, transactionId: "TX-1") { payment { status } } }',
        {"r": a["pending"].reference},
    )
    refunded = admin_b.execute(
        'mutation($n: String!) { orderRefund(input: {number: $n, refundId: "R"}) { order { status } } }',
        {"n": a["order"].number},
    )
    redeemed = merchant_b.data(
        "mutation($c: String!) { voucherRedeem(code: $c) { errors { code } } }", {"c": a["voucher"].code}
    )
    assert rejected["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert submitted["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert refunded["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert redeemed["voucherRedeem"]["errors"] == [{"code": "VOUCHER_NOT_FOUND"}]
    with tenant_context(brand_a):
        assert Payment.objects.get(pk=a["pending"].pk).status == PaymentStatus.PENDING
        assert Order.objects.get(pk=a["order"].pk).status == OrderStatus.PAID
        assert Voucher.objects.get(pk=a["voucher"].pk).status == "valid"


def test_invoice_pdfs_live_under_their_brands_prefix(brand_a, brand_b):
    a = _paid_order(brand_a, "PFA")
    name = a["invoice"].pdf_key

    assert f"{brand_a.schema_name}/{name}" in _bucket_keys()
    with tenant_context(brand_b):
        assert not default_storage.exists(name)
        with pytest.raises(FileNotFoundError):
            default_storage.open(name).read()
        with pytest.raises(SuspiciousOperation):
            default_storage.open(f"../{brand_a.schema_name}/{name}")


def test_a_stripe_session_is_routed_to_its_brand_only(brand_a, brand_b, fake_stripe, settings):
    settings.STRIPE_API_KEY = fake_stripe.api_key
    settings.STRIPE_API_BASE = fake_stripe.url
    settings.STRIPE_WEBHOOK_SECRET = fake_stripe.webhook_secret
    events = StripeEvents(fake_stripe)
    results = {}
    for brand in (brand_a, brand_b):
        with tenant_context(brand):
            fee_plan()
            customer = make_user(brand, role=Role.CUSTOMER)
            product = make_product(make_merchant(brand), price=Decimal("12.00"))
            results[brand.schema_name] = order_checkout(
                customer=customer, items=[(product, 1)], provider="stripe"
            )
    a, b = results[brand_a.schema_name], results[brand_b.schema_name]
    with schema_context("public"):
        assert (
            StripeObjectRoute.objects.get(stripe_id=a.payment.stripe_checkout_session_id).tenant_id
            == brand_a.pk
        )

    fake_stripe.complete_checkout(a.payment.stripe_checkout_session_id)
    events.deliver()

    with tenant_context(brand_a):
        assert Order.objects.get(pk=a.order.pk).status == OrderStatus.PAID
    with tenant_context(brand_b):
        assert Order.objects.get(pk=b.order.pk).status == OrderStatus.PENDING_PAYMENT
        assert not Invoice.objects.exists()


@pytest.mark.live
def test_tasks_run_in_the_brand_that_enqueued_them(live_brands, celery_worker_thread):
    """Invoices with the same id in two brands are rendered and stored each in its own schema and
    prefix; the reservation beat job cancels each brand's expired orders in that brand only."""
    numbers = {}
    products = {}
    for index, brand in enumerate(live_brands):
        with tenant_context(brand):
            fee_plan()
            bank_details(invoice_prefix=f"T{index}X")
            customer = make_user(brand, role=Role.CUSTOMER)
            admin = make_user(brand, role=Role.BRAND_ADMIN)
            product = make_product(make_merchant(brand), stock=4)
            pay_by_bank(bank_checkout(customer, [(product, 1)]), admin)  # its invoice task is enqueued
            expired = bank_checkout(customer, [(product, 2)])
            Order.objects.filter(pk=expired.order.pk).update(
                reserved_until=timezone.now() - dt.timedelta(minutes=1)
            )
            numbers[brand.schema_name] = Invoice.objects.get().number
            products[brand.schema_name] = product.pk
    expire_reservations_task.delay()

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        done = []
        for brand in live_brands:
            with tenant_context(brand):
                invoice = Invoice.objects.get()
                done.append(
                    bool(invoice.pdf_key) and Product.objects.get(pk=products[brand.schema_name]).stock == 3
                )
        if all(done):
            break
        time.sleep(0.2)
    keys = _bucket_keys()
    for brand in live_brands:
        with tenant_context(brand):
            invoice = Invoice.objects.get()
            assert invoice.number == numbers[brand.schema_name]
            assert invoice.pdf_key == f"invoices/{invoice.number}.pdf"
            assert Product.objects.get(pk=products[brand.schema_name]).stock == 3
            assert Order.objects.filter(status=OrderStatus.CANCELLED).count() == 1
        assert f"{brand.schema_name}/invoices/{numbers[brand.schema_name]}.pdf" in keys


@pytest.mark.live
async def test_payment_updates_reach_their_brand_only(live_server_port, live_brands):
    brand, other = live_brands

    def setup(target: Any) -> tuple[str, str, str, Any]:
        with tenant_context(target):
            fee_plan()
            bank_details()
            customer = make_user(target, role=Role.CUSTOMER)
            admin = make_user(target, role=Role.BRAND_ADMIN)
            result = bank_checkout(customer, [(make_product(make_merchant(target)), 1)])
            _, customer_token = api_token_create(user=customer, name="ws", scopes=[ApiTokenScope.READ])
            _, admin_token = api_token_create(user=admin, name="ws", scopes=[ApiTokenScope.READ])
        return result.payment.reference, customer_token, admin_token, (customer, result.payment)

    reference, _, admin_token, (customer, payment) = await sync_to_async(setup)(brand)
    _, other_customer_token, other_admin_token, _ = await sync_to_async(setup)(other)
    domain = await sync_to_async(lambda: brand.domains.get().domain)()
    other_domain = await sync_to_async(lambda: other.domains.get().domain)()
    query = "subscription($r: String) { paymentUpdated(reference: $r) { reference status } }"

    mine = await GraphQLWebsocket.open(
        live_server_port, domain, init_payload={"Authorization": f"Bearer {admin_token}"}
    )
    their_admin = await GraphQLWebsocket.open(
        live_server_port, other_domain, init_payload={"Authorization": f"Bearer {other_admin_token}"}
    )
    their_customer = await GraphQLWebsocket.open(
        live_server_port, other_domain, init_payload={"Authorization": f"Bearer {other_customer_token}"}
    )
    await mine.subscribe(query)
    await their_admin.subscribe(query)
    await their_customer.subscribe(query, {"r": reference})
    refused = await their_customer.receive()
    assert refused["type"] == "next"
    assert refused["payload"]["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    await asyncio.sleep(0.3)

    def submit() -> None:
        from payments.services.payments import payment_submit_transaction

        with tenant_context(brand):
            payment_submit_transaction(payment=payment, actor=customer, transaction_id="TX-LIVE")

    await sync_to_async(submit)()

    update = await mine.receive(timeout=5)
    assert update["payload"]["data"]["paymentUpdated"] == {
        "reference": reference,
        "status": "TRANSACTION_SUBMITTED",
    }
    with pytest.raises(TimeoutError):
        await their_admin.receive(timeout=1.5)
    for socket in (mine, their_admin, their_customer):
        await socket.close()
