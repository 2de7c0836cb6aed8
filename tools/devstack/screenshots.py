"""``python -m devstack screenshots`` (``make screenshots``): the main pages of both demo brands
and the operator console, photographed by Debian's Chromium into ``var/screenshots/``.

It works in a scratch database (the demo provisioned from scratch, dropped at the end) and under
Redis key prefixes of its own, so a developer's data and a running ``make run`` are untouched.
The server is the real one (uvicorn serving ``config.asgi``) on a free port of 127.0.0.1.
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:
    from playwright.sync_api import ViewportSize

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCRATCH_DATABASE = "afp_screenshots"
DEMO_BRANDS = ("nova", "aurum")
DESKTOP: ViewportSize = {"width": 1366, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}


@dataclass(frozen=True)
class Shot:
    """One page to photograph: who looks at it (a demo role, or nobody) and at what size."""

    name: str
    path: str
    role: str | None = None
    viewport: ViewportSize | None = None
    wait_for: str = "main h1"
    dark: bool = False


BRAND_SHOTS = [
    Shot("home", "/"),
    Shot("home-phone", "/", viewport=PHONE),
    Shot("home-dark", "/", dark=True),
    Shot("program", "/program"),
    Shot("leaderboard", "/leaderboard"),
    Shot("faq", "/faq"),
    Shot("contact", "/contact", wait_for="form"),
    Shot("signup", "/signup"),
    Shot("login", "/login"),
    Shot("affiliate-dashboard", "/dashboard", role="affiliate", wait_for="[data-testid=stat-clicks]"),
    Shot("affiliate-dashboard-phone", "/dashboard", role="affiliate", viewport=PHONE),
    Shot("affiliate-links", "/links", role="affiliate", wait_for="[data-testid=link-row]"),
    Shot("affiliate-link-stats", "/links/first", role="affiliate"),
    Shot("affiliate-commissions", "/commissions", role="affiliate", wait_for="table tbody tr td"),
    Shot("affiliate-wallet", "/wallet", role="affiliate", wait_for="[data-testid=balance-available]"),
    Shot("affiliate-tokens", "/account/tokens", role="affiliate"),
    Shot("affiliate-analytics", "/analytics", role="affiliate", wait_for=".stat-grid"),
    Shot("admin-withdrawals", "/admin/withdrawals", role="brand-admin"),
    Shot("admin-program", "/admin/program", role="brand-admin", wait_for="form"),
    Shot("admin-users", "/admin/users", role="brand-admin", wait_for="table"),
    Shot("admin-theme", "/admin/theme", role="brand-admin", wait_for="[data-testid=theme-preview]"),
    Shot("admin-analytics", "/analytics", role="brand-admin", wait_for=".stat-grid"),
    # Money in: the marketplace, buying, merchants and the brand admin's billing.
    Shot("marketplace", "/deals", wait_for="[data-testid=deal-card] img"),
    Shot("marketplace-phone", "/deals", viewport=PHONE, wait_for="[data-testid=deal-card] img"),
    Shot("deal", "/deals/first", wait_for="[data-testid=gallery-image]"),
    Shot("deal-phone", "/deals/first", viewport=PHONE, wait_for="[data-testid=gallery-image]"),
    Shot("checkout", "/checkout/first", role="customer", wait_for="[data-testid=checkout-total]"),
    Shot("customer-orders", "/orders", role="customer"),
    Shot("merchant-products", "/merchant/products", role="merchant", wait_for="[data-testid=product-row]"),
    Shot(
        "merchant-product",
        "/merchant/products/first",
        role="merchant",
        wait_for="[data-testid=managed-image]",
    ),
    Shot("merchant-requests", "/merchant/requests", role="merchant"),
    Shot("merchant-sales", "/merchant/sales", role="merchant"),
    Shot("merchant-billing", "/billing", role="merchant", wait_for="[data-testid=plan-card]"),
    Shot("admin-payments", "/admin/payments", role="brand-admin"),
    Shot("admin-billing", "/admin/billing", role="brand-admin"),
    Shot("admin-plans", "/admin/plans", role="brand-admin", wait_for="[data-testid=merchant-plans]"),
    Shot("admin-messages", "/admin/messages", role="brand-admin"),
    Shot("admin-notifications", "/admin/notifications", role="brand-admin"),
    # Money out: identity checks, payout runs, fraud review, failing subscriptions.
    Shot("affiliate-kyc", "/account/kyc", role="affiliate"),
    Shot("admin-kyc", "/admin/kyc", role="brand-admin"),
    Shot("admin-payouts", "/admin/payouts", role="brand-admin"),
    Shot("admin-fraud", "/admin/fraud", role="brand-admin"),
    Shot("admin-failing-subscriptions", "/admin/failing-subscriptions", role="brand-admin"),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def scratch_url(database_url: str, name: str = SCRATCH_DATABASE) -> str:
    """The same server, another database."""
    parts = urlsplit(database_url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def _recreate(database_url: str, name: str, *, create: bool) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        if create:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


@contextmanager
def scratch_database(env: dict[str, str]) -> Iterator[dict[str, str]]:
    """``env`` pointed at a fresh scratch database and Redis prefixes of its own; dropped after."""
    _recreate(env["DATABASE_URL"], SCRATCH_DATABASE, create=True)
    scratch = dict(
        env,
        DATABASE_URL=scratch_url(env["DATABASE_URL"]),
        CACHE_KEY_PREFIX="shots",
        CHANNEL_LAYER_PREFIX="shots",
        TRACKING_KEY_PREFIX="shots",
        CELERY_QUEUE="shots",
    )
    try:
        yield scratch
    finally:
        _recreate(env["DATABASE_URL"], SCRATCH_DATABASE, create=False)


@contextmanager
def serving(env: dict[str, str], root: Path) -> Iterator[int]:
    """uvicorn with the project's ASGI app on a free port of 127.0.0.1, the click drain and a
    Celery worker (the demo's sales reach the analytics rollups through tasks), until the block
    ends."""
    port = _free_port()
    command = [sys.executable, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1"]
    server = subprocess.Popen(
        [*command, "--port", str(port), "--no-access-log", "--ws", "websockets", "--log-level", "warning"],
        env=dict(env, PUBLIC_URL_PORT=str(port)),
        cwd=root,
    )
    drain = subprocess.Popen([sys.executable, str(root / "manage.py"), "tracking_drain"], env=env, cwd=root)
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-l", "WARNING", "--concurrency", "1"],
        env=env,
        cwd=root,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                probe = urllib.request.Request(
                    f"http://127.0.0.1:{port}/csrf/", headers={"Host": "localhost"}
                )
                urllib.request.urlopen(probe, timeout=2)  # noqa: S310 - http on the loopback, built here
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the server did not start") from None
                time.sleep(0.2)
        yield port
    finally:
        for process in (server, drain, worker):
            process.terminate()
        for process in (server, drain, worker):
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _login(page: Any, email: str, password: str) -> None:
    page.goto("/login")
    page.wait_for_selector("input[name=email]", timeout=30_000)
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(password)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(lambda url: "/login" not in url)


def _click_links(port: int, host: str, codes: list[str], count: int) -> None:
    """Visitors clicking the links, as a desktop browser (the lane does not count bots)."""
    for number in range(count):
        for code in codes:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", f"/r/{code}?sub1=shot{number % 3}", headers={"Host": host, **_VISITOR})
            connection.getresponse().read()
            connection.close()


_VISITOR = {
    "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0"
}


def _settle(page: Any, shot: Shot, failed: Path) -> None:
    try:
        page.wait_for_selector(shot.wait_for, timeout=20_000)
    except Exception:
        page.screenshot(path=str(failed), full_page=True)  # what the page showed instead
        raise
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(400)  # charts and fonts


def _selected(shots: list[Shot]) -> list[Shot]:
    """``SCREENSHOTS_ONLY=kyc,payouts``: only the shots whose name holds one of the words."""
    words = [word for word in os.environ.get("SCREENSHOTS_ONLY", "").split(",") if word]
    return [shot for shot in shots if not words or any(word in shot.name for word in words)]


def shoot(port: int, out: Path, *, log: Callable[[str], None] = print) -> list[Path]:
    """Every shot of every demo brand, then the operator console."""
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.png"):
        old.unlink()
    taken: list[Path] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--disable-gpu"])
        for brand in DEMO_BRANDS:
            base = f"http://{brand}.localhost:{port}"
            contexts: dict[tuple[str | None, str], Any] = {}
            codes: list[str] = []
            for shot in _selected(BRAND_SHOTS):
                size = "phone" if shot.viewport == PHONE else "desktop"
                key = (shot.role, size + ("-dark" if shot.dark else ""))
                if key not in contexts:
                    context = browser.new_context(base_url=base, viewport=shot.viewport or DESKTOP)
                    if shot.dark:
                        context.add_init_script("localStorage.setItem('afp.mode', 'dark')")
                    if shot.role:
                        _login(context.new_page(), f"{shot.role}@{brand}.test", f"demo-{brand}-{shot.role}")
                    contexts[key] = context
                page = contexts[key].pages[0] if contexts[key].pages else contexts[key].new_page()
                if shot.role == "affiliate" and not codes:
                    # Some traffic first, so that counters and charts have something to show.
                    page.goto("/links")
                    page.wait_for_selector("[data-testid=link-row]")
                    codes = [
                        str(code)
                        for code in page.locator("[data-testid=link-row]").evaluate_all(
                            "rows => rows.map(row => row.dataset.code)"
                        )
                    ]
                    _click_links(port, f"{brand}.localhost:{port}", codes, 6)
                    page.wait_for_timeout(2500)
                path = shot.path
                if path in ("/deals/first", "/checkout/first"):
                    page.goto("/deals")
                    slug = page.locator("[data-testid=deal-card]").first.get_attribute("data-slug")
                    path = path.replace("first", str(slug))
                if path == "/merchant/products/first":
                    page.goto("/merchant/products")
                    product_id = page.locator("[data-testid=product-row]").first.get_attribute("data-id")
                    path = f"/merchant/products/{product_id}"
                if path == "/links/first":
                    page.goto("/links")
                    page.wait_for_selector("[data-testid=link-row]")
                    first = page.locator("[data-testid=link-row] a[href^='/links/']:not([download])").first
                    path = str(first.get_attribute("href"))
                page.goto(path)
                _settle(page, shot, out / f"{brand}-{shot.name}-FAILED.png")
                if shot.name == "affiliate-dashboard":
                    for _ in range(3):  # the live chart moves while the page is open
                        _click_links(port, f"{brand}.localhost:{port}", codes[:1], 2)
                        page.wait_for_timeout(1500)
                target = out / f"{brand}-{shot.name}.png"
                page.screenshot(path=str(target), full_page=True)
                taken.append(target)
                log(f"  {target.name}")
            for context in contexts.values():
                context.close()
        console = browser.new_context(base_url=f"http://localhost:{port}", viewport=DESKTOP)
        page = console.new_page()
        _login(page, "operator@localhost.test", "demo-operator")
        page.wait_for_selector("[data-testid=brands-table]")
        _settle(
            page, Shot("console", "/", wait_for="[data-testid=brands-table]"), out / "root-console-FAILED.png"
        )
        target = out / "root-console.png"
        page.screenshot(path=str(target), full_page=True)
        taken.append(target)
        log(f"  {target.name}")
        browser.close()
    return taken


def run_screenshots(
    env: dict[str, str], *, prepare: Callable[[dict[str, str]], object], root: Path, out: Path
) -> int:
    """Provision the demo in a scratch database, serve it, photograph it."""
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: `make screenshots` installs Debian's chromium package.")
        return 1
    if not (root / "frontend" / "dist" / "app" / "index.html").exists():
        print("The web app is not built: run `make assets`.")
        return 1
    with scratch_database(env) as scratch:
        prepare(scratch)
        with serving(scratch, root) as port:
            print(f"photographing http://<brand>.localhost:{port}/ into {out}/", flush=True)
            taken = shoot(port, out)
    print(f"{len(taken)} screenshots in {out}/", flush=True)
    return 0
