"""The platform through a real PgBouncer in transaction pooling mode (Debian's ``pgbouncer``).

A PgBouncer is started once per session in front of the test database's server
(``devstack.pgbouncer``: 127.0.0.1, a free port, a pool of 3 server connections, so clients
really share them). The platform's processes run as subprocesses whose ``DATABASE_URL`` goes
through it, as an operator runs them: uvicorn (HTTP, websockets and the click lane), a Celery
worker on a queue of its own, the drain and management commands. The test process itself
prepares and checks data on its direct connection.

``DATABASE_POOLER`` of those subprocesses is ``transaction`` (``core.pooled_postgresql``).
``POOLED_SLICE_DATABASE_POOLER=`` (empty) runs them with django-tenants' stock backend instead,
to watch the slice fail without the fix.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings
from django.utils.module_loading import import_string

from config.env import database_settings
from devstack.pgbouncer import Bouncer, pgbouncer_binary, start_pgbouncer
from devstack.services import ROOT, SOURCE_ROOTS, VAR
from tenants.models import Tenant
from tenants.services import brand_create
from tests.conftest import delete_tracking_keys, two_factor_optional

POOLER = os.environ.get("POOLED_SLICE_DATABASE_POOLER", "transaction")


def direct_database_url() -> str:
    """The test database's server as a URL (the settings' HOST may be a socket folder)."""
    database = settings.DATABASES["default"]
    credentials = quote(database["USER"] or "postgres", safe="")
    if database["PASSWORD"]:
        credentials += ":" + quote(database["PASSWORD"], safe="")
    host, port = database["HOST"] or "127.0.0.1", database["PORT"] or "5432"
    if host.startswith("/"):
        return f"postgresql://{credentials}@/{database['NAME']}?host={quote(host)}&port={port}"
    return f"postgresql://{credentials}@{host}:{port}/{database['NAME']}"


@pytest.fixture(scope="session")
def pgbouncer(django_db_setup: Any) -> Iterator[Bouncer]:
    if pgbouncer_binary() is None:
        pytest.fail("pgbouncer is not installed: `make test` installs Debian's package (`make pgbouncer`)")
    bouncer = start_pgbouncer(direct_database_url(), parent=VAR / "pgbouncer", pool_size=3)
    yield bouncer
    bouncer.stop()


def backend_connection(url: str, pooler: str, alias: str, **overrides: Any) -> Any:
    """A Django connection of the backend ``DATABASE_POOLER=<pooler>`` selects, on ``url``,
    outside Django's registry (the suite's own connection stays direct)."""
    settings_dict = database_settings(url, pooler=pooler)
    settings_dict.update(
        ATOMIC_REQUESTS=False, AUTOCOMMIT=True, CONN_HEALTH_CHECKS=False, TIME_ZONE=None, TEST={}
    )
    settings_dict.update(overrides)
    return import_string(f"{settings_dict['ENGINE']}.base.DatabaseWrapper")(settings_dict, alias)


def bouncer_stats(bouncer: Bouncer, database: str) -> dict[str, int]:
    """PgBouncer's running totals for ``database`` (queries, transactions, bytes)."""
    with psycopg.connect(bouncer.admin_url(), autocommit=True) as admin:
        cursor = admin.cursor()
        cursor.execute("SHOW STATS")
        columns = [column.name for column in cursor.description or []]
        for row in cursor.fetchall():
            values = dict(zip(columns, row, strict=True))
            if values["database"] == database:
                return {name: int(value) for name, value in values.items() if name.startswith("total_")}
    return {}


