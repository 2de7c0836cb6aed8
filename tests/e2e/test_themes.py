"""Brands look like themselves from the first paint, on any screen, and re-theme live."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Role
from tests.conftest import make_user
from tests.e2e.conftest import FrameLog, css_variable, ui_login
from themes import get_theme

pytestmark = pytest.mark.live


def test_two_brands_render_with_their_own_themes(live_brands, browsers):
    shots = []
    for tenant in live_brands:
        page = browsers.page(tenant)
        page.goto("/")
        expect(page.get_by_role("heading", level=1)).to_contain_text(tenant.name)
        colours = get_theme(tenant.theme)["colors"]
        assert css_variable(page, "--color-primary") == colours["primary"]
        assert css_variable(page, "--color-background") == colours["background"]
        assert page.evaluate("document.documentElement.lang") == tenant.language
        shots.append(page.screenshot(full_page=True))

    assert live_brands[0].theme != live_brands[1].theme
    assert shots[0] != shots[1]


def test_pages_fit_a_phone_and_start_with_a_skip_link(live_brands, browsers):
    page = browsers.page(live_brands[1], width=390, height=844)
    for path in ("/", "/program", "/leaderboard", "/faq", "/signup", "/login"):
        page.goto(path)
        expect(page.locator("main h1").first).to_be_visible()
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} is {overflow}px wider than the phone"

    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.get_by_role("button", name="Menu").click()
    expect(page.get_by_role("navigation", name="Main menu").get_by_role("link", name="FAQ")).to_be_visible()


def test_a_new_theme_re_themes_open_pages_without_a_reload(live_brands, browsers):
    brand = live_brands[0]
    admin = make_user(brand, role=Role.BRAND_ADMIN)
    visitor = browsers.page(brand)
    frames = FrameLog(visitor)
    visitor.goto("/faq")
    frames.wait_subscribed(visitor, "brandUpdated")
    visitor.evaluate("window.__sameDocument = true")
    assert css_variable(visitor, "--color-primary") == get_theme("default")["colors"]["primary"]

    editor = browsers.page(brand)
    ui_login(editor, admin.email)
    editor.goto("/admin/theme")
    editor.get_by_role("radio", name=re.compile("Aurum")).check()
    preview = editor.get_by_test_id("theme-preview")
    expect(preview).to_have_attribute("data-theme", "aurum")
    assert preview.evaluate("element => element.style.getPropertyValue('--color-primary')") == "#d4af37"
    editor.get_by_role("button", name="Save and publish").click()
    expect(editor.get_by_role("status").filter(has_text="Published")).to_be_visible()

    visitor.wait_for_function(
        "() => getComputedStyle(document.documentElement).getPropertyValue('--color-primary').trim() === '#d4af37'"
    )
    assert visitor.evaluate("window.__sameDocument") is True
    assert visitor.evaluate("document.documentElement.dataset.theme") == "aurum"


def test_an_override_previews_in_the_editor_then_re_themes_open_pages(live_brands, browsers):
    brand = live_brands[0]
    admin = make_user(brand, role=Role.BRAND_ADMIN)
    visitor = browsers.page(brand)
    frames = FrameLog(visitor)
    visitor.goto("/faq")
    frames.wait_subscribed(visitor, "brandUpdated")

    editor = browsers.page(brand)
    ui_login(editor, admin.email)
    editor.goto("/admin/theme")
    editor.get_by_role("textbox", name="Primary", exact=True).fill("#7c2d12")
    preview = editor.get_by_test_id("theme-preview")
    expect(preview).to_have_attribute("style", re.compile("--color-primary: #7c2d12"))
    assert css_variable(visitor, "--color-primary") == get_theme("default")["colors"]["primary"]  # a draft

    editor.get_by_role("textbox", name="Text on primary", exact=True).fill(
        "#7c2d13"
    )  # unreadable on the new primary
    editor.get_by_role("button", name="Save and publish").click()
    expect(editor.get_by_role("textbox", name="Text on primary", exact=True)).to_have_attribute(
        "aria-invalid", "true"
    )

    editor.get_by_role("textbox", name="Text on primary", exact=True).fill("")
    editor.get_by_role("button", name="Save and publish").click()
    expect(editor.get_by_role("status").filter(has_text="Published")).to_be_visible()
    visitor.wait_for_function(
        "() => getComputedStyle(document.documentElement).getPropertyValue('--color-primary').trim() === '#7c2d12'"
    )
