"""Browser end-to-end tests: Debian's Chromium driven by Playwright (no browser download)
against the project served for real (uvicorn in a thread, the click lane in front of Django,
websockets), with the click drain in a thread as `make run` runs it.

Brands are served as ``<subdomain>.localhost:<port>``; Chromium resolves ``*.localhost`` to
the loopback, so the browser reaches each brand on its own origin, cookies and all.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import json
import os
import sys
import threading
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from affiliation.models import Affiliate
from affiliation.services import commissions_release_due, conversion_record
from marketplace.models import Product
from tenants.models import Tenant
from tests.conftest import PASSWORD, domain_of
from tests.engine import make_click

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
APP_INDEX = Path(__file__).resolve().parents[2] / "frontend" / "dist" / "app" / "index.html"
# A desktop browser's user agent: the click lane does not count headless browsers (bots).
DESKTOP_UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
)
TIMEOUT_MS = 15_000
# Every page reports its Content-Security-Policy violations (the event also fires for a blocked
# inline style attribute or eval): to Python at once, so none is lost to a navigation, and to
# window.__cspViolations for a look from the test. A browser test fails on any of them.
CSP_COLLECTOR = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const violation = {
    directive: event.violatedDirective,
    blocked: event.blockedURI,
    source: event.sourceFile,
    line: event.lineNumber,
    sample: event.sample,
    page: document.location.href,
  };
  window.__cspViolations.push(violation);
  if (window.__reportCspViolation) window.__reportCspViolation(violation);
});
"""
_orders = itertools.count(1)
T = TypeVar("T")


class Browsers:
    """Chromium, started on first use. Playwright's sync API runs an event loop in this thread
    while it is started, and Django refuses database work from a thread with a running loop:
    set up data first, then open pages, and use ``in_thread`` for database work after that."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._playwright: Any = None
        self._browser: Any = None
        self._contexts: list[Any] = []
        self.csp_violations: list[dict[str, Any]] = []

    def _chromium(self) -> Any:
        if self._browser is None:
            if not Path(CHROMIUM).exists():
                pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
            if not APP_INDEX.exists():
                pytest.fail("the web app is not built: run `make assets`")
            from playwright.sync_api import sync_playwright

            self._playwright = sync_playwright().start()
            self._browser = self._playwright.chromium.launch(executable_path=CHROMIUM, args=["--disable-gpu"])
        return self._browser

    def context(self, **options: Any) -> Any:
        """A browser context: a visitor with cookies of its own."""
        options.setdefault("user_agent", DESKTOP_UA)
        options.setdefault("locale", "en-GB")
        context = self._chromium().new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        context.expose_binding(
            "__reportCspViolation", lambda _source, violation: self.csp_violations.append(violation)
        )
        context.add_init_script(CSP_COLLECTOR)
        self._contexts.append(context)
        return context

    def page(self, tenant: Any, *, width: int = 1280, height: int = 860) -> Any:
        """A page of a new visitor on the tenant's host."""
        host = in_thread(lambda: domain_of(tenant))
        context = self.context(
            base_url=f"http://{host}:{self.port}", viewport={"width": width, "height": height}
        )
        return context.new_page()

    def close(self) -> None:
        for context in self._contexts:
            for page in context.pages:
                # A round trip, so that violation reports in flight land first (a closed or
                # crashed page has nothing more to say).
                with contextlib.suppress(Exception):
                    page.evaluate("window.__cspViolations && window.__cspViolations.length")
                # Leave the page first: its websocket closes cleanly (1001), as when a person
                # navigates away, instead of dropping with the renderer.
                page.goto("about:blank")
            context.close()
        self._contexts = []
        if self._browser is not None:
            self._browser.close()
            self._playwright.stop()
            self._browser = None


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Browser tests run in a thread of their own, which ends with them. Playwright's sync API
    drives its event loop through greenlets, and on CPython 3.11 those switches leave the
    thread's recursion counter skewed (a later ``compile()`` in it fails with "AST constructor
    recursion depth mismatch"): the test runner's own thread must never see them."""
    if "browsers" not in pyfuncitem.fixturenames:
        return None
    arguments = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    opened: Browsers = pyfuncitem.funcargs["browsers"]
    errors: list[BaseException] = []

    def run() -> None:
        try:
            pyfuncitem.obj(**arguments)
        except BaseException as error:  # noqa: BLE001 - re-raised in the runner's thread
            errors.append(error)
        finally:
            try:
                opened.close()
            finally:
                connection.close()
        if opened.csp_violations:
            lines = "\n".join(json.dumps(violation) for violation in opened.csp_violations)
            if errors:  # the test's own failure comes first; the violations may explain it
                print(f"Content-Security-Policy violations:\n{lines}", file=sys.stderr)
            else:
                errors.append(AssertionError(f"Content-Security-Policy violations:\n{lines}"))

    thread = threading.Thread(target=run, name=f"e2e-{pyfuncitem.name}")
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return True


