"""Shared helpers for the bench scripts: a scratch database, timing and a plain-text table.

Not a benchmark itself. Every script runs against its own scratch database
(``bench_<script>_<pid>``) on the server DATABASE_URL points at, so the dev database's
real brands are never touched; the scratch database is dropped at the end, even on failure.
"""

from __future__ import annotations

import io
import math
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
# platform/ is a source root (see README): its packages import as `config`, `core`, `tracking`.
# It goes first, ahead of bench/ (the script's folder): bench/analytics.py must not shadow the
# analytics app (the venv's .pth lists platform/ last, so "already on the path" is not enough).
for _path in (str(ROOT), str(ROOT / "platform")):
    if _path in sys.path:
        sys.path.remove(_path)
    sys.path.insert(0, _path)


def _maintenance_connect(settings_entry: dict[str, Any]) -> Any:
    """An autocommit psycopg connection to the server's ``postgres`` maintenance database."""
    import psycopg

    params = {
        "host": settings_entry["HOST"],
        "port": settings_entry["PORT"],
        "user": settings_entry["USER"],
        "password": settings_entry["PASSWORD"],
        **settings_entry["OPTIONS"],
    }
    return psycopg.connect(
        dbname="postgres", autocommit=True, **{key: value for key, value in params.items() if value}
    )


_OWNER_PID = os.getpid()


def _raise_on_sigterm(signum: int, frame: Any) -> None:
    """SIGTERM unwinds the script (so the scratch database is dropped); forked workers just exit."""
    if os.getpid() != _OWNER_PID:
        os._exit(128 + signum)
    raise SystemExit(128 + signum)


@contextmanager
def scratch_database(label: str) -> Iterator[str]:
    """Create ``bench_<label>_<pid>``, point Django at it, set Django up; drop it on exit.

    Also migrates the public schema and creates the public tenant and the template schema
    (``migrate_schemas --shared`` then ``platform_init``), as ``make run`` does.
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    from psycopg import sql

    from config.env import database_settings, database_url

    url = database_url()
    name = f"bench_{label}_{os.getpid()}"
    entry = database_settings(url)
    with _maintenance_connect(entry) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    # Children (e.g. a subprocess executor) read DATABASE_URL too, so rewrite it, not only settings.
    os.environ["DATABASE_URL"] = urlparse(url)._replace(path="/" + name).geturl()
    signal.signal(signal.SIGTERM, _raise_on_sigterm)
    try:
        import django
        from django.conf import settings

        settings.DEBUG = False  # as in production: no query log kept in memory
        django.setup()
        assert settings.DATABASES["default"]["NAME"] == name, settings.DATABASES["default"]["NAME"]
        from django.core.management import call_command

        call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
        call_command("platform_init", verbosity=0, stdout=io.StringIO())
        yield name
    finally:
        from django.db import connections

        connections.close_all()
        with _maintenance_connect(entry) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def brand_by_clone(subdomain: str) -> None:
    """The product path: tenants.services.brand_create (a clone of ``tenant_template``)."""
    from tenants.services import brand_create

    brand_create(
        actor=None, name=subdomain, subdomain=subdomain, theme="default", currency="USD", language="en"
    )


def brand_by_migrations(subdomain: str) -> None:
    """What django-tenants does without a template: Tenant row, CREATE SCHEMA, every migration."""
    from django.core.management import call_command
    from django.db import connection
    from django_tenants.utils import get_public_schema_name, schema_context

    from tenants.models import Domain, Tenant, TenantKind
    from tenants.services import domain_for_subdomain, schema_name_for_subdomain

    schema_name = schema_name_for_subdomain(subdomain)
    with schema_context(get_public_schema_name()):
        tenant = Tenant.objects.create(
            kind=TenantKind.BRAND, schema_name=schema_name, name=subdomain, subdomain=subdomain
        )
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE SCHEMA "{schema_name}"')
        call_command("migrate_schemas", tenant=True, schema_name=schema_name, interactive=False, verbosity=0)
        Domain.objects.create(domain=domain_for_subdomain(subdomain), tenant=tenant, is_primary=True)
    connection.set_schema_to_public()


def timed_ms(function: Callable[[], object]) -> float:
    """Wall-clock milliseconds one call of ``function`` takes."""
    started = time.perf_counter()
    function()
    return (time.perf_counter() - started) * 1000


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (p90 of 5 values is the largest)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Columns right-aligned except the first; floats with one decimal."""
    cells = [[f"{cell:.1f}" if isinstance(cell, float) else str(cell) for cell in row] for row in rows]
    widths = [max(len(str(header)), *(len(row[i]) for row in cells)) for i, header in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        first, *rest = values
        return "  ".join(
            [first.ljust(widths[0]), *(v.rjust(w) for v, w in zip(rest, widths[1:], strict=True))]
        )

    print(line(list(headers)))
    print(line(["-" * width for width in widths]))
    for row in cells:
        print(line(row))
    sys.stdout.flush()
