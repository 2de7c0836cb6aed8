"""In the browser: an invited brand admin opens the emailed link on the brand's host, sets a name
and password, lands signed in on the setup checklist, and follows it to the invitations page."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from accounts.invitations import invitation_create, invitation_send
from accounts.models import Role, User
from tests.conftest import PASSWORD
from tests.e2e.conftest import in_thread

pytestmark = pytest.mark.live


def test_an_invited_admin_accepts_in_the_browser_and_sees_the_setup_checklist(live_brands, browsers):
    brand, _ = live_brands
    delivered: list[str] = []
    with tenant_context(brand):
        invitation = invitation_create(actor=None, email="owner@e2e.test", role=Role.BRAND_ADMIN)
        invitation_send(
            invitation_id=invitation.pk, deliver=lambda _invitation, secret: delivered.append(secret)
        )
    page = browsers.page(brand)

    page.goto(f"/invitation/accept?token={delivered[0]}")
    expect(page.get_by_text("You are invited to join as Brand admin with owner@e2e.test.")).to_be_visible()
    page.get_by_label("Full name").fill("Olive Owner")
    page.get_by_label("Choose a password").fill(PASSWORD)
    page.get_by_role("button", name="Accept and sign in").click()

    page.wait_for_url("**/admin/setup")
    checklist = page.get_by_test_id("setup-checklist")
    expect(checklist.get_by_test_id("setup-step")).to_have_count(5)
    checklist.get_by_role("link", name="Invite your first merchant").click()
    page.wait_for_url("**/admin/invitations")
    expect(page.get_by_test_id("invitation")).to_contain_text("owner@e2e.test")
    expect(page.get_by_test_id("invitation")).to_contain_text("Accepted")

    def owner() -> tuple[str, str]:
        with tenant_context(brand):
            user = User.objects.get(email="owner@e2e.test")
            return user.role, user.full_name

    assert in_thread(owner) == (Role.BRAND_ADMIN, "Olive Owner")
    page.goto(f"/invitation/accept?token={delivered[0]}")
    expect(page.get_by_text("This invitation is invalid, expired, revoked or already used.")).to_be_visible()
