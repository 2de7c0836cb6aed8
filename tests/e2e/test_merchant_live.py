"""A merchant watches their sales page while an affiliate's link to their product is clicked:
the live counter rises without a reload."""

from __future__ import annotations

import httpx
import pytest
from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from affiliation.services import link_create
from tests.conftest import domain_of
from tests.e2e.conftest import FrameLog, ui_login
from tests.engine import make_affiliate, make_program
from tests.marketplace.builders import make_merchant, make_product

pytestmark = pytest.mark.live


def test_a_click_on_a_link_to_the_merchants_product_shows_on_their_sales_page_without_reload(
    live_brands, browsers, live_server_port, click_drain
):
    brand = live_brands[0]
    host = domain_of(brand)
    with tenant_context(brand):
        program = make_program(name="Spa partners", landing_url="https://shop.example.com/")
        merchant = make_merchant(brand)
        product = make_product(merchant, program=program, currency="EUR")
        link = link_create(affiliate=make_affiliate(brand, program), offer_ref=product.offer_ref)
    page = browsers.page(brand)
    frames = FrameLog(page)
    ui_login(page, merchant.email)
    page.goto("/merchant/sales")
    counter = page.get_by_test_id("merchant-stat-clicks").locator(".stat-value")
    frames.wait_subscribed(page, "merchantStats", first_value=True)
    expect(counter).to_have_text("0")
    page.evaluate("window.__sameDocument = true")

    response = httpx.get(
        f"http://127.0.0.1:{live_server_port}/r/{link.code}",
        headers={"Host": host, "User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Firefox/126.0"},
    )
    assert response.status_code == 302

    expect(counter).to_have_text("1", timeout=5_000)
    assert page.evaluate("window.__sameDocument") is True
