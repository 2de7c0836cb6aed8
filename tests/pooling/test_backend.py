"""core.pooled_postgresql through a real PgBouncer (transaction mode): what a statement carries,
what callers get back, and the cases that cannot carry a second statement."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from devstack.pgbouncer import Bouncer
from tests.pooling.conftest import backend_connection

A, B = "brand_alpha", "brand_beta"  # the suite's two brands (tests/conftest.py)


@pytest.fixture
def pooled(pgbouncer: Bouncer, django_db_blocker: Any) -> Iterator[Any]:
    """A connection of the pooled backend through PgBouncer, in brand A, with a scratch table
    of the same name in both brands (``pooled_probe``: one row naming its brand)."""
    with django_db_blocker.unblock():
        wrapper = backend_connection(
            pgbouncer.url(settings.DATABASES["default"]["NAME"]), "transaction", "pooled"
        )
        with wrapper.cursor() as cursor:
            for schema in (A, B):
                cursor.execute(
                    f'CREATE TABLE IF NOT EXISTS "{schema}".pooled_probe (name text); '
                    f'TRUNCATE "{schema}".pooled_probe; '
                    f"INSERT INTO \"{schema}\".pooled_probe VALUES ('{schema}')"
                )
        wrapper.set_schema(A)
        yield wrapper
        wrapper.set_schema_to_public()
        with wrapper.cursor() as cursor:
            cursor.execute(f'DROP TABLE "{A}".pooled_probe; DROP TABLE "{B}".pooled_probe')
        wrapper.close()


def _one(wrapper: Any, query: str, params: Any = None) -> Any:
    with wrapper.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchone()[0]


def test_a_statement_outside_a_transaction_gets_its_rows_row_count_and_status(pooled: Any) -> None:
    with pooled.cursor() as cursor:
        cursor.execute("UPDATE pooled_probe SET name = name || %s", ["!"])
        updated = cursor.rowcount
        cursor.execute("INSERT INTO pooled_probe VALUES (%s), (%s) RETURNING name", ["x%", "y"])
        inserted = (cursor.rowcount, cursor.fetchall(), cursor.statusmessage)
        cursor.execute("SELECT count(*) FROM pooled_probe WHERE name LIKE 'x%'")  # a % without parameters
        like = cursor.fetchone()

    assert updated == 1
    assert inserted == (2, [("x%",), ("y",)], "INSERT 0 2")
    assert like == (1,)
    assert _one(pooled, "SELECT string_agg(name, ',' ORDER BY name) FROM pooled_probe") == f"{A}!,x%,y"


def test_executemany_and_copy_outside_a_transaction_run_in_the_brand(pooled: Any) -> None:
    with pooled.cursor() as cursor:
        cursor.executemany("INSERT INTO pooled_probe VALUES (%s)", [["m1"], ["m2"]])
        with cursor.cursor.copy("COPY pooled_probe (name) FROM STDIN") as copy:
            copy.write_row(["c1"])

    assert _one(pooled, "SELECT count(*) FROM pooled_probe") == 4
    pooled.set_schema(B)
    assert _one(pooled, "SELECT count(*) FROM pooled_probe") == 1


def test_a_transaction_follows_a_change_of_brand_and_a_savepoint_rollback(pooled: Any) -> None:
    seen = []
    with _atomic(pooled):
        seen.append(_one(pooled, "SELECT name FROM pooled_probe"))
        pooled.set_schema(B)
        seen.append(_one(pooled, "SELECT name FROM pooled_probe"))
        pooled.set_schema(A)
        savepoint = pooled.savepoint()
        pooled.set_schema(B)
        seen.append(_one(pooled, "SELECT name FROM pooled_probe"))
        pooled.savepoint_rollback(savepoint)  # undoes the SET LOCAL of B: the next cursor sets it again
        seen.append(_one(pooled, "SELECT name FROM pooled_probe"))
        pooled.set_schema(A)
        seen.append(_one(pooled, "SELECT name FROM pooled_probe"))

    assert seen == [A, B, B, B, A]


def test_a_statement_that_sets_the_transactions_search_path_keeps_it(pooled: Any) -> None:
    """tenants.clone introspects the template under its own SET LOCAL search_path."""
    with _atomic(pooled), pooled.cursor() as cursor:
        cursor.execute(f'SET LOCAL search_path TO "{B}"')
        cursor.execute("SELECT name FROM pooled_probe")
        own = cursor.fetchone()[0]
        with pooled.cursor() as another:
            another.execute("SELECT current_schema()")
            still = another.fetchone()[0]

    assert (own, still) == (B, B)
    assert _one(pooled, "SELECT current_schema()") == A  # the next transaction is the brand's again


def test_statements_refused_in_a_transaction_block_run_without_the_prefix(pooled: Any) -> None:
    with pooled.cursor() as cursor:
        cursor.execute(f'CREATE INDEX CONCURRENTLY pooled_probe_name ON "{A}".pooled_probe (name)')
        cursor.execute(f'DROP INDEX CONCURRENTLY "{A}".pooled_probe_name')


def test_server_side_cursors_and_prepared_statements_are_refused_by_configuration(pgbouncer: Bouncer) -> None:
    url = pgbouncer.url(settings.DATABASES["default"]["NAME"])

    with pytest.raises(ImproperlyConfigured, match="DISABLE_SERVER_SIDE_CURSORS"):
        _configured(url, DISABLE_SERVER_SIDE_CURSORS=False)
    with pytest.raises(ImproperlyConfigured, match="prepare_threshold"):
        _configured(url, OPTIONS={"prepare_threshold": 5})


def _configured(url: str, **overrides: Any) -> Any:
    return backend_connection(url, "transaction", "misconfigured", **overrides)


class _atomic:
    """``transaction.atomic`` for a connection outside Django's registry."""

    def __init__(self, wrapper: Any) -> None:
        self.wrapper = wrapper

    def __enter__(self) -> None:
        self.wrapper.set_autocommit(False)

    def __exit__(self, kind: Any, error: Any, traceback: Any) -> None:
        if kind is None:
            self.wrapper.commit()
        else:
            self.wrapper.rollback()
        self.wrapper.set_autocommit(True)


def test_database_pooler_transaction_selects_the_backend_and_what_it_implies(monkeypatch: Any) -> None:
    from config.env import database_pooler, database_settings

    pooled = database_settings("postgresql://app:secret@bouncer:6432/platform", pooler="transaction")
    direct = database_settings("postgresql://app:secret@db:5432/platform")
    monkeypatch.setenv("DATABASE_POOLER", "Transaction")
    chosen = database_pooler()
    monkeypatch.setenv("DATABASE_POOLER", "statement")

    assert (pooled["ENGINE"], pooled["DISABLE_SERVER_SIDE_CURSORS"]) == ("core.pooled_postgresql", True)
    assert pooled["OPTIONS"] == {"prepare_threshold": None}
    assert (pooled["HOST"], pooled["PORT"]) == ("bouncer", "6432")
    assert direct["ENGINE"] == "django_tenants.postgresql_backend"
    assert "DISABLE_SERVER_SIDE_CURSORS" not in direct
    assert chosen == "transaction"
    with pytest.raises(ValueError, match="DATABASE_POOLER"):
        database_pooler()  # statement pooling breaks transactions: refused
