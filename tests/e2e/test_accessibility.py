"""Accessibility: axe-core (WCAG 2.1 A and AA) on the main pages of both demo brands, in both
colour modes, at desktop and phone width: no critical or serious violation.

What is scanned (chosen to keep the run near a minute on two cores): every page at desktop
width in both colour modes, and every page again at phone width in the brand's first-paint
mode (light). One browser per test; a test per brand and viewport, each looping over the pages
so one run reports every violation it finds at once.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tenants.models import Tenant
from tests.e2e.conftest import deal_path, in_thread, sign_in

pytestmark = [pytest.mark.live, pytest.mark.timeout(600)]

AXE_SOURCE = Path(__file__).resolve().parents[2] / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Two rules outside those tags' defaults that the audit also ran: an accessible name must contain
# the visible label (WCAG 2.5.3, axe marks the rule experimental) and headings must not skip levels.
AXE_EXTRA_RULES = ["label-content-name-mismatch", "heading-order"]
FAILING_IMPACTS = {"critical", "serious"}
DESKTOP = (1366, 900)
PHONE = (390, 844)

PUBLIC_PAGES = ["/", "/deals", "{deal}", "/program", "/faq", "/leaderboard", "/login"]
SIGNED_IN_PAGES = {
    "affiliate": ["/dashboard", "/links", "/wallet"],
    "merchant": ["/merchant/products", "/merchant/products/new"],
    "brand-admin": ["/admin/payments", "/admin/withdrawals", "/admin/theme"],
}
DEMO_PASSWORD = "demo-{subdomain}-{role}"


def settle(page: Any, path: str) -> None:
    page.goto(path)
    try:
        page.locator("main h1").first.wait_for()
    except Exception as error:
        shown = page.locator("main").inner_text()[:300]
        raise AssertionError(f"{page.url} never showed its heading: {shown}") from error
    # Loading placeholders gone (a page scanned half-loaded hides its real markup).
    page.wait_for_function("() => !document.querySelector('main [aria-busy=\"true\"]')")


def axe_scan(page: Any) -> list[dict[str, Any]]:
    """Violations of the chosen tags and rules on the page as it is now."""
    options = {
        "runOnly": {"type": "tag", "values": AXE_TAGS},
        "rules": {rule: {"enabled": True} for rule in AXE_EXTRA_RULES},
        "resultTypes": ["violations"],
    }
    violations: list[dict[str, Any]] = page.evaluate(
        """async (options) => {
            const results = await window.axe.run(document, options);
            return results.violations.map((violation) => ({
              id: violation.id,
              impact: violation.impact,
              help: violation.help,
              targets: violation.nodes.map((node) => node.target.join(" ")),
            }));
        }""",
        options,
    )
    return violations


def failing(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [v for v in violations if v["impact"] in FAILING_IMPACTS or v["id"] in AXE_EXTRA_RULES]


def scan_brand(browsers: Any, tenant: Tenant, *, width: int, height: int, modes: list[str]) -> list[str]:
    host_tenant = tenant
    deal = in_thread(lambda: deal_path(host_tenant))
    problems: list[str] = []
    sessions: list[tuple[str | None, list[str]]] = [(None, [p.format(deal=deal) for p in PUBLIC_PAGES])]
    sessions += [(role, pages) for role, pages in SIGNED_IN_PAGES.items()]
    for role, pages in sessions:
        page = browsers.page(tenant, width=width, height=height)
        page.context.add_init_script(path=str(AXE_SOURCE))
        if role is None:
            page.goto("/")
        else:
            sign_in(
                page,
                f"{role}@{tenant.subdomain}.test",
                DEMO_PASSWORD.format(subdomain=tenant.subdomain, role=role),
            )
        for mode in modes:
            page.evaluate(f"window.localStorage.setItem('afp.mode', '{mode}')")
            for path in pages:
                settle(page, path)
                assert page.evaluate("document.documentElement.dataset.mode") == mode
                for violation in failing(axe_scan(page)):
                    problems.append(
                        f"{tenant.subdomain} {mode} {width}px {path}: {violation['id']} ({violation['impact']})"
                        f" {violation['help']} -> {json.dumps(violation['targets'][:6])}"
                    )
    return problems


@pytest.mark.parametrize("subdomain", ["nova", "aurum"])
def test_main_pages_have_no_serious_axe_violations_at_desktop_width_light_and_dark(
    demo_brands, browsers, subdomain
):
    problems = scan_brand(
        browsers, demo_brands[subdomain], width=DESKTOP[0], height=DESKTOP[1], modes=["light", "dark"]
    )
    assert not problems, f"{len(problems)} axe violations:\n" + "\n".join(problems)


@pytest.mark.parametrize("subdomain", ["nova", "aurum"])
def test_main_pages_have_no_serious_axe_violations_at_phone_width(demo_brands, browsers, subdomain):
    problems = scan_brand(browsers, demo_brands[subdomain], width=PHONE[0], height=PHONE[1], modes=["light"])
    assert not problems, f"{len(problems)} axe violations:\n" + "\n".join(problems)


@pytest.mark.parametrize("subdomain", ["nova", "aurum"])
def test_the_open_phone_menu_has_no_serious_axe_violations(demo_brands, browsers, subdomain):
    """The ☰ menu's own links and its "Log in" / "Sign up" buttons, as a phone shows them open
    (the page scans above run with menus closed)."""
    page = browsers.page(demo_brands[subdomain], width=PHONE[0], height=PHONE[1])
    page.context.add_init_script(path=str(AXE_SOURCE))
    settle(page, "/")
    page.wait_for_selector("#root[data-prerendered]", state="detached")
    page.locator("button.menu-toggle").click()
    page.locator("nav.site-nav.open a[href='/login']").wait_for()
    problems = [
        f"{v['id']} ({v['impact']}) {v['help']} -> {v['targets'][:6]}" for v in failing(axe_scan(page))
    ]
    assert not problems, f"{subdomain}, ☰ menu open: " + "\n".join(problems)
