"""The operator console on the root domain, and the GraphiQL playground with no network."""

from __future__ import annotations

import os
from urllib.parse import urlparse

import pytest
from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from accounts.models import Invitation, Role
from tenants.models import Tenant
from tests.conftest import make_user
from tests.e2e.conftest import in_thread, ui_login

pytestmark = pytest.mark.live


def test_the_operator_creates_a_brand_and_sees_how_long_it_took(browsers):
    public = Tenant.objects.get(schema_name="public")
    operator = make_user(public, role=Role.OPERATOR)
    subdomain = f"e2e{os.getpid()}"
    page = browsers.page(public)

    ui_login(page, operator.email)
    expect(page.get_by_role("heading", name="Brands", level=1)).to_be_visible()
    page.get_by_label("Name", exact=True).fill("Console Brand")
    page.get_by_label("Subdomain").fill(subdomain)
    page.get_by_label("Theme").select_option("vivid")
    page.get_by_label("First brand admin's email").fill(f"owner@{subdomain}.test")
    page.get_by_role("button", name="Create the brand").click()

    created = page.get_by_test_id("brand-created")
    expect(created).to_contain_text(" ms")
    expect(created.get_by_role("link")).to_have_text(f"{subdomain}.localhost")
    expect(page.get_by_test_id("brands-table")).to_contain_text("Console Brand")
    brand = in_thread(lambda: Tenant.objects.get(subdomain=subdomain))
    assert brand.theme == "vivid"
    assert f"{brand.provisioning_ms} ms" in created.inner_text()
    expect(created).to_contain_text(f"Invitation sent to owner@{subdomain}.test.")

    def invited() -> list[str]:
        with tenant_context(brand):
            return list(Invitation.objects.values_list("email", flat=True))

    assert in_thread(invited) == [f"owner@{subdomain}.test"]

    page.get_by_label("Subdomain").fill(subdomain)
    page.get_by_label("Name", exact=True).fill("Twice")
    page.get_by_label("First brand admin's email").fill("twice@example.com")
    page.get_by_role("button", name="Create the brand").click()
    subdomain_field = page.locator(".field").filter(has=page.get_by_label("Subdomain"))
    expect(subdomain_field.locator(".field-error")).to_be_visible()


def test_the_playground_loads_with_no_network(live_brands, browsers):
    page = browsers.page(live_brands[0])
    outside: list[str] = []

    def loopback_only(route):  # type: ignore[no-untyped-def]
        host = urlparse(route.request.url).hostname or ""
        if host == "localhost" or host.endswith(".localhost"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", loopback_only)
    page.goto("/graphql/")

    expect(page.locator(".graphiql-container")).to_be_visible()
    expect(page.locator(".graphiql-query-editor")).to_be_visible()
    assert outside == []
