"""Prometheus metrics: ``/metrics`` behind a bearer token, answered before tenancy.

What is exported (README "Operations" lists every name; ``infra/grafana/platform.json`` charts
them, and a test checks that every series it queries exists):

- HTTP (web process): ``afp_http_requests_total`` and ``afp_http_request_duration_seconds``
  by view name and, for ``/graphql/``, by GraphQL operation. The operation label is bounded:
  an operation named after one of the schema's root fields (``MagicLinkRequest`` or
  ``magicLinkRequest`` for ``magicLinkRequest``), else ``other`` (named, unknown) or
  ``anonymous`` (``graphql_schema.metrics``). Clients choose operation names; the label
  never carries a name the schema does not have.
- Celery (worker): ``afp_celery_task_failures_total`` and ``afp_celery_task_retries_total``
  by task name.
- The click path (``tracking.metrics``): lane responses by status, drain batches and clicks
  by result, and, read from Redis at scrape time, the stream's length, its pending entries, the
  drain lag (age of the oldest click not yet in Postgres) and the dead letters.
- Read at scrape time by the web process only: the Celery queue depth, and domain events whose
  after-commit dispatch is failing (``core.OutboxEvent`` rows with ``last_error`` and a
  ``next_attempt_at``) per brand: only the brands that have any, at most
  ``METRICS_MAX_BRAND_LABELS`` of them (the rest are summed as ``schema="other"``). No metric
  carries a user id, an email or an IP address.

Every process type answers with its own figures: web (``MetricsMiddleware``), the click lane
(``core.health.lane_fallback_app``), and the worker and the drain on ``METRICS_PORT`` when it is
set (``metrics_server_start``: a small HTTP server in a thread, same token).

Several processes of one type on one host (uvicorn ``--workers``, Celery's prefork pool) share
their figures through prometheus-client's multiprocess mode: set ``PROMETHEUS_MULTIPROC_DIR`` to
an empty directory of that process type's own (the image's entry point does, and empties it at
start); each scrape then sums every process's files.

``METRICS_TOKEN`` unset: ``/metrics`` is a 404 (the endpoint does not exist). Set: a request
without ``Authorization: Bearer <token>`` gets a 401.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from asgiref.sync import markcoroutinefunction
from django.conf import settings
from django.utils.module_loading import import_string
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

METRICS_PATHS = frozenset({"/metrics", "/metrics/"})
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

HTTP_REQUESTS = Counter(
    "afp_http_requests",
    "HTTP requests answered by Django, by view, GraphQL operation, method and status.",
    ["view", "operation", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "afp_http_request_duration_seconds",
    "Time to answer an HTTP request (Django), by view and GraphQL operation.",
    ["view", "operation"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
CELERY_TASK_FAILURES = Counter(
    "afp_celery_task_failures", "Celery tasks that raised, by task name.", ["task"]
)
CELERY_TASK_RETRIES = Counter(
    "afp_celery_task_retries", "Celery tasks that asked to be retried, by task name.", ["task"]
)
STRIPE_WEBHOOK_REREADS = Counter(
    "afp_stripe_webhook_rereads",
    "Stripe events whose object was read again from Stripe before being applied: reason stale (an "
    "event as old as one already applied to the object) or version (rendered in another API version).",
    ["event_type", "reason"],
)
STRIPE_WEBHOOK_VERSION_MISMATCHES = Counter(
    "afp_stripe_webhook_version_mismatches",
    "Stripe events rendered in an API version other than the pinned one (alert on any increase: the "
    "webhook endpoint's version must be pinned to the SDK's), by event type, version and what was "
    "done: reread (applied from the object read again in the pinned version) or refused.",
    ["event_type", "api_version", "action"],
)


# --- the registry a scrape reads ------------------------------------------------------------------


def is_multiprocess() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def exposition(*, platform_collectors: bool) -> bytes:
    """The text a scrape gets: this process's metrics (or, in multiprocess mode, those of
    every process sharing the directory), plus the scrape-time collectors when asked."""
    if is_multiprocess():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        registry.register(_ProcessRegistry())
    if platform_collectors:
        for collector in scrape_collectors():
            registry.register(collector)
    return bytes(generate_latest(registry))


class _ProcessRegistry(Collector):
    """The default registry, as one collector of a registry built per scrape (so that the
    scrape-time collectors are registered in exactly one place)."""

    def collect(self) -> Iterable[Any]:
        return REGISTRY.collect()


@lru_cache(maxsize=1)
def scrape_collectors() -> tuple[Collector, ...]:
    """``METRICS_COLLECTORS``: read at scrape time by the web process (platform-wide figures:
    one process reports them, not every one)."""
    return tuple(import_string(path)() for path in settings.METRICS_COLLECTORS)


def token_status(authorization: str) -> int:
    """200 when ``authorization`` carries the metrics token, 401 when not, 404 when there is
    no token configured (no endpoint)."""
    expected = str(getattr(settings, "METRICS_TOKEN", "") or "")
    if not expected:
        return 404
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), expected.encode()):
        return 200
    return 401


# --- the web process --------------------------------------------------------------------------------

_SCRAPE_EXECUTOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="metrics")


def _metrics_response(authorization: str) -> HttpResponse:
    from django.http import HttpResponse

    status = token_status(authorization)
    if status == 404:
        response = HttpResponse(b"Not found\n", status=404, content_type="text/plain; charset=utf-8")
    elif status == 401:
        response = HttpResponse(b"Unauthorized\n", status=401, content_type="text/plain; charset=utf-8")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
    else:
        response = HttpResponse(exposition(platform_collectors=True), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response


def request_labels(request: HttpRequest) -> tuple[str, str]:
    """(view, operation) of a request, both bounded: the URLconf's view names, and the label
    ``graphql_schema.metrics`` put on the request for GraphQL operations."""
    match = getattr(request, "resolver_match", None)
    view = (match.view_name or match._func_path) if match is not None else "unresolved"
    operation = str(getattr(request, "graphql_operation", "") or "")
    return str(view), operation


class MetricsMiddleware:
    """Answers ``/metrics`` (any host, before tenancy, see the module doc) and times every
    other request. Second in ``MIDDLEWARE``, after the health checks (probes are not counted).

    Async, like ``core.health.HealthCheckMiddleware``: a scrape is answered on a thread of its
    own (it reads Redis and Postgres), never on the threads serving requests; the time measured
    includes the hop to Django's sync thread, as a client sees it.
    """

    sync_capable = False
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Awaitable[HttpResponse]]) -> None:
        self.get_response = get_response
        markcoroutinefunction(self)

    async def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path in METRICS_PATHS and request.method in {"GET", "HEAD"}:
            authorization = request.META.get("HTTP_AUTHORIZATION", "")
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(_SCRAPE_EXECUTOR, _metrics_response, authorization)
        started = time.perf_counter()
        response = await self.get_response(request)
        view, operation = request_labels(request)
        method = request.method if request.method in _METHODS else "other"
        HTTP_REQUESTS.labels(view, operation, method, str(response.status_code)).inc()
        HTTP_LATENCY.labels(view, operation).observe(time.perf_counter() - started)
        return response


# --- Celery -------------------------------------------------------------------------------------------


def _task_failed(sender: Any = None, **_kwargs: Any) -> None:
    CELERY_TASK_FAILURES.labels(getattr(sender, "name", "unknown")).inc()


def _task_retried(sender: Any = None, **_kwargs: Any) -> None:
    CELERY_TASK_RETRIES.labels(getattr(sender, "name", "unknown")).inc()


def _worker_metrics_server(**_kwargs: Any) -> None:
    port = int(getattr(settings, "METRICS_PORT", 0) or 0)
    if port:
        metrics_server_start(port)


def celery_signals_connect() -> None:
    from celery.signals import task_failure, task_retry, worker_init

    task_failure.connect(_task_failed, dispatch_uid="afp_metrics_task_failure", weak=False)
    task_retry.connect(_task_retried, dispatch_uid="afp_metrics_task_retry", weak=False)
    worker_init.connect(_worker_metrics_server, dispatch_uid="afp_metrics_worker_server", weak=False)


# --- processes without HTTP: the worker and the drain ---------------------------------------------------


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return None


def _metrics_wsgi_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
    if environ.get("PATH_INFO") not in METRICS_PATHS:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return iter([b"Not found\n"])
    status = token_status(str(environ.get("HTTP_AUTHORIZATION", "")))
    if status == 404:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return iter([b"Not found\n"])
    if status == 401:
        start_response("401 Unauthorized", [("WWW-Authenticate", 'Bearer realm="metrics"')])
        return iter([b"Unauthorized\n"])
    body = exposition(platform_collectors=False)
    start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST), ("Cache-Control", "no-store")])
    return iter([body])


def metrics_server_start(port: int, address: str | None = None) -> WSGIServer:
    """``/metrics`` of a process without an HTTP server of its own (the Celery worker's main
    process, the drain), on ``address:port`` (``METRICS_ADDRESS``, default all interfaces: a
    container's port is reached from the scraper's network), in a daemon thread."""
    host = address if address is not None else str(getattr(settings, "METRICS_ADDRESS", "0.0.0.0"))  # noqa: S104
    server = make_server(host, port, _metrics_wsgi_app, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="metrics-server", daemon=True)
    thread.start()
    logger.info("metrics on %s:%s/metrics", host, server.server_port)
    return server


# --- read at scrape time ------------------------------------------------------------------------------------


class CachedCollector(Collector):
    """A collector whose figures cost queries: read at most once per
    ``METRICS_COLLECT_CACHE_SECONDS``, and a failure reported as ``afp_metrics_collect_errors``
    rather than failing the whole scrape."""

    name = "collector"

    def __init__(self) -> None:
        self._cached: tuple[float, list[Any]] | None = None
        self._lock = threading.Lock()

    def read(self) -> list[Any]:
        raise NotImplementedError

    def collect(self) -> Iterable[Any]:
        max_age = float(getattr(settings, "METRICS_COLLECT_CACHE_SECONDS", 10.0))
        with self._lock:
            cached = self._cached
            if cached is None or time.monotonic() - cached[0] >= max_age:
                try:
                    families = self.read()
                except Exception as error:  # noqa: BLE001 (a dependency down must not fail the scrape)
                    logger.warning("metrics: %s not read: %s", self.name, type(error).__name__)
                    families = []
                    errors = GaugeMetricFamily(
                        "afp_metrics_collect_errors",
                        "1 when a scrape-time collector could not read its source.",
                        labels=["collector"],
                    )
                    errors.add_metric([self.name], 1)
                    families.append(errors)
                cached = (time.monotonic(), families)
                self._cached = cached
        return list(cached[1])


class CeleryQueueCollector(CachedCollector):
    """``afp_celery_queue_length``: messages waiting in the default queue (the broker's list,
    with kombu's priority sub-lists)."""

    name = "celery_queue"

    def read(self) -> list[Any]:
        from kombu import Connection

        queue = settings.CELERY_TASK_DEFAULT_QUEUE
        timeout = float(getattr(settings, "HEALTH_CHECK_TIMEOUT_SECONDS", 2.0))
        # kombu reads every broker URL spelling (redis://, rediss://, redis+socket://).
        with Connection(settings.CELERY_BROKER_URL, connect_timeout=timeout) as broker:
            broker.ensure_connection(max_retries=1, timeout=timeout)  # no retry loop in a scrape
            client = broker.default_channel.client
            # kombu's Redis transport: the queue's list, and one per priority step (\x06\x16N).
            names = [queue, *(f"{queue}\x06\x16{step}" for step in (3, 6, 9))]
            pipe = client.pipeline(transaction=False)
            for name in names:
                pipe.llen(name)
            depth = sum(int(length) for length in pipe.execute())
        family = GaugeMetricFamily(
            "afp_celery_queue_length", "Celery messages waiting in the broker, by queue.", labels=["queue"]
        )
        family.add_metric([queue], depth)
        return [family]


class OutboxCollector(CachedCollector):
    """``afp_outbox_failing_events{schema}``: domain events whose after-commit handlers failed
    and wait for a retry (``last_error`` set, ``next_attempt_at`` set), per brand that has any;
    and ``afp_brands``, the number of brands. One statement over every brand schema."""

    name = "outbox"

    def read(self) -> list[Any]:
        from django.db import connection
        from django_tenants.utils import get_public_schema_name, get_tenant_model

        table = get_tenant_model()._meta.db_table
        public = get_public_schema_name()
        # A connection of this scrape's own (closed after): the scrape thread outlives requests.
        try:
            return self._read(connection, table, public)
        finally:
            connection.close()

    @staticmethod
    def _read(connection: Any, table: str, public: str) -> list[Any]:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT schema_name FROM {public}.{table} WHERE kind = %s",  # noqa: S608 (names from settings)
                ["brand"],
            )
            schemas = [public, *(row[0] for row in cursor.fetchall())]
            counts: list[tuple[str, int]] = []
            for start in range(0, len(schemas), 500):
                chunk = schemas[start : start + 500]
                # Schema names come from the tenant table, quoted as identifiers.
                union = " UNION ALL ".join(
                    f"SELECT %s, count(*) FROM {connection.ops.quote_name(schema)}.core_outboxevent"  # noqa: S608
                    " WHERE last_error <> '' AND next_attempt_at IS NOT NULL"
                    for schema in chunk
                )
                cursor.execute(union, chunk)
                counts += [(str(schema), int(count)) for schema, count in cursor.fetchall()]
        failing = GaugeMetricFamily(
            "afp_outbox_failing_events",
            "Domain events whose dispatch failed and waits for a retry, by brand schema (brands with"
            " any; beyond METRICS_MAX_BRAND_LABELS, summed as schema=other).",
            labels=["schema"],
        )
        limit = int(getattr(settings, "METRICS_MAX_BRAND_LABELS", 50))
        nonzero = sorted(((count, schema) for schema, count in counts if count), reverse=True)
        for count, schema in nonzero[:limit]:
            failing.add_metric([schema], count)
        if len(nonzero) > limit:
            failing.add_metric(["other"], sum(count for count, _ in nonzero[limit:]))
        brands = GaugeMetricFamily("afp_brands", "Brands (tenant schemas of kind brand).")
        brands.add_metric([], len(schemas) - 1)
        return [failing, brands]
