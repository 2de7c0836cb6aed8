"""A merchant signs up under the brand's approval policy and a brand admin approves the
application on the users page, in a real browser."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from accounts.models import Role, User
from tests.conftest import make_user
from tests.e2e.conftest import in_thread, ui_login
from tests.engine import make_program

pytestmark = pytest.mark.live


def test_a_merchant_application_is_approved_on_the_users_page(live_brands, browsers):
    brand = live_brands[0]
    with tenant_context(brand):
        make_program(name="Shop partners")
        admin = make_user(brand, role=Role.BRAND_ADMIN)
    email = f"shop-{brand.schema_name}@example.com"

    visitor = browsers.page(brand)
    visitor.goto("/signup")
    visitor.get_by_label("Email", exact=True).fill(email)
    visitor.get_by_label("Password").fill("e2e-Sunny-Orchard-42")
    visitor.get_by_label("Merchant").check()
    visitor.get_by_role("button", name="Create my account").click()
    expect(visitor.get_by_role("heading", name="Check your inbox")).to_be_visible()
    expect(visitor.get_by_text("awaits the approval")).to_be_visible()

    desk = browsers.page(brand)
    ui_login(desk, admin.email)
    desk.goto("/admin/users")
    row = desk.get_by_test_id("merchant-application").filter(has_text=email)
    expect(row).to_be_visible()
    row.get_by_role("button", name=f"Approve {email} as a merchant").click()
    expect(row).to_have_count(0)
    expect(desk.get_by_text("No merchant is waiting for approval.")).to_be_visible()

    def role() -> str:
        with tenant_context(brand):
            return User.objects.get(email=email).role

    assert in_thread(role) == Role.MERCHANT
