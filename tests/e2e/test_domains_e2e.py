"""The brand admin's Domains page in a browser, at phone width: add a domain, copy the records,
verify it (the TXT record answered by a local DNS server), make it primary. No CSP violation."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from accounts.models import Role
from tenants.domain_checks import txt_record_name
from tenants.models import CustomDomain
from tests.conftest import make_user
from tests.e2e.conftest import in_thread, ui_login
from tests.tenants import conftest as custom_domain_fixtures

pytestmark = pytest.mark.live

# The local DNS server fixtures of the custom-domain tests (pytest registers them by these names).
dns_server = custom_domain_fixtures.dns_server
custom_dns = custom_domain_fixtures.dns


def _overflow(page) -> int:  # type: ignore[no-untyped-def]
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


def _too_wide(page) -> list[str]:  # type: ignore[no-untyped-def]
    """What sticks out on the right (the menu scrolls sideways on purpose), to name a failure."""
    return list(
        page.evaluate(
            "[...document.querySelectorAll('main *')]"
            ".filter(e => e.getBoundingClientRect().right > window.innerWidth)"
            ".slice(0, 8).map(e => e.tagName + '.' + e.className + ': ' + (e.textContent || '').slice(0, 40))"
        )
    )


def test_a_brand_admin_adds_verifies_and_makes_a_domain_primary_on_a_phone(live_brands, browsers, custom_dns):
    brand, _ = live_brands
    admin = make_user(brand, role=Role.BRAND_ADMIN)
    host = f"shop-{os.environ['TEST_RUN_ID'][-6:]}.example.com"
    # The width the other phone tests use (at 375 px the site footer's links, not this page,
    # overflow by 13 px).
    page = browsers.page(brand, width=390, height=844)
    ui_login(page, admin.email)

    page.goto("/admin/domains")
    expect(page.get_by_role("heading", name="Domains", level=1)).to_be_visible()
    expect(page.get_by_test_id("platform-domain")).to_contain_text("Primary")
    page.get_by_role("textbox", name="Domain").fill(host)
    page.get_by_role("button", name="Add the domain").click()

    card = page.get_by_test_id("custom-domain")
    expect(card).to_contain_text("Pending")
    token = in_thread(lambda: CustomDomain.objects.get(tenant=brand, domain=host).token)
    expect(card.get_by_test_id("record-TXT")).to_contain_text(f"_affiliate-verify.{host}")
    expect(card.get_by_test_id("record-TXT")).to_contain_text(token)
    assert _overflow(page) <= 0, _too_wide(page)

    card.get_by_role("button", name="Verify now").click()
    expect(card.get_by_test_id("last-check")).to_contain_text("does not point at the platform yet")

    custom_dns.set(txt_record_name(host), "TXT", token)
    card.get_by_role("button", name="Verify now").click()
    expect(card).to_contain_text("Verified")
    card.get_by_role("button", name="Make primary").click()
    expect(card).to_contain_text("Primary")
    expect(page.get_by_test_id("platform-domain").get_by_role("button", name="Make primary")).to_be_visible()
    assert _overflow(page) <= 0, _too_wide(page)

    card.get_by_role("button", name="Remove").click()
    card.get_by_role("button", name="Remove this domain").click()
    expect(page.get_by_test_id("custom-domain")).to_have_count(0)
    expect(page.get_by_test_id("platform-domain")).to_contain_text("Primary")