@pytest.fixture
def committed(django_db_blocker: Any) -> Iterator[None]:
    """Database access in the test body without a transaction: the server's threads see it."""
    with django_db_blocker.unblock():
        yield
        connection.set_schema_to_public()


@pytest.fixture
def browsers(live_server_port: int, committed: None) -> Iterator[Browsers]:
    opened = Browsers(live_server_port)
    yield opened
    opened.close()


def in_thread(function: Callable[[], T]) -> T:
    """Database work while the browser runs: in a thread of its own, away from Playwright's
    event loop (its connection closed after)."""
    results: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(function())
        except BaseException as error:  # noqa: BLE001 - re-raised in the test's thread
            errors.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return results[0]


def ui_login(page: Any, email: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login" not in url)


def fund(tenant: Any, affiliate: Affiliate, commission: str) -> None:
    """A released sale worth ``commission`` to the affiliate (20 % of five times it)."""
    with tenant_context(tenant):
        click = make_click(affiliate)
        conversion_record(
            source="postback",
            order_id=f"e2e-{os.getpid()}-{next(_orders)}",
            amount=str((Decimal(commission) * 5).quantize(Decimal("0.01"))),
            currency=affiliate.program.currency,
            click_id=str(click.id),
        )
        commissions_release_due(now=timezone.now() + dt.timedelta(days=400))


@pytest.fixture
def click_drain(committed: None, tmp_path: Path) -> Iterator[None]:
    """The drain's loop (`manage.py tracking_drain`) in a thread, on this run's stream."""
    from tracking.ingest import ClickDrain

    drain = ClickDrain(consumer=f"e2e-{os.getpid()}", fallback_dir=tmp_path / "fallback", block_ms=100)
    stopping = threading.Event()
    thread = threading.Thread(target=drain.run, args=(stopping.is_set,), daemon=True)
    thread.start()
    yield
    stopping.set()
    thread.join(timeout=5)
    drain.close()


class FrameLog:
    """The graphql-transport-ws frames of a page (every socket it opens from now on), to know
    when a subscription is live before acting: the server joins the subscription's channel
    group when it gets `subscribe`. Create it right after the page, before it navigates."""

    def __init__(self, page: Any) -> None:
        self.sent: list[dict[str, Any]] = []
        self.received: list[dict[str, Any]] = []
        page.on("websocket", self._attach)

    def _attach(self, socket: Any) -> None:
        socket.on("framesent", lambda payload: self.sent.append(json.loads(payload)))
        socket.on("framereceived", lambda payload: self.received.append(json.loads(payload)))

    def _subscription_ids(self, operation: str) -> set[str]:
        return {
            str(frame.get("id"))
            for frame in self.sent
            if frame.get("type") == "subscribe"
            and operation in str(frame.get("payload", {}).get("query", ""))
        }

    def wait_subscribed(self, page: Any, operation: str, *, first_value: bool = False) -> None:
        """Until ``operation`` was subscribed (and, for subscriptions that start with the
        current value, until that value came back on the same subscription)."""
        waited = 0
        while waited < TIMEOUT_MS:
            ids = self._subscription_ids(operation)
            answered = any(frame.get("type") == "next" and frame.get("id") in ids for frame in self.received)
            if ids and (answered or not first_value):
                page.wait_for_timeout(300)  # the server joins the group right after the frame
                return
            page.wait_for_timeout(50)
            waited += 50
        raise AssertionError(f"no live subscription {operation}: sent {self.sent}")


# The demo brands (`provision_demo`: Nova in English and light, Aurum in French and dark), for
# the accessibility and keyboard tests, which check the pages as the demo shows them.
@pytest.fixture
def demo_brands(committed: None) -> dict[str, Any]:
    """The demo brands as `provision_demo` makes them (committed: the live server sees them)."""
    call_command("provision_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    return {tenant.subdomain: tenant for tenant in Tenant.objects.filter(subdomain__in=["nova", "aurum"])}


def deal_path(tenant: Tenant) -> str:
    with tenant_context(tenant):
        product = Product.objects.filter(status="active").order_by("id").first()
        assert product is not None
        return f"/deals/{product.slug}"


def sign_in(page: Any, email: str, password: str) -> None:
    """Sign in through the form, in whatever language the brand speaks."""
    page.goto("/login")
    page.locator("main input[type=email]").fill(email)
    page.locator("main input[type=password]").fill(password)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(lambda url: "/login" not in url)


def css_variable(page: Any, name: str) -> str:
    return str(page.evaluate(f"getComputedStyle(document.documentElement).getPropertyValue('{name}').trim()"))
