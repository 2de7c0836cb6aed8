"""The notification centre in a real browser: the bell counts live, the list shows what
happened, reading clears the count, and the settings page works at phone width (CSP-clean:
the browsers fixture fails the test on any violation)."""

from __future__ import annotations

import itertools
import os

import pytest
from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from affiliation.services import conversion_record
from notifications.models import NotificationPreference
from tests.e2e.conftest import in_thread, ui_login
from tests.engine import make_affiliate, make_click, make_program

pytestmark = pytest.mark.live

_orders = itertools.count(1)


def test_the_bell_counts_live_the_list_shows_it_and_reading_clears_it(live_brands, browsers):
    brand = live_brands[0]
    with tenant_context(brand):
        affiliate = make_affiliate(brand, make_program(cascade_rates=[]))
    email = affiliate.user.email
    page = browsers.page(brand)
    ui_login(page, email)
    bell = page.get_by_test_id("notification-bell")
    expect(bell).to_be_visible()
    expect(page.get_by_test_id("notification-unread-count")).to_have_text("1")  # joined a program

    def sale() -> None:
        with tenant_context(brand):
            click = make_click(affiliate)
            conversion_record(
                source="api",
                order_id=f"bell-{os.getpid()}-{next(_orders)}",
                amount="200.00",
                currency="EUR",
                click_id=str(click.pk),
            )

    in_thread(sale)
    expect(page.get_by_test_id("notification-unread-count")).to_have_text("2")  # live, no reload

    bell.click()
    page.wait_for_url("**/notifications")
    first = page.get_by_test_id("notification").first
    expect(first).to_contain_text("Commission earned: 40.00 EUR")
    expect(first).to_have_attribute("data-unread", "true")
    page.get_by_test_id("notifications-mark-all").click()
    expect(page.get_by_test_id("notification-unread-count")).to_have_count(0)
    expect(page.get_by_test_id("notification").first).to_have_attribute("data-unread", "false")


def test_the_settings_page_saves_a_choice_at_phone_width(live_brands, browsers):
    brand = live_brands[0]
    with tenant_context(brand):
        affiliate = make_affiliate(brand, make_program(cascade_rates=[]))
    page = browsers.page(brand, width=390, height=844)
    ui_login(page, affiliate.user.email)
    page.goto("/account/notifications")
    email = page.get_by_test_id("preference-commission.created-EMAIL")
    expect(email).to_be_checked()
    expect(page.get_by_test_id("preference-commission.created-TELEGRAM")).to_be_disabled()
    expect(page.get_by_test_id("notification-bell")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways at phone width ({width}px)"

    email.uncheck()
    expect(email).not_to_be_checked()

    def saved() -> bool:
        with tenant_context(brand):
            return NotificationPreference.objects.filter(
                user=affiliate.user, kind="commission.created", method="email", enabled=False
            ).exists()

    for _ in range(50):
        if in_thread(saved):
            break
        page.wait_for_timeout(100)
    assert in_thread(saved)
