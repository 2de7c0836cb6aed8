"""Structured logs: one request id per request (sanitised, echoed), the brand and the user on
every line, the same id in the Celery task the request enqueued (a real worker), JSON under
the production settings, connection ids on websockets."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from accounts.models import Role
from core.logs import (
    REQUEST_ID_MAX_LENGTH,
    WebsocketConnectionLogMiddleware,
    WebsocketTenantLogMiddleware,
    request_id_sanitise,
)
from tests.conftest import domain_of, make_user
from tests.log_capture import JsonLines, json_lines_captured

QUERY = "query Viewer { me { email } }"


@pytest.fixture
def json_lines() -> Iterator[JsonLines]:
    with json_lines_captured() as handler:
        yield handler


def _wait_for(condition, timeout: float = 60.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


# --- X-Request-ID ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sent",
    [
        "3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b",
        "a" * 32,
        "Root=1-67891233-abcdef012345678912345678",
        "req.1:2_3",
    ],
)
def test_an_acceptable_request_id_is_echoed(brand_a, client, sent):
    response = client.get("/robots.txt", HTTP_HOST=domain_of(brand_a), HTTP_X_REQUEST_ID=sent)

    assert response.status_code == 200
    assert response["X-Request-ID"] == sent


@pytest.mark.parametrize(
    "sent",
    [
        "a" * (REQUEST_ID_MAX_LENGTH + 1),
        "two words",
        'quoted"id',
        "line\nforged",
        "<script>",
        "héllo",
        "",
    ],
)
def test_an_unacceptable_request_id_is_replaced_by_a_fresh_one(brand_a, client, sent):
    response = client.get("/robots.txt", HTTP_HOST=domain_of(brand_a), HTTP_X_REQUEST_ID=sent)

    replaced = response["X-Request-ID"]
    assert replaced != sent
    assert len(replaced) == 32
    assert int(replaced, 16) >= 0
    assert request_id_sanitise(sent) is None


def test_each_request_without_an_id_gets_its_own(brand_a, client):
    first = client.get("/robots.txt", HTTP_HOST=domain_of(brand_a))["X-Request-ID"]
    second = client.get("/robots.txt", HTTP_HOST=domain_of(brand_a))["X-Request-ID"]

    assert first != second
    assert len(first) == len(second) == 32


def test_an_unknown_hosts_404_has_a_request_id_too(db, client, json_lines):
    response = client.get("/robots.txt", HTTP_HOST="nobody.example.org", HTTP_X_REQUEST_ID="unknown-host-1")

    assert response.status_code == 404
    assert response["X-Request-ID"] == "unknown-host-1"
    (line,) = json_lines.named("request", request_id="unknown-host-1")
    assert line["status"] == 404
    assert "schema" not in line  # no brand was resolved
    assert "user_id" not in line


# --- what every line of a request carries ---------------------------------------------------------


def test_a_requests_lines_carry_its_id_brand_and_user_and_nothing_leaks_to_the_next(
    brand_a, brand_b, gql, json_lines
):
    user = make_user(brand_a, email="logs-a@example.com", role=Role.AFFILIATE)

    body = gql(brand_a, user).execute(QUERY, HTTP_X_REQUEST_ID="req-brand-a")
    anonymous = gql(brand_b).execute(QUERY, HTTP_X_REQUEST_ID="req-brand-b")
    logging.getLogger("tests.after").info("outside any request")

    assert body["data"]["me"]["email"] == "logs-a@example.com"
    assert anonymous["data"]["me"] is None
    (line_a,) = json_lines.named("request", request_id="req-brand-a")
    assert line_a["schema"] == brand_a.schema_name
    assert line_a["user_id"] == user.pk
    assert line_a["method"] == "POST"
    assert line_a["path"] == "/graphql/"
    assert line_a["status"] == 200
    assert line_a["level"] == "info"
    assert "timestamp" in line_a
    assert "logs-a@example.com" not in json.dumps(json_lines.lines)  # ids, never emails
    (line_b,) = json_lines.named("request", request_id="req-brand-b")
    assert line_b["schema"] == brand_b.schema_name
    assert "user_id" not in line_b
    (after,) = json_lines.named("outside any request")
    assert {"request_id", "schema", "user_id"}.isdisjoint(after)


# --- into the Celery task (real worker) -----------------------------------------------------------------


@pytest.mark.live
def test_the_request_id_travels_into_the_task_the_request_enqueued(
    live_brands, live_client, celery_worker_thread, json_lines
):
    brand, other = live_brands
    make_user(brand, email="trace@example.com")
    make_user(other, email="trace@example.com")
    browser = live_client(brand)
    foreign = live_client(other)
    mutation = 'mutation { magicLinkRequest(email: "trace@example.com") { ok } }'

    response = browser.post(
        mutation, headers={"X-CSRFToken": browser.csrf_token(), "X-Request-ID": "trace-brand-1"}
    )
    foreign_response = foreign.post(
        mutation, headers={"X-CSRFToken": foreign.csrf_token(), "X-Request-ID": "trace-other-1"}
    )

    assert response.headers["X-Request-ID"] == "trace-brand-1"
    assert foreign_response.headers["X-Request-ID"] == "trace-other-1"
    task = "accounts.tasks.send_magic_link_task"
    (task_line,) = _wait_for(lambda: json_lines.named("task", task=task, request_id="trace-brand-1"))
    (foreign_line,) = _wait_for(lambda: json_lines.named("task", task=task, request_id="trace-other-1"))
    assert task_line["state"] == "SUCCESS"
    assert task_line["schema"] == brand.schema_name  # each brand's task, with its own request's id
    assert foreign_line["schema"] == other.schema_name
    assert task_line["task_id"] != foreign_line["task_id"]
    (request_line,) = json_lines.named("request", request_id="trace-brand-1", path="/graphql/")
    assert request_line["schema"] == brand.schema_name


def test_a_task_sent_outside_a_request_carries_no_request_id(brand_a):
    from core.logs import TASK_REQUEST_ID_HEADER, task_headers_stamp

    headers: dict[str, Any] = {}
    task_headers_stamp(headers=headers)
    assert TASK_REQUEST_ID_HEADER not in headers
    with structlog.contextvars.bound_contextvars(request_id="abc"):
        task_headers_stamp(headers=headers)
    assert headers[TASK_REQUEST_ID_HEADER] == "abc"


def test_the_signed_in_users_id_travels_with_the_request_id_and_nothing_else(json_lines):
    from types import SimpleNamespace

    from django.test import RequestFactory

    from core.logs import _current_request, task_context_bind, task_context_reset, task_headers_stamp

    request = RequestFactory().get("/")
    request.user = SimpleNamespace(pk=7, is_authenticated=True, email="seven@example.com")
    headers: dict[str, Any] = {}
    token = _current_request.set(request)
    try:
        with structlog.contextvars.bound_contextvars(request_id="req-user-7"):
            task_headers_stamp(headers=headers)
    finally:
        _current_request.reset(token)
    assert headers == {"_request_id": "req-user-7", "_user_id": 7}

    # In the worker: the task's request carries the headers (as Celery's Context does).
    task_request = SimpleNamespace(
        headers=None, get=lambda name, default=None: {**headers, "_schema_name": "brand_x"}.get(name, default)
    )
    task = SimpleNamespace(name="tests.some_task", request=task_request)
    task_context_bind(task_id="t-1", task=task)
    logging.getLogger("tests.task").info("inside the task")
    task_context_reset(task_id="t-1", state="SUCCESS")
    logging.getLogger("tests.task").info("after the task")

    (inside,) = json_lines.named("inside the task")
    assert inside["request_id"] == "req-user-7"
    assert inside["user_id"] == 7
    assert inside["schema"] == "brand_x"
    assert inside["task_id"] == "t-1"
    assert "seven@example.com" not in json.dumps(json_lines.lines)
    (after,) = json_lines.named("after the task")
    assert {"request_id", "user_id", "schema", "task_id"}.isdisjoint(after)


# --- production settings write JSON, local settings a readable line --------------------------------------


def _log_in_subprocess(settings_module: str, **env: str) -> str:
    script = (
        "import django, logging, structlog; django.setup();"
        "structlog.contextvars.bind_contextvars(request_id='sub-1');"
        "logging.getLogger('probe').warning('hello %s', 'world')"
    )
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings_module,
        "SECRET_KEY": "test-only",
        "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
        "REDIS_URL": "redis://127.0.0.1:1/0",
        **env,
    }
    environment.pop("LOG_FORMAT", None)
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stderr.strip().splitlines()[-1]


def test_production_settings_log_one_json_object_per_line():
    line = json.loads(_log_in_subprocess("config.settings.production"))

    assert line["event"] == "hello world"
    assert line["request_id"] == "sub-1"
    assert line["level"] == "warning"
    assert line["logger"] == "probe"


def test_local_settings_log_a_readable_line():
    line = _log_in_subprocess("config.settings.local")

    assert "hello world" in line
    assert "request_id=sub-1" in line
    with pytest.raises(json.JSONDecodeError):
        json.loads(line)


# --- websockets ---------------------------------------------------------------------------------------------


def test_each_websocket_connection_has_its_own_id_on_its_lines(brand_a, json_lines):
    user = make_user(brand_a, email="socket@example.com")
    logger = logging.getLogger("tests.socket")

    async def consumer(scope: dict[str, Any], receive: Any, send: Any) -> None:
        logger.info("inside the socket")
        await asyncio.sleep(0)
        logger.info("still inside")

    app = WebsocketConnectionLogMiddleware(WebsocketTenantLogMiddleware(consumer))
    for _ in range(2):
        asyncio.run(app({"type": "websocket", "tenant": brand_a, "user": user}, None, None))
    logger.info("after the sockets")

    lines = json_lines.named("inside the socket") + json_lines.named("still inside")
    assert len({line["connection_id"] for line in lines}) == 2
    assert {line["schema"] for line in lines} == {brand_a.schema_name}
    assert {line["user_id"] for line in lines} == {user.pk}
    (after,) = json_lines.named("after the sockets")
    assert "connection_id" not in after


@pytest.mark.live
def test_a_refused_websocket_logs_its_connection_id(live_brands, live_server_port, json_lines):
    brand, _ = live_brands
    host = domain_of(brand)

    async def open_refused() -> None:
        async with connect(
            f"ws://{host}:{live_server_port}/graphql/",
            host="127.0.0.1",
            port=live_server_port,
            subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
            origin="https://evil.example.com",  # type: ignore[arg-type]
            proxy=None,
        ) as socket:
            with pytest.raises(ConnectionClosed):
                await socket.recv()

    asyncio.run(open_refused())
    asyncio.run(open_refused())

    def refusals() -> list[dict[str, Any]] | None:
        lines = [line for line in list(json_lines.lines) if "websocket refused" in line["event"]]
        return lines if len(lines) >= 2 else None

    lines = _wait_for(refusals)
    assert len(lines) == 2
    assert all(len(line["connection_id"]) == 16 for line in lines)
    assert lines[0]["connection_id"] != lines[1]["connection_id"]
