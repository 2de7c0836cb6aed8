"""Every URL the product emits carries the port the development server was started on.

Black box: the web server and a Celery worker run as ``make run`` starts them (``config.settings.local``,
``PORT`` set to a non-default port), in subprocesses, on this run's test database. The test reads
what a user and a search engine get back: link short URLs and QR codes, image URLs, the sitemap and
robots.txt, and the magic-link email (printed by the worker's console email backend).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.files.base import ContentFile
from django.db import connection
from django_tenants.utils import tenant_context

from accounts.models import Role
from affiliation.services import link_create
from devstack.services import SOURCE_ROOTS
from marketplace.services import product_image_upload
from marketplace.services.images import product_image_process
from tests.conftest import PASSWORD, domain_of, make_user
from tests.engine import make_affiliate, make_program
from tests.marketplace.builders import image_bytes, make_merchant, make_product

pytestmark = pytest.mark.live

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable
URL = re.compile(r"https?://[^\s\"'<>]+")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _database_url() -> str:
    """This run's test database (committed rows of ``live_brands`` are visible from outside)."""
    db = connection.settings_dict
    return f"postgresql://{db['USER']}:{db['PASSWORD']}@/{db['NAME']}?host={db['HOST']}"


@pytest.fixture
def dev_stack(live_brands, tmp_path) -> Iterator[tuple[int, Path]]:  # type: ignore[no-untyped-def]
    """uvicorn and a Celery worker under the development settings with ``PORT`` set to a free,
    non-default port; yields the port and the worker's log (where emails are printed)."""
    port = _free_port()
    queue = f"ports{os.getpid()}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "PORT": str(port),
        "DATABASE_URL": _database_url(),
        "CELERY_QUEUE": queue,
        # Keys of their own in the shared Redis, as the test settings do for this process.
        "CACHE_KEY_PREFIX": queue,
        "CHANNEL_LAYER_PREFIX": queue,
        "PYTHONPATH": os.pathsep.join(map(str, SOURCE_ROOTS)),
        # Emails printed to the worker's log, not into the developer's dev inbox (var/mail).
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
    }
    for name in ("PUBLIC_URL", "PUBLIC_URL_PORT", "PUBLIC_URL_SCHEME"):
        env.pop(name, None)
    worker_log = tmp_path / "worker.log"
    web = subprocess.Popen(
        [PY, "-m", "uvicorn", "config.asgi:application", "--port", str(port), "--log-level", "warning"],
        env=env,
        cwd=ROOT,
    )
    with worker_log.open("wb") as log:
        worker = subprocess.Popen(
            [
                PY,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool",
                "solo",
                "--queues",
                queue,
                "--loglevel",
                "WARNING",
                "--without-heartbeat",
                "--without-gossip",
            ],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert web.poll() is None, "the development server did not start"
                assert time.monotonic() < deadline, "the development server did not start in time"
                time.sleep(0.2)
        yield port, worker_log
    finally:
        for process in (web, worker):
            process.terminate()
        for process in (web, worker):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def test_every_emitted_url_carries_the_port_the_server_was_started_on(live_brands, dev_stack, s3_server):
    port, worker_log = dev_stack
    brand, _ = live_brands
    host = domain_of(brand)
    with tenant_context(brand):
        program = make_program(landing_url="https://shop.example.com/")
        affiliate = make_affiliate(brand, program)
        link_create(affiliate=affiliate, title="Home")
        merchant = make_merchant(brand)
        product = make_product(merchant)
        image = product_image_upload(actor=merchant, product=product, file=ContentFile(image_bytes()))
        # Processed here: the dev stack's worker listens on the development queue, not the test run's.
        product_image_process(image_id=image.pk)
        # The development settings hash passwords with PBKDF2 (the test settings with MD5).
        affiliate.user.password = PBKDF2PasswordHasher().encode(PASSWORD, "portsalt", iterations=1000)
        affiliate.user.save(update_fields=["password"])
    login_user = make_user(brand, role=Role.CUSTOMER)
    http = httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Host": host}, timeout=20)
    emitted: list[str] = []

    # The affiliate's links, as the web app asks for them.
    http.get("/graphql/", headers={"Accept": "text/html"})
    csrf = {"X-CSRFToken": http.cookies["csrftoken"]}
    login = http.post(
        "/graphql/",
        json={
            "query": "mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { errors { code } } }",
            "variables": {"e": affiliate.user.email, "p": PASSWORD},
        },
        headers=csrf,
    )
    assert login.json()["data"]["login"]["errors"] == [], login.text
    links = http.post(
        "/graphql/",
        json={"query": "{ myLinks { edges { node { url qrCodeSvgUrl qrCodePngUrl } } } }"},
        headers={"X-CSRFToken": http.cookies["csrftoken"]},
    )
    node = links.json()["data"]["myLinks"]["edges"][0]["node"]
    emitted += [node["url"]]
    # The QR code encodes (and names) the short URL.
    qr = http.get(urlparse(node["qrCodeSvgUrl"]).path)
    assert qr.status_code == 200, qr.text
    emitted += URL.findall(qr.text.replace("http://www.w3.org/2000/svg", ""))

    # A public product page: its images, canonical URL.
    anonymous = httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Host": host}, timeout=20)
    page = anonymous.get(
        "/graphql/",
        params={"query": f'{{ product(slug: "{product.slug}") {{ images {{ url thumbnailUrl }} }} }}'},
    )
    images = page.json()["data"]["product"]["images"]
    assert images, page.text
    emitted += [url for image in images for url in image.values()]

    # What a search engine reads.
    sitemap = anonymous.get("/sitemap.xml")
    robots = anonymous.get("/robots.txt")
    emitted += URL.findall(sitemap.text.replace("http://www.sitemaps.org/schemas/sitemap/0.9", ""))
    emitted += URL.findall(robots.text)

    # The magic-link email, sent by the Celery worker.
    request = anonymous.post(
        "/graphql/",
        json={"query": f'mutation {{ magicLinkRequest(email: "{login_user.email}") {{ ok }} }}'},
        headers={"X-CSRFToken": _csrf(anonymous)},
    )
    assert request.json()["data"]["magicLinkRequest"]["ok"] is True, request.text
    deadline = time.monotonic() + 60
    while "/login/magic?" not in worker_log.read_text(errors="replace"):
        assert time.monotonic() < deadline, worker_log.read_text(errors="replace")[-3000:]
        time.sleep(0.3)
    time.sleep(0.5)
    email = worker_log.read_text(errors="replace")
    emitted += [url for url in URL.findall(email) if "/login/magic?" in url]

    assert len(emitted) >= 7, emitted
    assert all(url.startswith(f"http://{host}:{port}/") for url in emitted), emitted


def _csrf(client: httpx.Client) -> str:
    client.get("/graphql/", headers={"Accept": "text/html"})
    return str(client.cookies["csrftoken"])
