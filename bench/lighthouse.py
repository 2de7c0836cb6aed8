"""Lighthouse on the web app: home, deals, a deal page and the affiliate dashboard (issue 15).

The demo (``provision_demo``) in a scratch database (see _common.py), served by uvicorn
(``config.asgi``) on a free port of 127.0.0.1 with the app built in frontend/dist/app (``cd
frontend && npm run build`` first); Lighthouse, from npm, drives Debian's Chromium
(``CHROME_PATH``, default /usr/bin/chromium) headless against ``http://nova.localhost:<port>``
(Chromium resolves ``*.localhost`` to the loopback: no traffic leaves the machine). Lighthouse is
installed on demand into ``var/bench-lighthouse/`` from ``bench/lighthouse/package.json`` and its
lock (``npm ci``), never into frontend/node_modules. Each page is measured with the mobile
preset (Lighthouse's default: simulated slow 4G and a 4x slower CPU) and the desktop one,
``--runs`` times each (3); every column is the median of its runs. The dashboard is measured
signed in: the demo affiliate logs in through the API and Lighthouse sends its session cookie.

Printed: page | perf mobile | LCP | TBT | CLS | JS transferred | perf desktop (LCP, TBT, CLS and
the JS of the mobile runs), and beside it the figures of issue 15 (measured before this work
with Lighthouse 12 on ``make run``) as the baseline. Exits 0 either way.

    DJANGO_SETTINGS_MODULE=config.settings.local python bench/lighthouse.py [--runs 3] [--pages home,deals]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

from _common import ROOT, median, print_table, scratch_database

HOST = "127.0.0.1"
BRAND = "nova"
PACKAGE = ROOT / "bench" / "lighthouse"
INSTALL = ROOT / "var" / "bench-lighthouse"
CHROME = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
RUN_TIMEOUT = 180  # seconds for one Lighthouse run
# Issue 15's figures (Lighthouse 12, mobile, `make run`, nova): the baseline. None: not given.
BASELINE: dict[str, dict[str, Any]] = {
    "home": {"perf": 55, "lcp": 6.2, "tbt": 280, "js": 723},
    "deals": {"perf": 30, "js": 728},
    "dashboard": {"perf": 40, "js": 1096},
}


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    signed_in: bool = False


@dataclass(frozen=True)
class Run:
    perf: float
    lcp_ms: float
    tbt_ms: float
    cls: float
    js_bytes: float


def lighthouse_cli() -> tuple[Path, str]:
    """The CLI from var/bench-lighthouse (``npm ci`` there when missing or stale), and its version."""
    lock = PACKAGE / "package-lock.json"
    installed_lock = INSTALL / "package-lock.json"
    cli = INSTALL / "node_modules" / "lighthouse" / "cli" / "index.js"
    if not (cli.exists() and installed_lock.exists() and installed_lock.read_bytes() == lock.read_bytes()):
        INSTALL.mkdir(parents=True, exist_ok=True)
        shutil.copy(PACKAGE / "package.json", INSTALL / "package.json")
        shutil.copy(lock, installed_lock)
        print(f"installing Lighthouse into {INSTALL.relative_to(ROOT)} (npm ci) ...", flush=True)
        subprocess.run(
            ["npm", "ci", "--prefix", str(INSTALL), "--no-audit", "--no-fund", "--ignore-scripts"],
            check=True,
            timeout=900,
            stdout=subprocess.DEVNULL,
        )
    version = json.loads((INSTALL / "node_modules" / "lighthouse" / "package.json").read_text())["version"]
    return cli, version


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def start_server(port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "config.asgi:application",
        "--host",
        HOST,
        "--port",
        str(port),
    ]
    server = subprocess.Popen(
        [*command, "--no-access-log", "--ws", "websockets", "--log-level", "warning"],
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"uvicorn exited with {server.returncode}")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return server
        except OSError:
            time.sleep(0.2)
    stop_server(server)
    raise RuntimeError("uvicorn did not start")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _request(
    port: int,
    host: str,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, bytes, SimpleCookie]:
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        connection.request(method, path, body=body, headers={"Host": host, **(headers or {})})
        response = connection.getresponse()
        cookies: SimpleCookie = SimpleCookie()
        for value in response.headers.get_all("Set-Cookie") or []:
            cookies.load(value)
        return response.status, response.read(), cookies
    finally:
        connection.close()


def login_cookie(port: int, host: str, email: str, password: str) -> str:
    """The Cookie header of a session signed in through the API (CSRF cookie, then ``login``)."""
    _, _, cookies = _request(port, host, "GET", "/csrf/")
    csrf = cookies["csrftoken"].value
    query = "mutation($input: LoginInput!) { login(input: $input) { user { id } errors { code } } }"
    body = json.dumps(
        {"query": query, "variables": {"input": {"email": email, "password": password}}}
    ).encode()
    status, content, session = _request(
        port,
        host,
        "POST",
        "/graphql/",
        body,
        {"Content-Type": "application/json", "X-CSRFToken": csrf, "Cookie": f"csrftoken={csrf}"},
    )
    answer = json.loads(content)
    if status != 200 or not (answer.get("data") or {}).get("login", {}).get("user"):
        raise RuntimeError(f"the demo affiliate could not sign in: {status} {content[:300]!r}")
    jar = {name: morsel.value for name, morsel in session.items()}
    jar.setdefault("csrftoken", csrf)
    return "; ".join(f"{name}={value}" for name, value in jar.items())


def first_deal(tenant_subdomain: str) -> str:
    from django_tenants.utils import tenant_context

    from marketplace.models import Product, ProductStatus
    from tenants.models import Tenant

    with tenant_context(Tenant.objects.get(subdomain=tenant_subdomain)):
        slug = (
            Product.objects.filter(status=ProductStatus.ACTIVE)
            .order_by("id")
            .values_list("slug", flat=True)
            .first()
        )
    if slug is None:
        raise RuntimeError(f"the {tenant_subdomain} demo has no active deal")
    return slug


def lighthouse_run(cli: Path, url: str, desktop: bool, cookie: str | None, workdir: Path) -> Run:
    report = workdir / "report.json"
    command = [
        "node",
        str(cli),
        url,
        "--output=json",
        f"--output-path={report}",
        "--only-categories=performance",
        "--quiet",
        "--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage",
        f"--max-wait-for-load={60_000}",
    ]
    if desktop:
        command.append("--preset=desktop")
    if cookie:
        headers = workdir / "headers.json"
        headers.write_text(json.dumps({"Cookie": cookie}))
        command.append(f"--extra-headers={headers}")
    subprocess.run(
        command, check=True, timeout=RUN_TIMEOUT, env=dict(os.environ, CHROME_PATH=CHROME), cwd=workdir
    )
    data = json.loads(report.read_text())
    audits = data["audits"]
    scripts = [
        item
        for item in audits["resource-summary"]["details"]["items"]
        if item.get("resourceType") == "script"
    ]
    return Run(
        perf=round((data["categories"]["performance"]["score"] or 0) * 100),
        lcp_ms=audits["largest-contentful-paint"]["numericValue"],
        tbt_ms=audits["total-blocking-time"]["numericValue"],
        cls=audits["cumulative-layout-shift"]["numericValue"],
        js_bytes=scripts[0]["transferSize"] if scripts else 0,
    )


def measure(cli: Path, url: str, desktop: bool, cookie: str | None, runs: int) -> list[Run]:
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-lighthouse-") as directory:
        for _ in range(runs):
            results.append(lighthouse_run(cli, url, desktop, cookie, Path(directory)))
    return results


def _baseline(page: str, key: str, unit: str = "") -> str:
    value = BASELINE.get(page, {}).get(key)
    return "n/a" if value is None else f"{value}{unit}"


def row(name: str, mobile: list[Run], desktop: list[Run]) -> list[str]:
    """One line of the table: medians of the runs, the issue's figure in parentheses."""

    def middle(field: str, runs: list[Run] = mobile) -> float:
        return median([getattr(run, field) for run in runs])

    return [
        name,
        f"{middle('perf'):.0f} ({_baseline(name, 'perf')})",
        f"{middle('lcp_ms') / 1000:.1f} s ({_baseline(name, 'lcp', ' s')})",
        f"{middle('tbt_ms'):.0f} ms ({_baseline(name, 'tbt', ' ms')})",
        f"{middle('cls'):.3f}",
        f"{middle('js_bytes') / 1024:.0f} KiB ({_baseline(name, 'js', ' KiB')})",
        f"{middle('perf', desktop):.0f}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="Lighthouse runs per page and preset (median)")
    parser.add_argument("--pages", default="home,deals,deal,dashboard", help="comma-separated subset")
    args = parser.parse_args()
    if not (ROOT / "frontend" / "dist" / "app" / "index.html").exists():
        sys.exit("frontend/dist/app is not built: cd frontend && npm run build")
    if not Path(CHROME).exists():
        sys.exit(f"no Chromium at {CHROME} (CHROME_PATH)")
    cli, version = lighthouse_cli()
    wanted = set(args.pages.split(","))

    with scratch_database("lighthouse") as database:
        from django.core.management import call_command

        call_command("provision_demo", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
        port = _free_port()
        host = f"{BRAND}.localhost:{port}"
        pages = [
            Page("home", "/"),
            Page("deals", "/deals"),
            Page("deal", f"/deals/{first_deal(BRAND)}"),
            Page("dashboard", "/dashboard", signed_in=True),
        ]
        env = dict(
            os.environ,
            PORT=str(port),
            PUBLIC_URL_PORT=str(port),
            CACHE_KEY_PREFIX=database,
            CHANNEL_LAYER_PREFIX=database,
            TRACKING_KEY_PREFIX=database,
            CELERY_QUEUE=database,
            LOG_LEVEL=os.environ.get("LOG_LEVEL", "WARNING"),
            LOG_REQUESTS=os.environ.get("LOG_REQUESTS", "0"),
        )
        server = start_server(port, env)
        try:
            cookie = login_cookie(port, host, f"affiliate@{BRAND}.test", f"demo-{BRAND}-affiliate")
            rows = []
            for page in pages:
                if page.name not in wanted:
                    continue
                url = f"http://{host}{page.path}"
                print(f"{page.name}: {url} ({args.runs} mobile + {args.runs} desktop runs)", flush=True)
                mobile = measure(cli, url, False, cookie if page.signed_in else None, args.runs)
                desktop = measure(cli, url, True, cookie if page.signed_in else None, args.runs)
                rows.append(row(page.name, mobile, desktop))
        finally:
            stop_server(server)

    print()
    print(
        f"Lighthouse {version}, Chromium {CHROME}, nova demo brand on uvicorn (127.0.0.1:{port}), "
        f"median of {args.runs} runs per preset; in parentheses: issue 15's figures before this work "
        "(Lighthouse 12, mobile, `make run`; n/a where the issue gave none)"
    )
    print_table(["page", "perf mobile", "LCP", "TBT", "CLS", "JS transferred", "perf desktop"], rows)


if __name__ == "__main__":
    main()
