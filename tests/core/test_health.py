"""/healthz and /readyz: on every host (root, brand, unknown, bare IP), before tenancy.

Readiness talks to the real Postgres and Redis of the test run; a dependency is made
unreachable by pointing its setting at a port nothing listens on.
"""

from __future__ import annotations

import socket

import httpx
import pytest
from django.conf import settings
from django.test import Client

from core import health
from tenants.models import Tenant
from tests.conftest import domain_of

CHECKS = {"postgres", "redis", "migrations", "template_schema", "celery_broker"}


def _dead_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(autouse=True)
def _fresh_readiness(settings) -> None:  # type: ignore[no-untyped-def]
    """Each test sees its own dependencies, not a readiness answer cached by the previous one."""
    settings.HEALTH_READINESS_CACHE_SECONDS = 0


def _hosts(brand: Tenant) -> list[str]:
    return [settings.ROOT_DOMAIN, domain_of(brand), "unknown-brand.example.org", "10.0.3.17"]


@pytest.mark.django_db
def test_healthz_answers_ok_on_root_brand_and_unknown_hosts(brand_a: Tenant) -> None:
    for host in _hosts(brand_a):
        # when
        response = Client(HTTP_HOST=host).get("/healthz")

        # then
        assert response.status_code == 200, host
        assert response.json() == {"status": "ok"}
        assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_an_unknown_host_is_still_a_404_elsewhere() -> None:
    """The health routes are the only exemption from tenancy."""
    response = Client(HTTP_HOST="unknown-brand.example.org").get("/graphql/")

    assert response.status_code == 404


@pytest.mark.django_db
def test_readyz_reports_every_check_ok_on_every_host(brand_a: Tenant) -> None:
    for host in _hosts(brand_a):
        # when
        response = Client(HTTP_HOST=host).get("/readyz")

        # then
        body = response.json()
        assert response.status_code == 200, body
        assert body["status"] == "ok"
        assert set(body["checks"]) == CHECKS
        for name, check in body["checks"].items():
            assert check["status"] == "ok", name
            assert isinstance(check["latency_ms"], float)


@pytest.mark.django_db
def test_readyz_is_503_naming_redis_when_redis_is_unreachable(settings, brand_a: Tenant) -> None:  # type: ignore[no-untyped-def]
    # given
    dead_url = f"redis://127.0.0.1:{_dead_port()}/0"
    settings.REDIS_URL = dead_url
    client = Client(HTTP_HOST=domain_of(brand_a))

    # when
    ready = client.get("/readyz")
    alive = client.get("/healthz")

    # then
    body = ready.json()
    assert ready.status_code == 503
    assert body["status"] == "unavailable"
    assert body["checks"]["redis"]["status"] == "error"
    assert body["checks"]["redis"]["detail"] == "ConnectionError"
    assert {name for name, check in body["checks"].items() if check["status"] == "error"} == {"redis"}
    assert "127.0.0.1" not in ready.content.decode()
    assert alive.status_code == 200


@pytest.mark.django_db
def test_readyz_is_503_when_the_broker_is_unreachable(settings) -> None:  # type: ignore[no-untyped-def]
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{_dead_port()}/2"

    response = Client(HTTP_HOST="10.0.3.17").get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["celery_broker"]["status"] == "error"


@pytest.mark.django_db
def test_readyz_is_503_when_postgres_is_unreachable(settings) -> None:  # type: ignore[no-untyped-def]
    # given: the checks read the connection's parameters; point them at a dead port
    from django.db import connections

    original = dict(connections["default"].settings_dict)
    connections["default"].settings_dict.update(HOST="127.0.0.1", PORT=str(_dead_port()))
    try:
        response = Client(HTTP_HOST="10.0.3.17").get("/readyz")
    finally:
        connections["default"].settings_dict.update(HOST=original["HOST"], PORT=original["PORT"])

    checks = response.json()["checks"]
    assert response.status_code == 503
    assert checks["postgres"]["status"] == "error"
    assert checks["migrations"]["status"] == "error"
    assert checks["redis"]["status"] == "ok"