def pooled_env(bouncer: Bouncer, pooler: str = POOLER, **extra: str) -> dict[str, str]:
    """The environment of a platform process that reaches the test database through PgBouncer."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=bouncer.url(settings.DATABASES["default"]["NAME"]),
        DATABASE_POOLER=pooler,
        DJANGO_SETTINGS_MODULE="config.settings.test",
        TEST_RUN_ID=os.environ["TEST_RUN_ID"],
        PYTHONPATH=os.pathsep.join([*map(str, SOURCE_ROOTS), env.get("PYTHONPATH", "")]),
        **extra,
    )
    return env


def manage(bouncer: Bouncer, *commands: list[str], **extra: str) -> list[str]:
    """Run ``manage.py <command>`` for each command, at once, through PgBouncer; their outputs.
    Raises with the output of any that failed."""
    processes = [
        subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), *command],
            env=pooled_env(bouncer, **extra),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for command in commands
    ]
    outputs = []
    for command, process in zip(commands, processes, strict=True):
        output, _ = process.communicate(timeout=60)
        if process.returncode != 0:
            raise AssertionError(f"manage.py {' '.join(command)} failed:\n{output}")
        outputs.append(output)
    return outputs


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def pooling_tenants(django_db_setup: Any, django_db_blocker: Any) -> tuple[Tenant, Tenant]:
    """Two committed brands of this slice's own: the pooled processes see only committed rows."""
    run = os.environ["TEST_RUN_ID"][-6:]
    with django_db_blocker.unblock():
        return two_factor_optional(  # type: ignore[return-value]
            *(
                brand_create(
                    actor=None,
                    name=f"Pooled {letter.upper()}",
                    subdomain=f"pool{run}-{letter}",
                    theme="default",
                    currency="EUR",
                    language="en",
                )
                for letter in ("a", "b")
            )
        )


@pytest.fixture
def committed(django_db_blocker: Any) -> Iterator[None]:
    """Database access in the test body without a transaction around it (other processes read it)."""
    from django.db import connection

    with django_db_blocker.unblock():
        yield
        connection.set_schema_to_public()


@pytest.fixture(scope="module")
def tracking_prefix() -> Iterator[str]:
    """The click lane's Redis keys of this module (routes, stream), removed afterwards."""
    value = f"test{os.environ['TEST_RUN_ID']}-pooling"
    yield value
    delete_tracking_keys(f"{value}:*")


def start_server(
    bouncer: Bouncer, log: Path, pooler: str = POOLER, **extra: str
) -> tuple[int, subprocess.Popen[bytes]]:
    """uvicorn serving ``config.asgi:application`` (Django, websockets, the click lane) through PgBouncer."""
    port = _free_port()
    command = [
        sys.executable, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1", "--port", str(port),
        "--no-access-log", "--no-proxy-headers", "--ws", "websockets-sansio", "--log-level", "warning",
    ]  # fmt: skip
    with open(log, "wb") as output:
        process = subprocess.Popen(
            command,
            env=pooled_env(bouncer, pooler, **extra),
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return port, process
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                _stop(process)
                raise RuntimeError(
                    f"the pooled server did not start:\n{log.read_text(errors='replace')}"
                ) from None
            time.sleep(0.1)


@pytest.fixture(scope="module")
def pooled_server(pgbouncer: Bouncer, tracking_prefix: str, tmp_path_factory: Any) -> Iterator[int]:
    """The platform's web process through PgBouncer; yields its port."""
    log = tmp_path_factory.mktemp("pooled-server") / "uvicorn.log"
    port, process = start_server(pgbouncer, log, TRACKING_KEY_PREFIX=tracking_prefix)
    yield port
    _stop(process)


@pytest.fixture(scope="module")
def pooled_worker(pgbouncer: Bouncer, tmp_path_factory: Any) -> Iterator[str]:
    """A Celery worker through PgBouncer, consuming a queue of its own (the suite's in-process
    worker consumes the run's default queue); yields the queue's name."""
    queue = f"test{os.environ['TEST_RUN_ID']}-pooled"
    log = tmp_path_factory.mktemp("pooled-worker") / "celery.log"
    command = [
        sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo", "--queues", queue,
        "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "WARNING",
    ]  # fmt: skip
    with open(log, "wb") as output:
        process = subprocess.Popen(
            command,
            env=pooled_env(pgbouncer),
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    yield queue
    _stop(process)
    if process.returncode not in (0, -15):
        print(log.read_text(errors="replace"))
