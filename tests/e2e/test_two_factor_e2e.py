"""Two-factor authentication in a real browser: a brand admin of a brand where it is mandatory
is sent to the enrolment page, scans (reads) the key, confirms a code, sees the backup codes
once, then signs in again with the password and a code; the wallet asks for a fresh code
before a withdrawal."""

from __future__ import annotations

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from accounts.models import Role
from accounts.two_factor import two_factor_setup_begin, two_factor_setup_confirm
from tests.accounts.two_factor_helpers import next_code, secret_of
from tests.conftest import PASSWORD, make_user
from tests.e2e.conftest import fund, in_thread
from tests.engine import make_affiliate, make_program

pytestmark = pytest.mark.live


def test_a_brand_admin_enrols_then_signs_in_with_a_code(live_brands, browsers):
    brand = live_brands[0]
    brand.two_factor_required_roles = ["brand_admin"]
    brand.save(update_fields=["two_factor_required_roles"])
    admin = make_user(brand, role=Role.BRAND_ADMIN)
    page = browsers.page(brand)

    page.goto("/login?next=/admin/withdrawals")
    page.get_by_label("Email", exact=True).fill(admin.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/account/security")
    expect(page.get_by_test_id("enrolment-required")).to_be_visible()
    page.get_by_role("button", name="Set up an authenticator app").click()
    secret = page.get_by_test_id("two-factor-secret").inner_text().strip()
    expect(page.get_by_role("img", name="QR code to scan with an authenticator app")).to_be_visible()
    page.get_by_label("Code", exact=True).fill(in_thread(lambda: next_code(brand, admin, secret)))
    page.get_by_role("button", name="Turn on").click()
    codes = page.get_by_test_id("backup-codes").locator("li")
    expect(codes).to_have_count(10)
    page.get_by_role("button", name="I stored them").click()
    expect(page.get_by_text("Two-factor authentication is on.")).to_be_visible()
    page.goto("/admin/withdrawals")
    expect(page).to_have_url(f"{page.url.split('/admin')[0]}/admin/withdrawals")

    second = browsers.page(brand)
    second.goto("/login")
    second.get_by_label("Email", exact=True).fill(admin.email)
    second.get_by_label("Password").fill(PASSWORD)
    second.get_by_role("button", name="Log in").click()
    expect(second.get_by_role("heading", name="Two-factor authentication")).to_be_visible()
    second.get_by_label("Code", exact=True).fill("000000")
    second.get_by_role("button", name="Verify").click()
    expect(second.get_by_text("This code is not valid. Try the current one.")).to_be_visible()
    second.get_by_label("Code", exact=True).fill(in_thread(lambda: next_code(brand, admin, secret)))
    second.get_by_role("button", name="Verify").click()
    second.wait_for_url("**/admin/*")  # the brand admin's home


def _age_the_code(brand, page) -> None:
    """Move the session's last code back 11 minutes: it is no longer fresh."""
    key = next(cookie["value"] for cookie in page.context.cookies() if cookie["name"] == "sessionid")

    def age() -> None:
        with tenant_context(brand):
            session = SessionStore(session_key=key)
            session["two_factor_verified_at"] -= 11 * 60
            session.save()

    in_thread(age)


def test_the_wallet_asks_for_a_fresh_code_before_a_withdrawal(live_brands, browsers):
    brand = live_brands[0]
    with tenant_context(brand):
        affiliate = make_affiliate(brand, make_program(cascade_rates=[]))
        user = affiliate.user
        secret = secret_of(two_factor_setup_begin(user=user).otpauth_uri)
    with tenant_context(brand):
        two_factor_setup_confirm(request=None, user=user, code=next_code(brand, user, secret))
    fund(brand, affiliate, "100.00")
    page = browsers.page(brand)

    page.goto("/login")
    page.get_by_label("Email", exact=True).fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_label("Code", exact=True).fill(in_thread(lambda: next_code(brand, user, secret)))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url("**/dashboard")
    _age_the_code(brand, page)
    page.goto("/wallet")
    page.get_by_label("Amount").fill("25.50")
    page.get_by_label("PayPal email").fill("ada@example.com")
    page.get_by_role("button", name="Request the withdrawal").click()

    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    dialog.get_by_label("Code", exact=True).fill(in_thread(lambda: next_code(brand, user, secret)))
    dialog.get_by_role("button", name="Verify").click()
    expect(page.get_by_test_id("withdrawal-requested")).to_contain_text("25.50")
