"""An affiliate's day, in real browsers: sign up, create a link, see a click arrive live; ask
for a withdrawal, fix a field error, and watch the brand admin's approval arrive live."""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import time

import pytest
from django_tenants.utils import tenant_context
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from accounts.models import Role
from tests.conftest import domain_of, make_user
from tests.e2e.conftest import FrameLog, fund, in_thread, ui_login
from tests.engine import make_affiliate, make_program

_numbers = itertools.count(1)

pytestmark = pytest.mark.live


def _emailed_token(brand, email: str) -> str:
    """The sign-in link signup emails: from the outbox when a Celery worker of this run already
    sent it, else delivered here as the task would (whoever claims the link first sends it)."""
    from django.core import mail

    from accounts.models import MagicLink
    from accounts.services import magic_link_send

    deadline = time.monotonic() + 30
    while True:
        for message in reversed(mail.outbox):
            found = re.search(r"token=([^\s&\"'<]+)", message.body)
            if email in message.to and found:
                return found.group(1)
        delivered: list[str] = []
        with tenant_context(brand):
            link = MagicLink.objects.filter(user__email=email, sent_at__isnull=True).first()
            if link is not None:
                magic_link_send(
                    link_id=link.pk, deliver=lambda _link, secret, out=delivered: out.append(secret)
                )
        if delivered:
            return delivered[0]
        assert time.monotonic() < deadline, f"no sign-in link was emailed to {email}"
        time.sleep(0.1)


def test_a_click_on_a_new_link_shows_on_the_dashboard_without_reload(
    live_brands, browsers, live_server_port, click_drain
):
    brand = live_brands[0]
    host = domain_of(brand)
    with tenant_context(brand):
        make_program(name="Launch partners", landing_url="https://shop.example.com/")
    page = browsers.page(brand)
    frames = FrameLog(page)

    email = f"ada-{os.getpid()}-{next(_numbers)}@example.com"
    page.goto("/signup")
    page.get_by_label("Full name").fill("Ada Lovelace")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password").fill("e2e-Sunny-Orchard-42")
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
    page.goto(f"/login/magic?token={in_thread(lambda: _emailed_token(brand, email))}")
    page.wait_for_url("**/dashboard")
    page.get_by_role("link", name="My links").click()
    page.get_by_label("Title").fill("Launch post")
    page.get_by_role("button", name="Create the link").click()
    row = page.get_by_test_id("link-row").filter(has_text="Launch post")
    expect(row).to_be_visible()
    code = row.get_attribute("data-code")
    page.get_by_role("link", name="Dashboard").click()
    counter = page.get_by_test_id("stat-clicks").locator(".stat-value")
    frames.wait_subscribed(page, "affiliateStats", first_value=True)
    expect(counter).to_have_text("0")
    page.evaluate("window.__sameDocument = true")

    visitor = browsers.context()
    shopper = visitor.new_page()
    # The shop is not on this machine: the browser follows the redirect and fails there.
    with (
        shopper.expect_response(lambda response: f"/r/{code}" in response.url) as redirect,
        contextlib.suppress(PlaywrightError),
    ):
        shopper.goto(f"http://{host}:{live_server_port}/r/{code}")
    assert redirect.value.status == 302
    assert redirect.value.headers["location"].startswith("https://shop.example.com/")
    assert "afp_click" in {cookie["name"] for cookie in visitor.cookies()}

    expect(counter).to_have_text("1", timeout=10_000)
    assert page.evaluate("window.__sameDocument") is True


def test_a_withdrawal_is_corrected_requested_and_its_approval_seen_live(live_brands, browsers):
    brand = live_brands[0]
    with tenant_context(brand):
        program = make_program(cascade_rates=[])
        affiliate = make_affiliate(brand, program)
        email = affiliate.user.email
    fund(brand, affiliate, "100.00")
    admin = make_user(brand, role=Role.BRAND_ADMIN)

    page = browsers.page(brand)
    frames = FrameLog(page)
    ui_login(page, email)
    page.goto("/wallet")
    expect(page.get_by_test_id("balance-available")).to_contain_text("100.00")
    amount = page.get_by_label("Amount")
    amount.fill("5")
    page.get_by_label("PayPal email").fill("ada@example.com")
    page.get_by_role("button", name="Request the withdrawal").click()

    amount_field = page.locator(".field").filter(has=page.get_by_label("Amount"))
    expect(amount_field.locator(".field-error")).to_contain_text("minimum withdrawal is 10")
    expect(amount).to_have_attribute("aria-invalid", "true")
    expect(amount).to_be_focused()
    expect(page.locator(".form-errors")).to_have_count(0)

    amount.fill("25.50")
    page.get_by_role("button", name="Request the withdrawal").click()
    expect(page.get_by_test_id("withdrawal-requested")).to_contain_text("25.50")
    expect(amount_field.locator(".field-error")).to_have_count(0)
    status = page.get_by_test_id("withdrawal-row").first.get_by_test_id("withdrawal-status")
    expect(status).to_have_attribute("data-status", "REQUESTED")
    expect(page.get_by_test_id("balance-available")).to_contain_text("74.50")
    frames.wait_subscribed(page, "withdrawalUpdated")
    page.evaluate("window.__sameDocument = true")

    desk = browsers.page(brand)
    ui_login(desk, admin.email)
    desk.goto("/admin/withdrawals")  # a brand admin lands on the setup checklist
    queued = desk.get_by_test_id("queue-row").filter(has_text=email)
    queued.get_by_role("button", name="Approve").click()
    expect(status).to_have_attribute("data-status", "APPROVED")

    desk.get_by_role("button", name="To pay").click()
    desk.get_by_test_id("queue-row").filter(has_text=email).get_by_role("button", name="Mark paid").click()
    dialog = desk.get_by_role("dialog")
    dialog.get_by_label("Payment reference").fill("PP-2041")
    dialog.get_by_role("button", name="Mark paid").click()
    expect(dialog).to_be_hidden()

    expect(status).to_have_attribute("data-status", "PAID")
    expect(page.get_by_test_id("withdrawal-row").first).to_contain_text("PP-2041")
    assert page.evaluate("window.__sameDocument") is True
