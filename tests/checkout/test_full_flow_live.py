"""The whole manual bank-transfer purchase on a live server: a real click through the redirect lane
and the drain, its cookie carried to orderPlace, the payer's and the admin's steps over HTTP with
CSRF, the payer watching live, then vouchers, the conversion and commission of the referring
affiliate, the invoice PDF in S3 and the email with the PDF attached from the Celery worker."""

from __future__ import annotations

import asyncio
import itertools
import os
import threading
import time
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django_tenants.utils import tenant_context

from accounts.models import Role
from affiliation.models import Commission, Conversion
from ledger.selectors import ledger_differences
from marketplace.models import Order, Voucher
from payments.models import Invoice
from tests.checkout.builders import bank_details, fee_plan, make_merchant, make_product
from tests.conftest import delete_tracking_keys, make_user
from tests.tracking.conftest import LaneClient, brand_links
from tests.ws_client import GraphQLWebsocket
from tracking.ingest import ClickDrain
from tracking.redirect import ClickLane, LaneConfig

pytestmark = pytest.mark.live

_numbers = itertools.count(1)

PLACE = """
mutation($input: OrderPlaceInput!) {
  orderPlace(input: $input) { order { number } bankTransfer { reference iban } errors { field code } }
}
"""
ACT = "mutation($r: String!) { %s(reference: $r) { payment { status } errors { code } } }"
SUBMIT = """
mutation($r: String!) { paymentSubmitTransaction(reference: $r, transactionId: "VIR-LIVE-1") { payment { status } errors { code } } }
"""


def _wait_for(condition: Any, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


@pytest.fixture
def tracking(settings: Any, tmp_path: Any) -> Any:
    """The click lane and the drain on a Redis key prefix of this test's own."""
    prefix = f"test{os.environ['TEST_RUN_ID']}-checkout{next(_numbers)}"
    settings.TRACKING_KEY_PREFIX = prefix
    lane = LaneClient(ClickLane(LaneConfig.from_settings(fallback_dir=tmp_path / "fallback")))
    drain = ClickDrain(consumer="checkout-drain", fallback_dir=tmp_path / "fallback", key_prefix=prefix)
    yield lane, drain
    drain.close()
    lane.close()
    delete_tracking_keys(f"{prefix}:*")


def test_a_bank_transfer_purchase_from_click_to_emailed_invoice(
    live_brands, live_client, live_server_port, celery_worker_thread, tracking
):
    brand, _ = live_brands
    lane, drain = tracking
    links = brand_links(brand)  # a program paying 20 %, an approved affiliate and a link
    with tenant_context(brand):
        fee_plan("10")
        bank_details(invoice_prefix="LIVE")
        merchant = make_merchant(brand)
        product = make_product(merchant, price=Decimal("45.00"), stock=3, program=links.program)
    customer = make_user(brand, role=Role.CUSTOMER)
    admin = make_user(brand, role=Role.BRAND_ADMIN)

    # The customer follows the affiliate's link: the lane sets the cookie, the drain stores the click.
    redirect = lane.get(links.host, f"/r/{links.link.code}")
    assert redirect.status_code == 302
    click_cookie = redirect.headers["set-cookie"].split(";", 1)[0]
    assert click_cookie.startswith("afp_click=")
    drain.drain_available()

    buyer = live_client(brand)
    buyer.login(customer.email)
    csrf = buyer.http.cookies["csrftoken"]
    cookies = f"{buyer.cookie_header()}; {click_cookie}"
    placed = buyer.post(
        PLACE,
        {
            "input": {
                "items": [{"productId": str(product.pk), "quantity": 2}],
                "provider": "BANK_TRANSFER",
                "payerName": "Ana Doe",
                "payerEmail": "ana.live@example.com",
                "contactChannel": "DISCORD",
                "contact": "ana.doe",
            }
        },
        headers={"X-CSRFToken": csrf, "Cookie": cookies},
    ).json()["data"]["orderPlace"]
    assert placed["errors"] == []
    reference = placed["bankTransfer"]["reference"]
    number = placed["order"]["number"]

    # The payer watches the payment live while they and the admin move it along.
    updates: list[str] = []
    subscribed = threading.Event()

    async def watch() -> None:
        socket = await GraphQLWebsocket.open(live_server_port, buyer.host, cookie=buyer.cookie_header())
        await socket.subscribe(
            "subscription($r: String) { paymentUpdated(reference: $r) { status } }", {"r": reference}
        )
        first = await socket.receive()
        updates.append(first["payload"]["data"]["paymentUpdated"]["status"])
        subscribed.set()
        while len(updates) < 4:
            message = await socket.receive(timeout=15)
            updates.append(message["payload"]["data"]["paymentUpdated"]["status"])
        await socket.close()

    watcher = threading.Thread(target=lambda: asyncio.run(watch()))
    watcher.start()
    assert subscribed.wait(10)
    time.sleep(0.3)

    submitted = buyer.post(SUBMIT, {"r": reference}, headers={"X-CSRFToken": csrf}).json()
    assert submitted["data"]["paymentSubmitTransaction"]["payment"]["status"] == "TRANSACTION_SUBMITTED"
    back_office = live_client(brand)
    back_office.login(admin.email)
    for action, status in (("paymentVerify", "VERIFIED"), ("paymentConfirm", "CONFIRMED")):
        answer = back_office.post(
            ACT % action, {"r": reference}, headers={"X-CSRFToken": back_office.csrf_token()}
        )
        assert answer.json()["data"][action] == {"payment": {"status": status}, "errors": []}
    watcher.join(timeout=20)
    assert updates == ["PENDING", "TRANSACTION_SUBMITTED", "VERIFIED", "CONFIRMED"]

    # The worker renders, stores and emails the invoice.
    message = _wait_for(lambda: next((m for m in mail.outbox if number_in(m, brand)), None))
    with tenant_context(brand):
        order = Order.objects.get(number=number)
        invoice = _wait_for(lambda: Invoice.objects.filter(payment__order=order).exclude(pdf_key="").first())
        assert order.status == "paid"
        assert Voucher.objects.filter(line__order=order).count() == 2
        conversion = Conversion.objects.get(order_id=f"{number}:1")
        assert conversion.affiliate_id == links.affiliate.pk
        assert str(conversion.click_id) == click_cookie.split("=", 1)[1]
        assert Commission.objects.get(conversion=conversion, level=0).amount == Decimal("18.00")
        assert ledger_differences() == []
        pdf = default_storage.open(invoice.pdf_key).read()
    assert message.to == ["ana.live@example.com"]
    assert message.attachments == [(f"{invoice.number}.pdf", pdf, "application/pdf")]
    assert pdf.startswith(b"%PDF")


def number_in(message: Any, brand: Any) -> bool:
    return "LIVE-" in message.subject and brand.name in message.subject
