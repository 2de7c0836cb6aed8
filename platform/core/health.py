"""Liveness and readiness: ``/healthz`` and ``/readyz`` on every host, before tenancy.

- ``/healthz`` says the process answers. It touches nothing else, so a load balancer never
  restarts a healthy web process because Postgres blinked.
- ``/readyz`` says the process can serve: Postgres and Redis answer, the public and template
  schemas carry every migration on disk, the template schema exists (new brands are cloned
  from it) and the Celery broker accepts a connection. Each check reports its status and
  latency; any failure makes the answer a 503, so the load balancer stops sending traffic
  until it recovers.

Both are answered by ``HealthCheckMiddleware``, the first entry of ``MIDDLEWARE``: before
django-tenants resolves the brand from the Host header (a load balancer probes by IP, which
no Domain row matches), before sessions, CSRF and any rate limit. The click lane's process
answers ``/healthz`` itself, without Django's request handling (``config.asgi_lane``).

The checks open their own short-lived connections with short timeouts rather than using the
request's connection: libpq waits forever for an unreachable server by default, and the
request's connection carries django-tenants' search path.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import psycopg
import redis
from asgiref.sync import markcoroutinefunction
from django.apps import apps
from django.conf import settings
from django.db import connections
from django.db.migrations.loader import MigrationLoader
from django.http import HttpRequest, HttpResponse, JsonResponse
from kombu import Connection as BrokerConnection
from prometheus_client import CONTENT_TYPE_LATEST
from psycopg import sql

from core.metrics import METRICS_PATHS, exposition, token_status

LIVENESS_PATHS = frozenset({"/healthz", "/healthz/"})
READINESS_PATHS = frozenset({"/readyz", "/readyz/"})
_NO_STORE = "no-store"


@dataclass(frozen=True, slots=True)
class CheckResult:
    name: str
    is_ok: bool
    latency_ms: float
    detail: str = ""

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"status": "ok" if self.is_ok else "error", "latency_ms": self.latency_ms}
        if self.detail:
            body["detail"] = self.detail
        return body


class CheckFailed(Exception):
    """A dependency answered, but not as a ready platform needs (e.g. unapplied migrations)."""


def _timeout() -> float:
    return float(getattr(settings, "HEALTH_CHECK_TIMEOUT_SECONDS", 2.0))


def _run(name: str, check: Callable[[], None]) -> CheckResult:
    """Time ``check``; a failure is reported by its kind only: the endpoint is public, and
    driver messages carry host names and socket paths."""
    started = time.perf_counter()
    try:
        check()
    except CheckFailed as failure:
        return CheckResult(name, False, _elapsed_ms(started), str(failure))
    except Exception as error:  # noqa: BLE001 (any failure of a dependency means "not ready")
        return CheckResult(name, False, _elapsed_ms(started), type(error).__name__)
    return CheckResult(name, True, _elapsed_ms(started))


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def _postgres_connect() -> psycopg.Connection[Any]:
    params = connections["default"].get_connection_params()
    params["connect_timeout"] = max(1, round(_timeout()))
    return psycopg.connect(autocommit=True, **params)


def check_postgres() -> None:
    with _postgres_connect() as conn:
        conn.execute("SELECT 1")


def check_redis() -> None:
    client = redis.Redis.from_url(
        settings.REDIS_URL, socket_connect_timeout=_timeout(), socket_timeout=_timeout()
    )
    try:
        client.ping()
    finally:
        client.close()


def check_broker() -> None:
    with BrokerConnection(settings.CELERY_BROKER_URL, connect_timeout=_timeout()) as broker:
        broker.ensure_connection(max_retries=1, timeout=_timeout())


@lru_cache(maxsize=1)
def _migrations_on_disk() -> dict[str, frozenset[tuple[str, str]]]:
    """Every migration on disk for the shared apps and for the tenant apps. Read once per
    process: the files do not change under a running process."""
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    shared = _labels(settings.SHARED_APPS)
    tenant = _labels(settings.TENANT_APPS)
    nodes = set(graph.nodes)
    return {
        "shared": frozenset(node for node in nodes if node[0] in shared),
        "tenant": frozenset(node for node in nodes if node[0] in tenant),
    }


def _labels(app_names: list[str]) -> set[str]:
    """App labels (``auth``) of app names (``django.contrib.auth``)."""
    by_name = {config.name: config.label for config in apps.get_app_configs()}
    return {by_name[name] for name in app_names if name in by_name}


def _unapplied(conn: psycopg.Connection[Any], schema: str, expected: frozenset[tuple[str, str]]) -> list[str]:
    rows = conn.execute(
        sql.SQL("SELECT app, name FROM {}.django_migrations").format(sql.Identifier(schema))
    ).fetchall()
    applied = {(app, name) for app, name in rows}
    return sorted(f"{app}.{name}" for app, name in expected - applied)


def _schema_exists(conn: psycopg.Connection[Any], schema: str) -> bool:
    return conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [schema]).fetchone() is not None


def check_template_schema() -> None:
    with _postgres_connect() as conn:
        if not _schema_exists(conn, settings.TENANT_BASE_SCHEMA):
            raise CheckFailed("template schema missing (manage.py platform_init)")


def check_migrations() -> None:
    expected = _migrations_on_disk()
    with _postgres_connect() as conn:
        pending = _unapplied(conn, settings.PUBLIC_SCHEMA_NAME, expected["shared"])
        if _schema_exists(conn, settings.TENANT_BASE_SCHEMA):
            pending += _unapplied(conn, settings.TENANT_BASE_SCHEMA, expected["tenant"])
    if pending:
        shown = ", ".join(pending[:3]) + (" …" if len(pending) > 3 else "")
        raise CheckFailed(f"{len(pending)} unapplied migration(s): {shown}")


READINESS_CHECKS: tuple[tuple[str, Callable[[], None]], ...] = (
    ("postgres", check_postgres),
    ("redis", check_redis),
    ("migrations", check_migrations),
    ("template_schema", check_template_schema),
    ("celery_broker", check_broker),
)


# The last evaluation: (monotonic time, ready?, results). Written only by the readiness thread.
_last_readiness: tuple[float, bool, list[CheckResult]] | None = None
# One thread per process evaluates readiness: probes never wait on, nor fill, the threads that
# serve requests (Django's one sync thread under ASGI, the default executor of Channels), and a
# flood of /readyz queues here, to be answered from the cache once the first evaluation is done.
_READINESS_EXECUTOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="readiness")


def readiness() -> tuple[bool, list[CheckResult]]:
    """Every check, or the last evaluation while it is younger than
    ``HEALTH_READINESS_CACHE_SECONDS``: /readyz is public, and each evaluation opens connections
    to Postgres, Redis and the broker."""
    global _last_readiness
    max_age = float(getattr(settings, "HEALTH_READINESS_CACHE_SECONDS", 2.0))
    last = _last_readiness
    if last is not None and time.monotonic() - last[0] < max_age:
        return last[1], last[2]
    results = [_run(name, check) for name, check in READINESS_CHECKS]
    is_ready = all(result.is_ok for result in results)
    _last_readiness = (time.monotonic(), is_ready, results)
    return is_ready, results


def readiness_cache_clear() -> None:
    global _last_readiness
    _last_readiness = None


def liveness_response() -> HttpResponse:
    response = JsonResponse({"status": "ok"})
    response["Cache-Control"] = _NO_STORE
    return response


def readiness_response() -> HttpResponse:
    is_ready, results = readiness()
    response = JsonResponse(
        {
            "status": "ok" if is_ready else "unavailable",
            "checks": {result.name: result.as_json() for result in results},
        },
        status=200 if is_ready else 503,
    )
    response["Cache-Control"] = _NO_STORE
    return response


class HealthCheckMiddleware:
    """Answers ``/healthz`` and ``/readyz`` before anything else runs (see the module doc).

    First in ``MIDDLEWARE``: above TenantMainMiddleware (unknown hosts and bare IPs are
    answered too), SecurityMiddleware (no HTTPS redirect for a plain-HTTP probe), sessions,
    CSRF and rate limits.

    Async only: under ASGI, ``/healthz`` is answered on the event loop (it says the loop turns)
    and ``/readyz`` on the readiness thread, so neither waits behind Django's one sync thread;
    other requests go down the (sync) chain with the one thread hop they always had. Django
    adapts it for the test client and WSGI.
    """

    sync_capable = False
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Awaitable[HttpResponse]]) -> None:
        self.get_response = get_response
        markcoroutinefunction(self)

    async def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in {"GET", "HEAD"}:
            if request.path in LIVENESS_PATHS:
                return liveness_response()
            if request.path in READINESS_PATHS:
                loop = asyncio.get_running_loop()
                return await loop.run_in_executor(_READINESS_EXECUTOR, readiness_response)
        return await self.get_response(request)


# --- the click lane's liveness, plain ASGI (no Django request handling) -------------------------

_LIVENESS_BODY = json.dumps({"status": "ok"}).encode()
_NOT_FOUND_BODY = b"Not found\n"


async def lane_fallback_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """What the click lane's process answers outside ``/r/``: ``/healthz`` (liveness) and a
    404 for the rest. It also completes the ASGI lifespan handshake uvicorn opens."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    headers: list[tuple[bytes, bytes]] = []
    if scope["path"] in LIVENESS_PATHS:
        status, body, content_type = 200, _LIVENESS_BODY, b"application/json"
    elif scope["path"] in METRICS_PATHS:
        # The lane's own counters (core.metrics: same token; 404 while none is set).
        status, body, content_type, headers = _lane_metrics(scope)
    else:
        status, body, content_type = 404, _NOT_FOUND_BODY, b"text/plain; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", _NO_STORE.encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})


def _lane_metrics(scope: dict[str, Any]) -> tuple[int, bytes, bytes, list[tuple[bytes, bytes]]]:
    authorization = ""
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            authorization = value.decode("latin-1")
    status = token_status(authorization)
    if status == 404:
        return 404, _NOT_FOUND_BODY, b"text/plain; charset=utf-8", []
    if status == 401:
        challenge = (b"www-authenticate", b'Bearer realm="metrics"')
        return 401, b"Unauthorized\n", b"text/plain; charset=utf-8", [challenge]
    return 200, exposition(platform_collectors=False), CONTENT_TYPE_LATEST.encode(), []
