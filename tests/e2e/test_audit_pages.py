"""The audit pages in a browser: a user's Security activity and the brand admin's Audit log."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.models import Role
from tests.conftest import make_user
from tests.e2e.conftest import DESKTOP_UA, ui_login

pytestmark = pytest.mark.live


def test_security_activity_and_the_brand_audit_log(live_brands, browsers):
    brand, _ = live_brands
    affiliate = make_user(brand, role=Role.AFFILIATE)
    admin = make_user(brand, role=Role.BRAND_ADMIN)

    page = browsers.page(brand)
    page.goto("/login")
    page.get_by_label("Email", exact=True).fill(affiliate.email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert").first).to_be_visible()
    ui_login(page, affiliate.email)
    page.goto("/account/activity")

    events = page.get_by_test_id("security-event")
    expect(events).to_have_count(2)
    expect(events.nth(0)).to_contain_text("Signed in")
    expect(events.nth(1)).to_contain_text("Failed sign-in")
    expect(events.nth(0)).to_contain_text("127.0.0.1")
    expect(events.nth(0)).to_contain_text(DESKTOP_UA)

    admin_page = browsers.page(brand)
    ui_login(admin_page, admin.email)
    admin_page.goto("/admin/audit")
    expect(admin_page.get_by_role("heading", name="Audit log", level=1)).to_be_visible()
    table = admin_page.get_by_test_id("audit-events")
    expect(table).to_contain_text("Failed sign-in")
    admin_page.get_by_label("Action").fill("user.login_failed")
    admin_page.get_by_role("button", name="Apply").click()
    expect(admin_page.get_by_test_id("audit-event")).to_have_count(1)
    expect(admin_page.get_by_test_id("audit-event")).to_contain_text(affiliate.email)
    expect(admin_page.get_by_test_id("audit-export")).to_have_attribute(
        "href", "/audit/export.csv?action=user.login_failed"
    )
