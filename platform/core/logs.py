"""Structured logs: one request id per request, carried into the Celery tasks it enqueued.

Every process logs through the standard library (``logging.getLogger(__name__)``, as the code
already does); the formatter is structlog's ``ProcessorFormatter``, so production writes one JSON
object per line (``LOG_FORMAT=json``, the production default) and development a readable line
(``LOG_FORMAT=console``). Each line carries what is bound in the current context:

- ``request_id``: from a sanitised ``X-Request-ID`` header, or generated; echoed in the response
  (``RequestIdMiddleware``), stamped on every Celery task published during the request
  (``before_task_publish``) and bound again in the worker around the task (``task_prerun``);
- ``schema`` (the brand) and ``user_id`` of the request: read from the request when the line
  is written, once the tenant middleware and authentication have set them (never forcing a
  session lookup from inside a log call);
- in a worker: ``task`` and ``task_id`` (and the ``schema`` the task runs in);
- in the click drain: ``schema`` and ``batch_key`` of the batch being written (clicks carry no
  request id; the batch key names the stream entries, see ``tracking.ingest``);
- on a websocket: ``connection_id`` (and the ``schema`` and ``user_id`` it opened with).

Context lives in context variables (``structlog.contextvars``): they follow a request across
Django's sync/async hops (asgiref copies the context into its threads) and never leak from one
request, task or connection to the next (each binding is reset when it ends).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

import structlog
from django.utils.functional import empty

if TYPE_CHECKING:  # settings import this module: nothing of Django's request machinery at import
    from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)
# One line per request and per task: a logger of their own, so that LOG_REQUESTS=0 (or a level)
# silences them alone. Measured here: about 75 µs of CPU per line (structlog's formatter over a
# LogRecord, rendered as JSON), against ~13 µs for the rest of this middleware.
access_logger = logging.getLogger("core.logs.access")

REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_META = "HTTP_X_REQUEST_ID"
# The Celery message headers carrying the request id and the user who made the request (beside
# tenant-schemas-celery's _schema_name).
TASK_REQUEST_ID_HEADER = "_request_id"
TASK_USER_ID_HEADER = "_user_id"
# What an incoming id may look like: UUIDs, hex ids (nginx $request_id), ALB/X-Ray style
# "Root=1-…" ids. Anything else (too long, spaces, quotes, newlines: log injection) is replaced
# by a fresh id rather than cleaned up, so a logged id is always one a client or proxy sent whole.
REQUEST_ID_MAX_LENGTH = 128
_REQUEST_ID = re.compile(rf"[A-Za-z0-9._:=+/-]{{1,{REQUEST_ID_MAX_LENGTH}}}")

_current_request: ContextVar[HttpRequest | None] = ContextVar("afp_log_request", default=None)


def request_id_new() -> str:
    return uuid.uuid4().hex


def request_id_sanitise(value: str | None) -> str | None:
    """``value`` when it is an acceptable request id, else None (the caller generates one)."""
    if value and _REQUEST_ID.fullmatch(value):
        return value
    return None


def current_request_id() -> str | None:
    value = structlog.contextvars.get_contextvars().get("request_id")
    return str(value) if value else None


# --- processors and the logging configuration -------------------------------------------------


def add_request_fields(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> Any:
    """The brand schema and user id of the current request, when known. The user is read only
    once authentication has resolved it: a log line never causes a session query."""
    request = _current_request.get()
    if request is None:
        return event_dict
    if "schema" not in event_dict:
        tenant = getattr(request, "tenant", None)
        if tenant is not None:
            event_dict["schema"] = tenant.schema_name
    if "user_id" not in event_dict:
        user_id = _resolved_user_id(request)
        if user_id is not None:
            event_dict["user_id"] = user_id
    return event_dict


def _resolved_user_id(request: HttpRequest) -> Any:
    """The signed-in user's id if authentication has already resolved it, else None."""
    user = request.__dict__.get("user")
    wrapped = getattr(user, "_wrapped", user)  # SimpleLazyObject until first read
    if wrapped is not None and wrapped is not empty and getattr(wrapped, "is_authenticated", False):
        return wrapped.pk
    return None


