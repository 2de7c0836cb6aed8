"""Money in, in real browsers: a deal bought by bank transfer end to end (the customer orders and
reports the transfer, a brand admin verifies and confirms it from another browser, the customer
sees the order paid with a voucher without reloading), and a merchant's picture uploaded through
the app's own GraphQL multipart request, then shown in the deal's gallery."""

from __future__ import annotations

import io
import re
from decimal import Decimal
from typing import Any

import pytest
from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from accounts.models import Role, User
from marketplace.models import Product, ProductStatus
from marketplace.services import product_create, product_status_set
from tests.checkout.builders import bank_details, fee_plan
from tests.conftest import make_user
from tests.e2e.conftest import FrameLog, ui_login

pytestmark = pytest.mark.live


def _deal(merchant: User, **fields: Any) -> Product:
    """A live deal made as the merchant makes one (the discount derived by the catalog)."""
    product = product_create(actor=merchant, merchant=merchant, currency="EUR", **fields)
    return product_status_set(actor=merchant, product=product, status=ProductStatus.ACTIVE)


def _png(width: int = 640, height: int = 400) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (220, 80, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_deal_bought_by_bank_transfer_is_confirmed_by_the_brand_and_seen_paid_live(live_brands, browsers):
    brand = live_brands[0]
    with tenant_context(brand):
        fee_plan("10")
        bank_details(invoice_prefix="LIV", bank_instructions="Quote the reference in the label.")
        merchant = make_user(brand, role=Role.MERCHANT)
        product = _deal(
            merchant,
            title="Hammam and scrub for two",
            original_price=Decimal("90.00"),
            price=Decimal("54.00"),
            stock=5,
            max_per_purchase=4,
            location_address="12 Derb Sidi Bouloukat, Marrakech",
            latitude=Decimal("31.6258"),
            longitude=Decimal("-7.9891"),
        )
        slug = product.slug
    customer = make_user(brand, role=Role.CUSTOMER)
    admin = make_user(brand, role=Role.BRAND_ADMIN)

    page = browsers.page(brand)
    frames = FrameLog(page)
    ui_login(page, customer.email)
    page.goto(f"/deals/{slug}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hammam and scrub for two")
    price = page.locator(".buy-box").get_by_test_id("price-tag")
    expect(price.locator(".price-now")).to_have_text("€54.00")
    expect(price.locator("s")).to_contain_text("€90.00")
    expect(price.get_by_test_id("discount-badge")).to_contain_text("\u221240%")  # a minus sign, not a hyphen
    map_link = page.get_by_test_id("map-link")
    expect(map_link).to_have_attribute(
        "href", re.compile(r"^https://www\.openstreetmap\.org/\?mlat=31\.6258&mlon=-7\.9891")
    )

    page.get_by_test_id("buy").click()
    page.wait_for_url(f"**/checkout/{slug}")
    page.get_by_label("Quantity").fill("2")
    expect(page.get_by_test_id("checkout-total")).to_contain_text("€108.00")
    page.get_by_role("button", name="Place the order").click()
    # The form's own check: a transfer needs the payer's name, said at the field.
    name = page.get_by_label("Name on the bank account")
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(name).to_be_focused()
    name.fill("Ada Lovelace")
    # Email is the default contact; a messaging app needs a handle.
    channel = page.get_by_label("Reach me on")
    expect(channel).to_have_value("EMAIL")
    channel.select_option("TELEGRAM")
    page.get_by_role("button", name="Place the order").click()
    handle = page.get_by_label("Handle or number")
    expect(page.locator(".field").filter(has=handle).locator(".field-error")).to_have_text(
        "Enter your handle or number."
    )
    handle.fill("@ada_lovelace")
    page.get_by_role("button", name="Place the order").click()

    page.wait_for_url(re.compile(r"/orders/[^/?]+$"))
    order_status = page.get_by_test_id("order-status")
    expect(order_status).to_have_attribute("data-status", "PENDING_PAYMENT")
    details = page.get_by_test_id("bank-details")
    expect(details).to_contain_text("FR1420041010050500013M02606")
    expect(details).to_contain_text("€108.00")
    reference = page.get_by_test_id("bank-reference").inner_text().strip()
    assert reference

    page.get_by_label("Transaction id").fill("VIR-E2E-0042")
    page.get_by_role("button", name="Send the transaction id").click()
    status = page.get_by_test_id("payment-status")
    expect(status).to_have_attribute("data-status", "TRANSACTION_SUBMITTED")
    # The order's badge follows the payment instead of still saying "awaiting payment".
    expect(order_status).to_have_text("Transfer reported — awaiting verification")
    frames.wait_subscribed(page, "paymentUpdated", first_value=True)
    page.evaluate("window.__sameDocument = true")

    desk = browsers.page(brand)
    ui_login(desk, admin.email)
    desk.goto("/admin/payments")
    row = desk.get_by_test_id("payment-row").filter(has_text=reference)
    expect(row).to_contain_text("VIR-E2E-0042")
    expect(row).to_contain_text("@ada_lovelace")
    row.get_by_role("button", name="Verify").click()
    expect(row.get_by_test_id("payment-status")).to_have_attribute("data-status", "VERIFIED")
    expect(status).to_have_attribute("data-status", "VERIFIED")
    row.get_by_role("button", name="Confirm").click()
    expect(row.get_by_test_id("payment-status")).to_have_attribute("data-status", "CONFIRMED")

    # The customer's page, never reloaded: paid, with one voucher per unit.
    expect(order_status).to_have_attribute("data-status", "PAID", timeout=10_000)
    vouchers = page.get_by_test_id("voucher")
    expect(vouchers).to_have_count(2)
    expect(vouchers.first).to_contain_text("Valid")
    assert page.evaluate("window.__sameDocument") is True

    page.goto("/orders")
    card = page.get_by_test_id("order-card").first
    expect(card.get_by_test_id("order-status")).to_have_attribute("data-status", "PAID")
    expect(card.get_by_test_id("voucher")).to_have_count(2)


def test_a_merchant_uploads_a_picture_through_the_apps_multipart_request(live_brands, browsers, request):
    brand = live_brands[1]
    with tenant_context(brand):
        merchant = make_user(brand, role=Role.MERCHANT)
        product = _deal(
            merchant, title="Sunset kayak tour", price=Decimal("35.00"), original_price=Decimal("50.00")
        )
        product_id, slug = product.pk, product.slug

    page = browsers.page(brand)
    ui_login(page, merchant.email)
    uploads: list[dict[str, str | None]] = []
    page.on(
        "request",
        lambda request: (
            uploads.append(
                {"type": request.headers.get("content-type"), "csrf": request.headers.get("x-csrftoken")}
            )
            if request.url.endswith("/graphql/")
            and request.method == "POST"
            and "multipart" in (request.headers.get("content-type") or "")
            else None
        ),
    )
    page.goto(f"/merchant/products/{product_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sunset kayak tour")

    upload = page.get_by_label("Add pictures")
    # A file that is not a picture: refused by content, the error at the field.
    upload.set_input_files(
        files=[{"name": "notes.png", "mimeType": "image/png", "buffer": b"not a picture at all"}]
    )
    upload_field = page.locator(".field").filter(has=upload)
    expect(upload_field.locator(".field-error")).to_contain_text("notes.png")
    expect(page.get_by_test_id("managed-image")).to_have_count(0)

    page.get_by_label("Description of the next picture").fill("Kayaks on the bay at sunset")
    upload.set_input_files(files=[{"name": "bay.png", "mimeType": "image/png", "buffer": _png()}])
    image = page.get_by_test_id("managed-image")
    expect(image).to_have_count(1)
    # The upload answers at once, PENDING: the app shows it being prepared until a worker is done.
    expect(image.get_by_test_id("image-pending")).to_contain_text("Preparing the image")
    request.getfixturevalue("celery_worker_thread")
    expect(image.locator("img")).to_have_attribute("alt", "Kayaks on the bay at sunset", timeout=20_000)
    expect(image).to_contain_text("640\u00d7400")
    page.wait_for_function(
        # A function, not an expression: Playwright evaluates an expression string with eval,
        # which the page's Content-Security-Policy refuses ('unsafe-eval' is not allowed).
        "() => document.querySelector('[data-testid=managed-image] img')?.naturalWidth > 0",
        timeout=10_000,
    )
    assert len(uploads) == 2
    assert all(sent["type"].startswith("multipart/form-data; boundary=") for sent in uploads)  # type: ignore[union-attr]
    assert all(sent["csrf"] for sent in uploads)

    page.goto(f"/deals/{slug}")
    gallery = page.get_by_test_id("gallery-image")
    expect(gallery).to_have_attribute("alt", "Kayaks on the bay at sunset")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=gallery-image]')?.naturalWidth === 640", timeout=10_000
    )
