"""The Content-Security-Policy in a real browser: the app runs under it, and what it forbids
is blocked and reported (which is what makes every other browser test a CSP check)."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import Browsers


def test_an_injected_inline_script_is_blocked_and_collected(live_brands: Any, browsers: Browsers) -> None:
    brand, _ = live_brands
    page = browsers.page(brand)
    page.goto("/")
    page.get_by_role("main").wait_for()

    ran = page.evaluate(
        """() => {
          window.__injected = false;
          const script = document.createElement("script");
          script.textContent = "window.__injected = true";
          document.head.appendChild(script);
          const div = document.createElement("div");
          div.innerHTML = '<p style="color: red">styled</p>';
          document.body.appendChild(div);
          return window.__injected;
        }"""
    )
    page.wait_for_function("() => window.__cspViolations.length >= 2")

    assert ran is False
    directives = {violation["directive"] for violation in page.evaluate("window.__cspViolations")}
    assert {"script-src-elem", "style-src-attr"} <= directives
    # Seen by the collector too (reported to Python asynchronously); cleared, or this test
    # would fail for them.
    for _ in range(50):
        if len(browsers.csp_violations) >= 2:
            break
        page.wait_for_timeout(100)
    assert len(browsers.csp_violations) >= 2
    browsers.csp_violations.clear()