def drop_color_message(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> Any:
    """uvicorn passes an ANSI-coloured copy of each message as an ``extra``: not for a log file."""
    event_dict.pop("color_message", None)
    return event_dict


def _shared_processors() -> list[Any]:
    return [
        structlog.contextvars.merge_contextvars,
        add_request_fields,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        drop_color_message,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def logging_config(*, log_format: str, level: str, access_lines: bool = True) -> dict[str, Any]:
    """The ``LOGGING`` dict of every settings module: ``json`` (one object per line, for the log
    pipeline) or ``console`` (readable, for people). ``access_lines``: the one line per request
    and per task (``core.logs.access``)."""
    if log_format not in {"json", "console"}:
        raise ValueError(f"LOG_FORMAT must be json or console, not {log_format!r}")
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    formatter_processors: list[Any] = [structlog.stdlib.ProcessorFormatter.remove_processors_meta]
    if log_format == "json":
        formatter_processors.append(structlog.processors.format_exc_info)
    formatter_processors.append(renderer)
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structured": {
                "()": structlog.stdlib.ProcessorFormatter,
                "processors": formatter_processors,
                "foreign_pre_chain": _shared_processors(),
            }
        },
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
        "root": {"handlers": ["console"], "level": level},
        # The Stripe SDK logs every request at INFO. uvicorn installs its own plain handlers
        # before the application (and so these settings) loads: its lines go through this
        # formatter instead, and its access log is replaced by the request line below (it
        # knows neither the brand nor the request id).
        "loggers": {
            "django.db.backends": {"level": "WARNING"},
            "stripe": {"level": "WARNING"},
            # fpdf2 subsets the invoice fonts through fontTools, which logs every table it prunes.
            "fontTools": {"level": "WARNING"},
            "uvicorn": {"handlers": [], "level": "INFO", "propagate": True},
            "uvicorn.error": {"handlers": [], "level": "INFO", "propagate": True},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": True},
            "core.logs.access": {"level": "INFO" if access_lines else "WARNING"},
        },
    }


