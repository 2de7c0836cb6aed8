"""``migrate_schemas`` that skips the schemas with nothing to do (settings.GET_EXECUTOR_FUNCTION).

django-tenants runs Django's ``migrate`` in every schema, one after the other (or in a few
forked workers). Even with nothing to apply, each run loads the migration graph state, lists
every table visible on the search path to find ``django_migrations`` (in a database of 1,000
brands, a scan of a catalog of 150,000 tables), and runs the post-migrate handlers: about
340 ms per schema, 6 minutes at 1,000 brands for a release without a migration.

The migration graph on disk names every migration a schema must have recorded. Before handing
the schemas to django-tenants' executor, this one reads each schema's ``django_migrations``
(one small query per schema, on its own table) and keeps only the schemas that lack one: a
release without migrations costs about a millisecond per brand. A run that targets something
(an app label, a migration name, ``--fake``, ``--fake-initial``, ``--prune``, ``--plan``,
``--run-syncdb``) goes to django-tenants untouched.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from functools import cache, lru_cache
from typing import Any

from django.db import connections
from django.db.migrations.loader import MigrationLoader
from django_tenants.migration_executors import get_executor as tenants_get_executor
from django_tenants.utils import get_tenant_database_alias
from psycopg import sql

logger = logging.getLogger(__name__)

# Options that ask for something other than "apply what is missing".
TARGETED = ("app_label", "migration_name", "fake", "fake_initial", "prune", "plan", "run_syncdb")


@lru_cache(maxsize=1)
def _expected() -> frozenset[tuple[str, str]]:
    """Every migration of the graph on disk (no database needed to build it)."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return frozenset(loader.graph.nodes)


def schemas_behind(schemas: Iterable[str], *, database: str | None = None) -> list[str]:
    """The schemas, in order, whose ``django_migrations`` lacks a migration of the graph (or
    that have no such table yet)."""
    expected = _expected()
    connection = connections[database or get_tenant_database_alias()]
    connection.set_schema_to_public()  # type: ignore[attr-defined]
    behind: list[str] = []
    with connection.cursor() as wrapper:
        cursor = wrapper.cursor
        for schema in schemas:
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [f'"{schema}".django_migrations'])
            if not cursor.fetchone()[0]:
                behind.append(schema)
                continue
            cursor.execute(
                sql.SQL("SELECT app, name FROM {}").format(sql.Identifier(schema, "django_migrations"))
            )
            if not expected <= set(cursor.fetchall()):
                behind.append(schema)
    return behind


def get_executor(codename: str | None = None) -> type:
    """django-tenants' executor ``codename``, taught to pass over schemas already migrated."""
    base = tenants_get_executor(codename)
    return _skipping(base)


@cache
def _skipping(base: type) -> type:
    class SkippingExecutor(base):
        def _untargeted(self) -> bool:
            return not any(self.options.get(name) for name in TARGETED)

        def run_migrations(self, tenants: Any = None) -> None:
            schemas = list(tenants or [])
            if self._untargeted() and schemas:
                behind = schemas_behind(schemas, database=self.options.get("database"))
                skipped = len(schemas) - len(behind)
                if skipped and int(self.options.get("verbosity", 1)) >= 1:
                    sys.stdout.write(
                        f"[{self.codename}] {skipped} of {len(schemas)} schemas already have every "
                        "migration: skipped\n"
                    )
                logger.info("migrate_schemas: %d schemas behind, %d up to date", len(behind), skipped)
                schemas = behind
            if schemas:
                super().run_migrations(tenants=schemas)

    SkippingExecutor.__name__ = f"Skipping{base.__name__}"
    SkippingExecutor.__qualname__ = SkippingExecutor.__name__
    return SkippingExecutor
