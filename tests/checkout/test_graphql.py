"""The checkout API: orderPlace (with the click cookie), the payer's and the admins' payment
mutations, orders, vouchers, sales, invoices and billing settings; roles and query counts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django_tenants.utils import tenant_context

from accounts.models import Role
from affiliation.models import Conversion
from marketplace.models import Order, Voucher
from payments.models import Invoice, Payment
from payments.tasks import invoice_deliver_task
from tests.checkout.builders import (
    PAYER,
    bank_checkout,
    bank_details,
    fee_plan,
    make_merchant,
    make_product,
    pay_by_bank,
)
from tests.conftest import make_user
from tests.engine import make_affiliate, make_click, make_program

PLACE = """
mutation($input: OrderPlaceInput!) {
  orderPlace(input: $input) {
    order { number status total { amount currency } lines { title quantity lineTotal { amount } } }
    checkoutUrl
    bankTransfer { reference amount { amount currency } iban accountHolder payBefore }
    errors { field code message }
  }
}
"""
PAYMENT_ACTION = """
mutation($reference: String!) {
  %s(reference: $reference) { payment { status reference } errors { field code } }
}
"""
SUBMIT = """
mutation($reference: String!, $tx: String!) {
  paymentSubmitTransaction(reference: $reference, transactionId: $tx) { payment { status transactionId } errors { field code } }
}
"""
REJECT = """
mutation($reference: String!, $reason: String!) {
  paymentReject(reference: $reference, reason: $reason) { payment { status rejectionReason } errors { field code } }
}
"""
MY_ORDERS = """
{ myOrders(first: 20) { totalCount edges { node {
    number status total { amount } lines { title vouchers { code status } }
    payment { reference status bankTransfer { reference iban } }
} } } }
"""


@pytest.fixture
def shop(brand_a):
    with tenant_context(brand_a):
        fee_plan("10")
        bank_details()
        yield {
            "merchant": make_merchant(brand_a),
            "customer": make_user(brand_a, role=Role.CUSTOMER),
            "admin": make_user(brand_a, role=Role.BRAND_ADMIN),
        }


def _input(product, quantity: int = 1, **extra):
    values = {
        "items": [{"productId": str(product.pk), "quantity": quantity}],
        "provider": "BANK_TRANSFER",
        "payerName": PAYER["payer_name"],
        "payerEmail": PAYER["payer_email"],
        "contactChannel": "WHATSAPP",
        "contact": "+212 612 345 678",
    }
    values.update(extra)
    return values


def test_a_customer_places_an_order_attributed_by_the_click_cookie(gql, brand_a, shop):
    program = make_program(cascade_rates=[])
    affiliate = make_affiliate(brand_a, program)
    click = make_click(affiliate)
    product = make_product(shop["merchant"], price=Decimal("30.00"), stock=4)
    client = gql(brand_a, shop["customer"])
    client.client.cookies["afp_click"] = str(click.id)

    payload = client.data(PLACE, {"input": _input(product, 2)})["orderPlace"]

    assert payload["errors"] == []
    assert payload["checkoutUrl"] is None
    assert payload["order"]["status"] == "PENDING_PAYMENT"
    assert payload["order"]["total"] == {"amount": "60.00", "currency": "EUR"}
    assert payload["bankTransfer"]["iban"] == "FR1420041010050500013M02606"
    assert payload["bankTransfer"]["amount"] == {"amount": "60.00", "currency": "EUR"}
    with tenant_context(brand_a):
        order = Order.objects.get(number=payload["order"]["number"])
        assert order.click_id == click.id
        payment = Payment.objects.get(order=order)
        assert (payment.payer_contact_channel, payment.payer_contact) == ("whatsapp", "+212612345678")

    # The payer reports the transfer, an admin verifies and confirms: the click earns.
    admin = gql(brand_a, shop["admin"])
    reference = payload["bankTransfer"]["reference"]
    submitted = client.data(SUBMIT, {"reference": reference, "tx": "VIR 2026/11/22-0001"})
    assert submitted["paymentSubmitTransaction"]["payment"]["status"] == "TRANSACTION_SUBMITTED"
    for action, status in (("paymentVerify", "VERIFIED"), ("paymentConfirm", "CONFIRMED")):
        answer = admin.data(PAYMENT_ACTION % action, {"reference": reference})[action]
        assert answer == {"payment": {"status": status, "reference": reference}, "errors": []}
    again = admin.data(PAYMENT_ACTION % "paymentConfirm", {"reference": reference})["paymentConfirm"]
    assert again["errors"] == [{"field": "status", "code": "ILLEGAL_TRANSITION"}]
    with tenant_context(brand_a):
        assert Conversion.objects.filter(order_id=f"{order.number}:1", affiliate=affiliate).exists()
        assert Order.objects.get(pk=order.pk).status == "paid"


def test_order_place_answers_user_errors_with_fields_and_codes(gql, brand_a, shop):
    product = make_product(shop["merchant"], max_per_purchase=2)
    client = gql(brand_a, shop["customer"])

    too_many = client.data(PLACE, {"input": _input(product, 3)})["orderPlace"]
    bad_contact = client.data(PLACE, {"input": _input(product, 1, contact="hello")})["orderPlace"]
    unknown = client.data(PLACE, {"input": _input(product, 1, items=[{"productId": "0", "quantity": 1}])})[
        "orderPlace"
    ]

    assert too_many["errors"] == [
        {
            "field": "items.0.quantity",
            "code": "QUANTITY_OUT_OF_RANGE",
            "message": f"Buy between 1 and 2 of “{product.title}”.",
        }
    ]
    assert [(e["field"], e["code"]) for e in bad_contact["errors"]] == [("contact", "INVALID_CONTACT")]
    assert [(e["field"], e["code"]) for e in unknown["errors"]] == [
        ("items.0.productId", "PRODUCT_UNAVAILABLE")
    ]
    assert too_many["order"] is None
    with tenant_context(brand_a):
        assert not Order.objects.exists()


def test_roles_are_checked(gql, brand_a, shop):
    product = make_product(shop["merchant"])
    with tenant_context(brand_a):
        result = bank_checkout(shop["customer"], [(product, 1)])
    reference = result.payment.reference
    anonymous = gql(brand_a)
    customer = gql(brand_a, shop["customer"])
    stranger = gql(brand_a, make_user(brand_a, role=Role.CUSTOMER))

    assert (
        anonymous.execute(PLACE, {"input": _input(product)})["errors"][0]["extensions"]["code"]
        == "UNAUTHENTICATED"
    )
    for action in ("paymentVerify", "paymentConfirm"):
        body = customer.execute(PAYMENT_ACTION % action, {"reference": reference})
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = customer.execute(REJECT, {"reference": reference, "reason": "no"})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    foreign = stranger.execute(SUBMIT, {"reference": reference, "tx": "TX-1"})
    assert foreign["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert stranger.data(
        "query($n: String!) { order(number: $n) { number } }", {"n": result.order.number}
    ) == {"order": None}
    assert stranger.data("query($r: String!) { payment(reference: $r) { status } }", {"r": reference}) == {
        "payment": None
    }
    for query in (
        "{ manualPayments { totalCount } }",
        "{ billingSettings { vatRate } }",
        "{ orders { totalCount } }",
    ):
        assert customer.execute(query)["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (
        customer.execute("{ merchantSales { totalCount } }")["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    )
    with tenant_context(brand_a):
        assert Payment.objects.get(pk=result.payment.pk).status == "pending"


def test_the_admin_rejects_a_transfer_and_the_customer_sees_it(gql, brand_a, shop):
    product = make_product(shop["merchant"], stock=2)
    with tenant_context(brand_a):
        result = bank_checkout(shop["customer"], [(product, 2)])
    admin = gql(brand_a, shop["admin"])

    empty = admin.data(REJECT, {"reference": result.payment.reference, "reason": " "})["paymentReject"]
    rejected = admin.data(REJECT, {"reference": result.payment.reference, "reason": "Wrong amount"})[
        "paymentReject"
    ]

    assert empty["errors"] == [{"field": "reason", "code": "REQUIRED"}]
    assert rejected == {"payment": {"status": "REJECTED", "rejectionReason": "Wrong amount"}, "errors": []}
    orders = gql(brand_a, shop["customer"]).data(MY_ORDERS)["myOrders"]
    assert orders["edges"][0]["node"]["status"] == "CANCELLED"
    with tenant_context(brand_a):
        assert product.__class__.objects.get(pk=product.pk).stock == 2


def _paid_orders(brand, shop, count: int) -> None:
    with tenant_context(brand):
        for _ in range(count):
            product = make_product(shop["merchant"], price=Decimal("10.00"))
            pay_by_bank(bank_checkout(shop["customer"], [(product, 2)]), shop["admin"])
            bank_checkout(shop["customer"], [(product, 1)])  # one pending with its bank details


def test_list_pages_cost_a_constant_number_of_queries(gql, brand_a, shop, django_assert_max_num_queries):
    customer = gql(brand_a, shop["customer"])
    admin = gql(brand_a, shop["admin"])
    merchant = gql(brand_a, shop["merchant"])
    queries = [
        (customer, MY_ORDERS),
        (customer, "{ myVouchers { totalCount edges { node { code title orderNumber status } } } }"),
        (
            customer,
            "{ invoices { totalCount edges { node { number total { amount } lines { description } } } } }",
        ),
        (
            admin,
            "{ manualPayments { totalCount edges { node { reference orderNumber bankTransfer { iban } } } } }",
        ),
        (
            admin,
            "{ orders { totalCount edges { node { number lines { vouchers { code } } payment { status } } } } }",
        ),
        (
            merchant,
            "{ merchantSales { totalCount edges { node { orderNumber net { amount } vouchersValid } } } }",
        ),
    ]
    _paid_orders(brand_a, shop, 1)
    counts = []
    for client, query in queries:
        with django_assert_max_num_queries(15) as captured:
            client.data(query)
        counts.append(len(captured))

    _paid_orders(brand_a, shop, 4)
    for (client, query), count in zip(queries, counts, strict=True):
        with django_assert_max_num_queries(count):
            data = client.data(query)
        assert next(iter(data.values()))["totalCount"] >= 5


def test_sales_vouchers_and_invoices_as_each_role_sees_them(gql, brand_a, shop):
    product = make_product(shop["merchant"], price=Decimal("10.00"))
    with tenant_context(brand_a):
        paid = bank_checkout(shop["customer"], [(product, 2)])
        pay_by_bank(paid, shop["admin"])
        code = Voucher.objects.filter(line__order=paid.order).order_by("pk").first().code
    merchant = gql(brand_a, shop["merchant"])
    other_merchant = gql(brand_a, make_user(brand_a, role=Role.MERCHANT))
    redeem = "mutation($c: String!) { voucherRedeem(code: $c) { voucher { status title } errors { code } } }"

    assert other_merchant.data(redeem, {"c": code})["voucherRedeem"]["errors"] == [
        {"code": "VOUCHER_NOT_FOUND"}
    ]
    assert merchant.data(redeem, {"c": code.lower()})["voucherRedeem"] == {
        "voucher": {"status": "REDEEMED", "title": product.title},
        "errors": [],
    }
    sale = merchant.data(
        "{ merchantSales { edges { node { lineTotal { amount } platformFee { amount } net { amount } vouchersRedeemed vouchersValid } } } }"
    )
    assert sale["merchantSales"]["edges"] == [
        {
            "node": {
                "lineTotal": {"amount": "20.00"},
                "platformFee": {"amount": "2.00"},
                "net": {"amount": "18.00"},
                "vouchersRedeemed": 1,
                "vouchersValid": 1,
            }
        }
    ]
    assert other_merchant.data("{ merchantSales { totalCount } }") == {"merchantSales": {"totalCount": 0}}
    invoices = "{ invoices { edges { node { number total { amount } vatAmount { amount } downloadUrl } } } }"
    mine = gql(brand_a, shop["customer"]).data(invoices)["invoices"]["edges"]
    assert len(mine) == 1
    assert mine[0]["node"]["downloadUrl"] is None  # not rendered yet
    assert mine[0]["node"]["vatAmount"] == {"amount": "3.33"}
    assert merchant.data(invoices)["invoices"]["edges"] == []
    assert len(gql(brand_a, shop["admin"]).data(invoices)["invoices"]["edges"]) == 1
    with tenant_context(brand_a):
        invoice_deliver_task.run(Invoice.objects.get(payment__order=paid.order).pk)
    url = gql(brand_a, shop["customer"]).data(invoices)["invoices"]["edges"][0]["node"]["downloadUrl"]
    assert "X-Amz-Expires=300" in url


def test_an_admin_refunds_an_order(gql, brand_a, shop):
    product = make_product(shop["merchant"], price=Decimal("10.00"))
    with tenant_context(brand_a):
        paid = bank_checkout(shop["customer"], [(product, 3)])
        pay_by_bank(paid, shop["admin"])
        line = paid.order.lines.get()
    refund = """
    mutation($input: OrderRefundInput!) {
      orderRefund(input: $input) { order { status refundedAmount { amount } lines { refundedQuantity vouchers { status } } } errors { field code } }
    }
    """
    admin = gql(brand_a, shop["admin"])

    too_much = admin.data(
        refund, {"input": {"number": paid.order.number, "refundId": "R1", "amount": "30.01"}}
    )
    by_line = admin.data(
        refund,
        {
            "input": {
                "number": paid.order.number,
                "refundId": "R2",
                "lines": [{"lineId": str(line.pk), "quantity": 1}],
            }
        },
    )

    assert too_much["orderRefund"]["errors"] == [{"field": "amount", "code": "REFUND_TOO_LARGE"}]
    order = by_line["orderRefund"]["order"]
    assert by_line["orderRefund"]["errors"] == []
    assert order["status"] == "PARTIALLY_REFUNDED"
    assert order["refundedAmount"] == {"amount": "10.00"}
    assert order["lines"][0]["refundedQuantity"] == 1
    assert sorted(v["status"] for v in order["lines"][0]["vouchers"]) == ["VALID", "VALID", "VOID"]
    body = gql(brand_a, shop["customer"]).execute(
        refund, {"input": {"number": paid.order.number, "refundId": "R3"}}
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_billing_settings_are_validated(gql, brand_a, shop):
    update = """
    mutation($input: BillingSettingsInput!) {
      billingSettingsUpdate(input: $input) { billingSettings { invoicePrefix vatRate bankIban bankBic bankRib } errors { field code } }
    }
    """
    admin = gql(brand_a, shop["admin"])

    bad = admin.data(
        update,
        {
            "input": {
                "invoicePrefix": "in-v",
                "vatRate": "120",
                "bankIban": "FR00 1234",
                "bankBic": "XX",
                "bankRib": "123",
            }
        },
    )["billingSettingsUpdate"]
    good = admin.data(
        update,
        {
            "input": {
                "invoicePrefix": "nova",
                "vatRate": "20",
                "bankIban": "MA64 0115 1900 0001 2050 0053 4921",
                "bankBic": "BCMAMAMC",
                "bankRib": "011 519 0000012050005349 21",
            }
        },
    )["billingSettingsUpdate"]

    assert sorted((e["field"], e["code"]) for e in bad["errors"]) == [
        ("bankBic", "INVALID_BIC"),
        ("bankIban", "INVALID_IBAN"),
        ("bankRib", "INVALID_RIB"),
        ("invoicePrefix", "INVALID_PREFIX"),
        ("vatRate", "INVALID_VAT_RATE"),
    ]
    assert bad["billingSettings"] is None
    assert good["errors"] == []
    assert good["billingSettings"]["invoicePrefix"] == "NOVA"
    assert good["billingSettings"]["vatRate"] == "20.00"
    assert good["billingSettings"]["bankIban"] == "MA64011519000001205000534921"


def test_a_brand_that_never_saved_its_billing_settings_reads_the_defaults(gql, brand_a):
    from payments.models import BillingSettings

    with tenant_context(brand_a):
        BillingSettings.objects.all().delete()
    admin = make_user(brand_a, role=Role.BRAND_ADMIN)

    settings_ = gql(brand_a, admin).data("{ billingSettings { vatRate invoicePrefix } }")["billingSettings"]

    assert settings_ == {"vatRate": "0.00", "invoicePrefix": "INV"}
