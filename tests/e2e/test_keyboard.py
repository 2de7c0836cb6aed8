"""Keyboard and screen-reader behaviour in a real browser, on the demo brand Nova: the focus
never falls to <body> after an action, menus open with Enter/Space and close on Escape (focus
back on their button), "Log in" is reachable on a phone, status messages go into live regions
that exist before the text, and form errors are said at their field with our own words."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import deal_path, in_thread, sign_in

pytestmark = [pytest.mark.live, pytest.mark.timeout(300)]

ACTIVE = "document.activeElement === document.body ? 'BODY' : document.activeElement.outerHTML.slice(0, 160)"


def focused(page: Any) -> str:
    return str(page.evaluate(ACTIVE))


def login_as(browsers: Any, tenant: Any, role: str, *, width: int = 1366) -> Any:
    page = browsers.page(tenant, width=width, height=900)
    sign_in(page, f"{role}@{tenant.subdomain}.test", f"demo-{tenant.subdomain}-{role}")
    return page


def test_checkout_steppers_and_a_reported_transfer_keep_the_focus(demo_brands, browsers):
    nova = demo_brands["nova"]
    slug = in_thread(lambda: deal_path(nova)).rsplit("/", 1)[1]
    page = login_as(browsers, nova, "customer")
    page.goto(f"/checkout/{slug}")
    more = page.get_by_role("button", name="One more")
    less = page.get_by_role("button", name="One less")
    quantity = page.get_by_label("Quantity")
    maximum = int(quantity.get_attribute("max") or "1")

    more.focus()
    for _ in range(maximum + 1):  # one press past the limit
        page.keyboard.press("Enter")
    expect(quantity).to_have_value(str(maximum))
    expect(more).to_have_attribute("aria-disabled", "true")
    expect(more).to_be_focused()
    less.focus()
    for _ in range(maximum + 1):
        page.keyboard.press("Space")
    expect(quantity).to_have_value(quantity.get_attribute("min") or "1")
    expect(less).to_be_focused()

    # A transfer, reported from the keyboard: the form goes away, the focus goes to the news.
    bank = page.get_by_label("Bank transfer")
    if bank.count():
        bank.check()
    page.get_by_label("Name on the bank account").fill("Ada Lovelace")
    page.get_by_role("button", name="Place the order").click()
    page.wait_for_url(re.compile(r"/orders/[^/?]+$"))
    announcer = page.get_by_test_id("payment-announcer")
    expect(announcer).to_have_attribute("role", "status")  # there before it has anything to say
    expect(announcer).to_have_text("")
    page.get_by_label("Transaction id").fill("VIR-KEYBOARD-1")
    page.get_by_label("Transaction id").press("Enter")
    expect(announcer).to_contain_text("VIR-KEYBOARD-1")
    expect(announcer).to_be_focused()
    assert focused(page) != "BODY"


def test_verify_and_reject_in_the_payments_queue_keep_the_focus(demo_brands, browsers):
    page = login_as(browsers, demo_brands["nova"], "brand-admin")
    page.goto("/admin/payments")
    row = page.get_by_test_id("payment-row").first
    reference = row.get_attribute("data-reference")
    row.get_by_role("button", name="Verify").focus()
    page.keyboard.press("Enter")
    confirm = page.locator(f"[data-reference='{reference}']").get_by_role("button", name="Confirm")
    expect(confirm).to_be_focused()  # the row's next step

    reject = page.locator(f"[data-reference='{reference}']").get_by_role("button", name="Reject")
    reject.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label("Reason")).to_be_focused()
    page.keyboard.type("No such transfer on the account.")
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    page.wait_for_function("() => document.activeElement !== document.body")
    assert focused(page) != "BODY"


def test_menus_open_from_the_keyboard_and_close_on_escape(demo_brands, browsers):
    nova = demo_brands["nova"]
    page = login_as(browsers, nova, "brand-admin")
    page.goto("/admin/payments")

    account = page.get_by_role("button", name=re.compile(r"^Account brand-admin@nova\.test"))
    account.focus()
    page.keyboard.press("Enter")
    expect(account).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    page.keyboard.press("Tab")
    page.keyboard.press("Escape")
    expect(account).to_have_attribute("aria-expanded", "false")
    expect(account).to_be_focused()

    # The brand admin's workspace menu: five groups, not twenty-odd links on three rows.
    workspace = page.get_by_role("navigation", name="Your workspace")
    groups = workspace.locator(":scope > div > ul > li > button")
    expect(groups).to_have_text(
        [
            re.compile("Money"),
            re.compile("People"),
            re.compile("Program"),
            re.compile("Settings"),
            re.compile("Developers"),
        ]
    )
    box = workspace.bounding_box()
    assert box is not None
    assert box["height"] < 70, f"the workspace menu wraps: {box}"
    money = workspace.get_by_role("button", name=re.compile("^Money"))
    expect(money).to_have_accessible_name(re.compile(r"Money \(current section\)"))
    money.focus()
    page.keyboard.press("Space")
    expect(money).to_have_attribute("aria-expanded", "true")
    current = workspace.get_by_role("link", name="Payments", exact=True)
    expect(current).to_have_attribute("aria-current", "page")
    page.keyboard.press("Tab")  # into the group, its first entry
    expect(workspace.get_by_role("link", name="Withdrawals")).to_be_focused()
    page.keyboard.press("Escape")
    expect(money).to_have_attribute("aria-expanded", "false")
    expect(money).to_be_focused()
    # A click elsewhere closes a group too; Enter opens one and its links lead on.
    people = workspace.get_by_role("button", name=re.compile("^People"))
    people.focus()
    page.keyboard.press("Enter")
    expect(people).to_have_attribute("aria-expanded", "true")
    page.locator("main h1").click()
    expect(people).to_have_attribute("aria-expanded", "false")
    money.focus()
    page.keyboard.press("Enter")
    workspace.get_by_role("link", name="Withdrawals").press("Enter")
    page.wait_for_url("**/admin/withdrawals")
    expect(money).to_have_attribute("aria-expanded", "false")

    # On a phone the same groups are in the ☰ menu.
    phone = login_as(browsers, nova, "brand-admin", width=390)
    phone.goto("/admin/payments")
    toggle = phone.get_by_role("button", name="Menu")
    toggle.focus()
    phone.keyboard.press("Enter")
    main_menu = phone.get_by_role("navigation", name="Main menu")
    money = main_menu.get_by_role("button", name=re.compile("^Money"))
    expect(money).to_be_visible()
    money.focus()
    phone.keyboard.press("Enter")
    expect(main_menu.get_by_role("link", name="Payments", exact=True)).to_have_attribute(
        "aria-current", "page"
    )
    phone.keyboard.press("Escape")  # the group first
    expect(money).to_be_focused()
    expect(main_menu).to_be_visible()
    phone.keyboard.press("Escape")  # then the menu
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_be_focused()
    expect(main_menu).to_be_hidden()


def test_log_in_is_reachable_from_the_keyboard_on_a_phone(demo_brands, browsers):
    page = browsers.page(demo_brands["nova"], width=390, height=844)
    page.goto("/")
    toggle = page.get_by_role("button", name="Menu")
    for _ in range(12):
        page.keyboard.press("Tab")
        if focused(page).startswith("<button") and "menu-toggle" in focused(page):
            break
    # The app takes over the prerendered page; the focus stays on the menu button, not <body>.
    page.wait_for_selector("#root[data-prerendered]", state="detached")
    expect(toggle).to_be_focused()
    page.keyboard.press("Enter")
    login = page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Log in")
    expect(login).to_be_visible()
    for _ in range(15):
        page.keyboard.press("Tab")
        if "/login" in focused(page):
            break
    expect(login).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url("**/login")
    expect(toggle).to_have_attribute("aria-expanded", "false")


def test_the_wallet_says_an_empty_amount_at_the_field_and_announces_in_a_region_there_from_the_start(
    demo_brands, browsers
):
    page = login_as(browsers, demo_brands["nova"], "affiliate")
    page.goto("/wallet")
    form = page.get_by_role("form", name="Request a withdrawal")
    expect(form).to_be_visible()
    region = page.locator(".card").filter(has=form).locator("[role=status]")
    expect(region).to_have_count(1)
    expect(region).to_have_text("")

    page.get_by_role("button", name="Request the withdrawal").click()
    amount = page.get_by_label("Amount", exact=True)
    expect(amount).to_have_attribute("aria-invalid", "true")
    expect(amount).to_be_focused()
    expect(page.locator(".field").filter(has=amount).locator(".field-error")).to_have_text(
        "This field is required."
    )
    assert "Variable" not in page.locator("main").inner_text()

    amount.fill("abc")
    page.get_by_role("button", name="Request the withdrawal").click()
    expect(page.locator(".field").filter(has=amount).locator(".field-error")).to_have_text(
        "Enter an amount above zero, like 49.90."
    )