@pytest.mark.django_db
def test_readyz_is_503_when_the_template_schema_is_missing(settings) -> None:  # type: ignore[no-untyped-def]
    settings.TENANT_BASE_SCHEMA = "no_such_template"

    response = Client(HTTP_HOST=settings.ROOT_DOMAIN).get("/readyz")

    checks = response.json()["checks"]
    assert response.status_code == 503
    assert checks["template_schema"] == {
        "status": "error",
        "latency_ms": checks["template_schema"]["latency_ms"],
        "detail": "template schema missing (manage.py platform_init)",
    }


@pytest.mark.django_db
def test_readyz_is_503_naming_an_unapplied_migration(monkeypatch: pytest.MonkeyPatch) -> None:
    # given: a tenant-app migration on disk that no schema has applied
    on_disk = health._migrations_on_disk()
    pending = ("affiliation", "9999_not_yet_applied")
    monkeypatch.setattr(
        health, "_migrations_on_disk", lambda: {**on_disk, "tenant": on_disk["tenant"] | {pending}}
    )

    # when
    response = Client(HTTP_HOST="10.0.3.17").get("/readyz")

    # then
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"]["detail"] == (
        "1 unapplied migration(s): affiliation.9999_not_yet_applied"
    )


@pytest.mark.django_db
def test_readiness_is_evaluated_at_most_once_per_cache_period(settings) -> None:  # type: ignore[no-untyped-def]
    """/readyz is public and each evaluation opens connections: a flood of probes costs one
    evaluation per period per process, not one per request."""
    # given: a fresh answer, cached for a minute
    settings.HEALTH_READINESS_CACHE_SECONDS = 60
    health.readiness_cache_clear()
    client = Client(HTTP_HOST="10.0.3.17")
    first = client.get("/readyz")

    # when: Redis goes away within the period
    settings.REDIS_URL = f"redis://127.0.0.1:{_dead_port()}/0"
    cached = client.get("/readyz")
    health.readiness_cache_clear()
    fresh = client.get("/readyz")

    # then
    assert first.status_code == 200
    assert cached.status_code == 200
    assert cached.json() == first.json()
    assert fresh.status_code == 503


# --- through the real ASGI applications ---------------------------------------------------------


@pytest.mark.live
def test_health_routes_through_the_live_asgi_app_on_any_host(live_server_port: int, live_brands) -> None:  # type: ignore[no-untyped-def]
    brand, _ = live_brands
    with httpx.Client(base_url=f"http://127.0.0.1:{live_server_port}", timeout=10) as http:
        for host in (settings.ROOT_DOMAIN, domain_of(brand), "10.0.3.17"):
            alive = http.get("/healthz", headers={"Host": host})
            ready = http.get("/readyz", headers={"Host": host})

            assert alive.status_code == 200, host
            assert alive.json() == {"status": "ok"}
            assert ready.status_code == 200, ready.text
            assert set(ready.json()["checks"]) == CHECKS
        # the probe is not throttled: a load balancer probes every few seconds from each zone
        assert {http.get("/healthz", headers={"Host": "10.0.3.17"}).status_code for _ in range(50)} == {200}


async def test_the_click_lane_process_answers_its_own_liveness() -> None:
    from config.asgi_lane import application

    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://10.0.3.17") as http:
        alive = await http.get("/healthz")
        other = await http.get("/graphql/")

    assert alive.status_code == 200
    assert alive.json() == {"status": "ok"}
    assert other.status_code == 404


async def test_the_click_lane_process_completes_the_lifespan_handshake() -> None:
    """uvicorn opens the ASGI lifespan by default; an app that refuses it logs an error at start."""
    received = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
    sent: list[dict[str, str]] = []

    async def receive() -> dict[str, str]:
        return next(received)

    async def send(message: dict[str, str]) -> None:
        sent.append(message)

    from config.asgi_lane import application

    await application({"type": "lifespan"}, receive, send)

    assert sent == [{"type": "lifespan.startup.complete"}, {"type": "lifespan.shutdown.complete"}]
