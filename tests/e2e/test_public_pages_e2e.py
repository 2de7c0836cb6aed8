"""Public pages in a real browser: the layout holds still while the app takes over (CLS), and a
deal page shows its title, price and picture with JavaScript turned off (the served HTML)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django_tenants.utils import tenant_context

from accounts.models import Role
from affiliation.demo import demo_program_ensure
from marketplace.demo import demo_marketplace_ensure
from marketplace.models import Product
from tenants.selectors import brand_base_url
from tests.conftest import domain_of, make_user
from tests.e2e.conftest import in_thread

pytestmark = pytest.mark.live

# Sums the layout shifts of the page's life, as Lighthouse and the Core Web Vitals do (a shift
# within 500 ms of an input is the visitor's doing and does not count).
CLS_OBSERVER = """
window.__cls = 0;
window.__shifts = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if (entry.hadRecentInput) continue;
    window.__cls += entry.value;
    window.__shifts.push({
      value: entry.value,
      sources: (entry.sources || []).map((source) => source.node ? (source.node.className || source.node.nodeName) : "?"),
    });
  }
}).observe({ type: "layout-shift", buffered: true });
"""
# A mid-range phone's screen (Lighthouse's mobile emulation is 412 x 823), and a desktop.
PHONE = {"width": 412, "height": 823}
DESKTOP = {"width": 1280, "height": 860}
CLS_BUDGET = 0.05


def _demo_brand(tenant: Any) -> Product:
    """The demo's program and marketplace (as `provision_demo` makes them) in ``tenant``."""
    with tenant_context(tenant):
        merchant = make_user(tenant, role=Role.MERCHANT, email="merchant@demo.test")
        affiliate = make_user(tenant, role=Role.AFFILIATE, email="affiliate@demo.test")
        demo_program_ensure(
            brand_name=tenant.name,
            brand_url=brand_base_url(tenant),
            subdomain=tenant.subdomain,
            currency=tenant.currency,
            affiliate_user=affiliate,
            language=tenant.language,
        )
        demo_marketplace_ensure(
            merchant=merchant, affiliate=affiliate, currency=tenant.currency, language="en"
        )
        return Product.objects.filter(is_deal_of_the_day=False).order_by("id").first()  # type: ignore[return-value]


def _cls(browsers: Any, tenant: Any, path: str, viewport: dict[str, int]) -> tuple[float, list[Any]]:
    host = in_thread(lambda: domain_of(tenant))
    context = browsers.context(base_url=f"http://{host}:{browsers.port}", viewport=viewport)
    context.add_init_script(CLS_OBSERVER)
    page = context.new_page()
    if viewport is PHONE:
        # Lighthouse's mobile conditions: a slow 4G network and a CPU four times slower. Late
        # data then lands after the first paint, as on a phone (locally everything lands in
        # one frame and hides the shifts).
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send(
            "Network.emulateNetworkConditions",
            {
                "offline": False,
                "latency": 150,
                "downloadThroughput": 1_638_400 * 0.9 / 8,
                "uploadThroughput": 750_000 * 0.9 / 8,
            },
        )
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
    page.goto(path, wait_until="networkidle", timeout=90_000)
    page.wait_for_timeout(1500)  # late data, fonts, images: everything has landed
    value = float(page.evaluate("window.__cls"))
    shifts = page.evaluate("window.__shifts")
    context.close()
    return value, shifts


@pytest.mark.timeout(900)
def test_public_pages_hold_still_while_the_app_takes_over(live_brands, browsers):
    brand, _ = live_brands
    deal = _demo_brand(brand)
    results = {}
    for path in ("/", "/deals", f"/deals/{deal.slug}"):
        for name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
            results[(path, name)] = _cls(browsers, brand, path, viewport)
    report = "\n".join(
        f"CLS {path} {name}: {value:.4f} {shifts}" for (path, name), (value, shifts) in results.items()
    )
    print(report)
    assert all(value <= CLS_BUDGET for value, _ in results.values()), report