def structlog_configure() -> None:
    """structlog's own loggers (``structlog.get_logger()``) go through the same handlers."""
    structlog.configure(
        processors=[
            *_shared_processors()[:4],
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


# --- HTTP ---------------------------------------------------------------------------------------


class RequestIdMiddleware:
    """Binds the request id (and, lazily, the brand and user) for every line logged while the
    request runs; answers with ``X-Request-ID``; writes one ``request`` line at the end (method,
    path without the query string, status, duration): uvicorn's access log knows neither the
    brand nor the request id, and runs with ``--no-access-log``.

    Placed right after the health and metrics middleware: before the tenant middleware, so
    that an unknown host's 404 has its id too.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_sanitise(request.META.get(REQUEST_ID_META)) or request_id_new()
        request.request_id = request_id  # type: ignore[attr-defined]
        started = time.perf_counter()
        request_token = _current_request.set(request)
        tokens = structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            access_logger.info(
                "request",
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
            return response
        finally:
            structlog.contextvars.reset_contextvars(**tokens)
            _current_request.reset(request_token)


# --- Celery -------------------------------------------------------------------------------------


def task_headers_stamp(headers: dict[str, Any] | None = None, **_kwargs: Any) -> None:
    """``before_task_publish``: the current request id (and the signed-in user's id) travel in
    the task's headers (every publish: ``enqueue_on_commit``, ``delay``, a task enqueuing
    another, which passes on what its own run was bound with)."""
    if headers is None:
        return
    context = structlog.contextvars.get_contextvars()
    request_id = context.get("request_id")
    if request_id and TASK_REQUEST_ID_HEADER not in headers:
        headers[TASK_REQUEST_ID_HEADER] = str(request_id)
    request = _current_request.get()
    user_id = _resolved_user_id(request) if request is not None else context.get("user_id")
    if user_id is not None and TASK_USER_ID_HEADER not in headers:
        headers[TASK_USER_ID_HEADER] = user_id


def _task_header(task: Any, name: str) -> Any:
    # As tenant-schemas-celery reads _schema_name: some brokers merge headers into the request.
    headers = getattr(task.request, "headers", None) or {}
    return headers.get(name) if name in headers else task.request.get(name)


# Tokens of the context bound around each running task, by task id (a worker runs one task
# per thread or process at a time; the map survives a task that never reaches postrun).
_task_tokens: dict[str, tuple[Mapping[str, Any], float]] = {}


def task_context_bind(task_id: str | None = None, task: Any = None, **_kwargs: Any) -> None:
    """``task_prerun``: bind the request id of the request that enqueued the task (if any), the
    task's name, id and schema, for every line logged while it runs."""
    if task is None or task_id is None:
        return
    request_id = request_id_sanitise(_task_header(task, TASK_REQUEST_ID_HEADER))
    user_id = _task_header(task, TASK_USER_ID_HEADER)
    schema = _task_header(task, "_schema_name")
    values: dict[str, Any] = {"task": task.name, "task_id": task_id}
    if request_id:
        values["request_id"] = request_id
    if isinstance(user_id, int):
        values["user_id"] = user_id
    if schema:
        values["schema"] = schema
    _task_tokens[task_id] = (structlog.contextvars.bind_contextvars(**values), time.perf_counter())


def task_context_reset(task_id: str | None = None, state: str | None = None, **_kwargs: Any) -> None:
    """``task_postrun``: one ``task`` line (state, duration), then the context is unbound."""
    bound = _task_tokens.pop(task_id or "", None)
    if bound is None:
        return
    tokens, started = bound
    access_logger.info(
        "task",
        extra={"state": state, "duration_ms": round((time.perf_counter() - started) * 1000, 1)},
    )
    structlog.contextvars.reset_contextvars(**tokens)


def celery_signals_connect() -> None:
    from celery.signals import before_task_publish, task_postrun, task_prerun

    before_task_publish.connect(task_headers_stamp, dispatch_uid="afp_logs_task_headers", weak=False)
    task_prerun.connect(task_context_bind, dispatch_uid="afp_logs_task_bind", weak=False)
    task_postrun.connect(task_context_reset, dispatch_uid="afp_logs_task_reset", weak=False)


# --- the click drain and websockets -------------------------------------------------------------


@contextmanager
def log_context(**values: Any) -> Iterator[None]:
    """Bind ``values`` on every line logged inside the block (e.g. the drain's batch key)."""
    with structlog.contextvars.bound_contextvars(**values):
        yield


Scope = dict[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[Any]]


class WebsocketConnectionLogMiddleware:
    """Outermost on the websocket side: a ``connection_id`` for every line of one connection
    (including an unknown host's refusal)."""

    def __init__(self, inner: ASGIApp) -> None:
        self.inner = inner

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> Any:
        if scope["type"] != "websocket":
            return await self.inner(scope, receive, send)
        with structlog.contextvars.bound_contextvars(connection_id=uuid.uuid4().hex[:16]):
            return await self.inner(scope, receive, send)


class WebsocketTenantLogMiddleware:
    """Inside ``TenantWebsocketMiddleware``: the brand and the user the socket opened with."""

    def __init__(self, inner: ASGIApp) -> None:
        self.inner = inner

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> Any:
        values: dict[str, Any] = {}
        tenant = scope.get("tenant")
        if tenant is not None:
            values["schema"] = tenant.schema_name
        user = scope.get("user")
        if user is not None and getattr(user, "is_authenticated", False):
            values["user_id"] = user.pk
        with structlog.contextvars.bound_contextvars(**values):
            return await self.inner(scope, receive, send)
