"""An affiliate watches their links page while one of their links is clicked: the link's
counter rises from the live tick's per-link delta, without a reload and without re-reading
the links."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from affiliation.services import link_create
from tests.conftest import domain_of
from tests.e2e.conftest import FrameLog, ui_login
from tests.engine import make_affiliate, make_program

pytestmark = pytest.mark.live


def test_a_click_shows_on_the_links_row_from_the_ticks_delta(
    live_brands, browsers, live_server_port, click_drain
):
    brand = live_brands[0]
    host = domain_of(brand)
    with tenant_context(brand):
        affiliate = make_affiliate(
            brand, make_program(name="Live links", landing_url="https://shop.example.com/")
        )
        link = link_create(affiliate=affiliate, title="Watched link")
    page = browsers.page(brand)
    frames = FrameLog(page)
    ui_login(page, affiliate.user.email)
    page.goto("/links")
    row = page.get_by_test_id("link-row").filter(has_text="Watched link")
    counter = row.get_by_test_id("link-clicks")
    frames.wait_subscribed(page, "affiliateStats", first_value=True)
    expect(counter).to_have_text("0")
    reads: list[str] = []

    def on_request(request: Any) -> None:
        if "/graphql" in request.url and "MyLinks" in (request.post_data or ""):
            reads.append(request.url)

    page.on("request", on_request)
    page.evaluate("window.__sameDocument = true")

    response = httpx.get(
        f"http://127.0.0.1:{live_server_port}/r/{link.code}",
        headers={"Host": host, "User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Firefox/126.0"},
    )
    assert response.status_code == 302

    expect(counter).to_have_text("1", timeout=5_000)
    page.wait_for_timeout(1500)  # the old page re-read its links a second after a tick
    assert reads == []
    assert page.evaluate("window.__sameDocument") is True