def test_a_deal_page_shows_title_price_and_picture_without_javascript(live_brands, browsers):
    brand, _ = live_brands
    deal = _demo_brand(brand)
    host = in_thread(lambda: domain_of(brand))
    context = browsers.context(
        base_url=f"http://{host}:{browsers.port}", java_script_enabled=False, viewport=PHONE
    )
    page = context.new_page()
    page.goto(f"/deals/{deal.slug}")
    heading = page.get_by_role("heading", level=1)
    assert heading.inner_text() == deal.title
    assert re.search(
        r"€\s?" + re.escape(f"{deal.price:.2f}") + r"|" + re.escape(f"{deal.price:.2f}") + r"\s?€",
        page.inner_text("#root"),
    )
    image = page.locator("#root img.deal-hero-image").first
    assert image.get_attribute("fetchpriority") == "high"
    assert page.evaluate("(image) => image.complete && image.naturalWidth > 0", image.element_handle())


# Where the first screen's landmarks are, in the prerendered page (at DOMContentLoaded) and in the
# app's once it has taken over: the takeover must not move them (a swap of nodes is not counted
# as a layout shift by the browser, so CLS alone would not see it).
LANDMARKS = """
(container) => {
  const box = (selector) => {
    const element = container && container.querySelector(selector);
    if (!element) return null;
    const rect = element.getBoundingClientRect();
    return [Math.round(rect.x), Math.round(rect.y + window.scrollY), Math.round(rect.width), Math.round(rect.height)];
  };
  return {
    heading: box("main h1"),
    picture: box("main .gallery-main img, main .deal-spotlight-image"),
    card: box("main .deal-card"),
    grid: box("main .deal-grid"),
    footer: box(".site-footer"),
    header: box(".site-header"),
    tools: box(".header-tools"),
  };
}
"""
RECORD_PRERENDERED = (
    "document.addEventListener('DOMContentLoaded', () => { window.__prerendered = ("
    + LANDMARKS
    + ")(document.getElementById('root')); });"
)


@pytest.mark.timeout(600)
def test_the_app_takes_over_the_prerendered_page_where_it_stands(live_brands, browsers):
    brand, _ = live_brands
    deal = _demo_brand(brand)
    host = in_thread(lambda: domain_of(brand))
    moved = {}
    for name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        context = browsers.context(base_url=f"http://{host}:{browsers.port}", viewport=viewport)
        context.add_init_script(RECORD_PRERENDERED)
        page = context.new_page()
        for path in ("/", "/deals", f"/deals/{deal.slug}", "/faq", "/program"):
            page.goto(path)
            page.wait_for_selector("#root[data-prerendered]", state="detached")
            page.wait_for_timeout(300)
            before = page.evaluate("window.__prerendered")
            after = page.evaluate(LANDMARKS, page.query_selector("#app-root"))
            for landmark, box in before.items():
                if box is None:
                    continue
                if landmark == "footer":  # below the whole page: its y is not compared
                    box, now = box[:1] + box[2:], (after[landmark] or [0, 0, 0, 0])
                    now = now[:1] + now[2:]
                else:
                    now = after[landmark]
                # x, y and height (a heading's box may be wider or narrower around the same text)
                if now is None or any(abs(box[i] - now[i]) > 2 for i in (0, 1, len(box) - 1)):
                    moved[(name, path, landmark)] = (box, now)
        context.close()
    assert not moved, "\n".join(f"{key}: {value}" for key, value in moved.items())


@pytest.mark.timeout(600)
def test_opening_the_deals_from_the_menu_shifts_nothing(live_brands, browsers):
    """Inside the app (no prerender): the list, its chips and the deal of the day land together."""
    brand, _ = live_brands
    _demo_brand(brand)
    host = in_thread(lambda: domain_of(brand))
    context = browsers.context(base_url=f"http://{host}:{browsers.port}", viewport=PHONE)
    context.add_init_script(CLS_OBSERVER)
    page = context.new_page()
    page.goto("/faq", wait_until="networkidle")
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 400, "downloadThroughput": 180_000, "uploadThroughput": 80_000},
    )
    page.evaluate("window.__cls = 0; window.__shifts = []")
    page.locator("footer").get_by_role("link", name="Partner program").count()  # the app's own footer
    page.evaluate(
        "window.history.pushState({}, '', '/deals'); window.dispatchEvent(new PopStateEvent('popstate'))"
    )
    page.wait_for_selector("[data-testid=deal-card]", timeout=60_000)
    page.wait_for_timeout(2500)
    value = float(page.evaluate("window.__cls"))
    shifts = page.evaluate("window.__shifts")
    print(f"CLS /deals opened in the app (phone, slow network): {value:.4f} {shifts}")
    assert value <= CLS_BUDGET, shifts
