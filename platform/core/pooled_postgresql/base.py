"""django-tenants' PostgreSQL backend behind PgBouncer's transaction pooling (DATABASE_POOLER=transaction).

django-tenants selects a brand with a session-level ``SET search_path`` on the connection, once
per schema change (``TENANT_LIMIT_SET_CALLS``). Behind a pooler in transaction mode a client owns
a server connection for one transaction only: the ``SET`` lands on one server connection, the
next statement (or transaction) on another whose search path is whatever its last client left
there -- another brand's. Measured in ``tests/pooling``: with the stock backend, brands read each
other's sessions and users within a few interleaved requests.

Here nothing is set on the session. Each transaction carries its own brand:

- **A statement outside a transaction** (autocommit: most reads) carries the schema in the same
  round trip: ``SET LOCAL search_path = "brand_x", "public"; <statement>`` sent as one
  simple-protocol query, which PostgreSQL runs as one implicit transaction, so the ``SET
  LOCAL`` lasts exactly that statement. Django binds parameters on the client (its default
  with psycopg 3), so every ORM statement can travel this way; the cursor then steps past the
  ``SET``'s result, and the caller sees its own statement's rows, row count and status.
- **A transaction** (``atomic``) gets ``SET LOCAL search_path`` when its first cursor is opened
  (one round trip per transaction), and again only if the code switches brand inside it or a
  savepoint rollback undid it. Statements then run bare -- including those of plain psycopg
  cursors opened on the same connection (the click drain's COPY) -- and a statement that sets
  its own search path for the transaction (``tenants.clone``) keeps it.
- ``executemany``, ``copy`` and server-binding cursors cannot carry a second statement: outside a
  transaction they run inside a short one that sets the path first.

Also required by PgBouncer's transaction mode (checked when the connection is created):
no server-side cursors (``DISABLE_SERVER_SIDE_CURSORS``: a ``DECLARE``d cursor lives on one
server connection) and no prepared statements (``prepare_threshold`` None, Django's default
with psycopg 3: PgBouncer 1.18 does not track them). Session state is avoided elsewhere: no
advisory *session* locks (``pg_advisory_xact_lock`` only), no ``LISTEN``, no temporary tables
and no ``SET`` without ``LOCAL`` in the product (``tests/pooling`` greps for them). Django's own
``SET TIME ZONE`` on a new connection is safe: PgBouncer tracks ``TimeZone`` per client.

Statements PostgreSQL refuses in a transaction block (``CREATE INDEX CONCURRENTLY``,
``VACUUM``, ``CREATE DATABASE``) run without a search path: run migrations on a direct
connection (``DATABASE_URL`` without the pooler), as PgBouncer's documentation advises too.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from django.core.exceptions import ImproperlyConfigured
from django.db.backends.postgresql.base import Cursor as DjangoClientCursor
from django.db.backends.postgresql.base import ServerBindingCursor as DjangoServerBindingCursor
from django_tenants.postgresql_backend.base import DatabaseWrapper as TenantDatabaseWrapper
from django_tenants.utils import quote_schema_name
from psycopg import pq, sql

IDLE = pq.TransactionStatus.IDLE
INTRANS = pq.TransactionStatus.INTRANS

# Statements PostgreSQL runs only outside a transaction block (a multi-statement query is one).
_OUTSIDE_TRANSACTIONS = re.compile(
    r"^\s*(?:VACUUM|(?:CREATE|DROP)\s+(?:DATABASE|TABLESPACE)|ALTER\s+SYSTEM)\b|\bCONCURRENTLY\b",
    re.IGNORECASE,
)
_HEAD = 200


@dataclass
class SearchPath:
    """The search path one connection's statements must run with, and what the current
    transaction has been given. Shared by the Django wrapper (which changes brand) and the
    psycopg cursors of its connection (which carry it)."""

    wanted: str = ""  # e.g. '"brand_alpha", "public"'; empty before the wrapper chose a schema
    in_transaction: str | None = None  # what SET LOCAL gave the open transaction, if anything

    @property
    def statement(self) -> str:
        return f"SET LOCAL search_path = {self.wanted}"


# psycopg connection -> its wrapper's SearchPath (cursors reach their connection, not the wrapper).
_search_paths: weakref.WeakKeyDictionary[psycopg.Connection[Any], SearchPath] = weakref.WeakKeyDictionary()


def _needs_path(connection: psycopg.Connection[Any], path: SearchPath | None) -> bool:
    """Whether a statement about to run on ``connection`` must bring its search path."""
    if path is None or not path.wanted:
        return False
    status = connection.pgconn.transaction_status
    if status == IDLE:
        # No transaction open: this statement is one on its own (autocommit) or opens one.
        path.in_transaction = None
        return True
    if status == INTRANS:
        return path.in_transaction != path.wanted
    return False  # failed transaction (only ROLLBACK runs) or a statement in flight


def _prefixed(prefix: str, query: Any, has_params: bool) -> Any:
    """``<prefix>; <query>`` for every kind of query psycopg accepts."""
    if has_params:
        prefix = prefix.replace("%", "%%")
    if isinstance(query, sql.Composable):
        return sql.Composed([sql.SQL(prefix + "; "), query])
    if isinstance(query, bytes):
        return prefix.encode() + b"; " + query
    return f"{prefix}; {query}"


def _head(query: Any) -> str:
    """The start of a statement: where the keywords refused in a transaction block are (a bulk
    INSERT's template can be long)."""
    if isinstance(query, str):
        return query[:_HEAD]
    if isinstance(query, bytes):
        return query[:_HEAD].decode(errors="replace")
    return ""  # a Composable: built by code (callproc), never one of the refused statements


class _PooledCursorMixin:
    """Carries the connection's search path into the transaction each statement runs in."""

    # Whether a statement can carry ``SET LOCAL ...;`` in front of it (simple query protocol).
    can_prefix = False

    connection: psycopg.Connection[Any]

    def _search_path(self) -> SearchPath | None:
        return _search_paths.get(self.connection)

    def set_search_path(self, path: SearchPath) -> None:
        """``SET LOCAL`` the path in the open (or opening) transaction, as a statement of its own."""
        super().execute(path.statement)  # type: ignore[misc]
        path.in_transaction = path.wanted

    def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
        path = self._search_path()
        if (
            path is None
            or not _needs_path(self.connection, path)
            or _OUTSIDE_TRANSACTIONS.search(_head(query))
        ):
            return super().execute(query, params, **kwargs)  # type: ignore[misc]
        if self.can_prefix and not self.connection.pgconn.pipeline_status and not kwargs.get("binary"):
            super().execute(_prefixed(path.statement, query, params is not None), params, **kwargs)  # type: ignore[misc]
            self.nextset()  # type: ignore[attr-defined]  # the caller's statement, not the SET's
            if self.connection.pgconn.transaction_status == INTRANS:
                path.in_transaction = path.wanted
            return self
        with self._path_transaction(path):
            return super().execute(query, params, **kwargs)  # type: ignore[misc]

    def executemany(self, query: Any, params_seq: Iterable[Any], **kwargs: Any) -> None:
        path = self._search_path()
        if path is None or not _needs_path(self.connection, path):
            super().executemany(query, params_seq, **kwargs)  # type: ignore[misc]
            return
        with self._path_transaction(path):
            super().executemany(query, params_seq, **kwargs)  # type: ignore[misc]

    @contextmanager
    def copy(self, statement: Any, params: Any = None, **kwargs: Any) -> Iterator[Any]:
        path = self._search_path()
        if path is None or not _needs_path(self.connection, path):
            with super().copy(statement, params, **kwargs) as copy:  # type: ignore[misc]
                yield copy
            return
        with self._path_transaction(path), super().copy(statement, params, **kwargs) as copy:  # type: ignore[misc]
            yield copy

    @contextmanager
    def _path_transaction(self, path: SearchPath) -> Iterator[None]:
        """The path set by a statement of its own: in the open transaction, or (autocommit) in
        one opened for the statement and committed after it."""
        if self.connection.autocommit and self.connection.pgconn.transaction_status == IDLE:
            with self.connection.transaction():
                self.set_search_path(path)
                yield
            path.in_transaction = None
        else:
            self.set_search_path(path)
            yield


class PooledCursor(_PooledCursorMixin, DjangoClientCursor):
    """Django's default cursor (parameters bound on the client): statements carry their path."""

    can_prefix = True


class PooledServerBindingCursor(_PooledCursorMixin, DjangoServerBindingCursor):
    """``OPTIONS["server_side_binding"]``: the extended protocol takes one statement per query,
    so the path always goes first, on its own."""


class DatabaseWrapper(TenantDatabaseWrapper):
    """django-tenants' wrapper, setting the search path per transaction instead of per session."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # django-tenants' constructor selects the public schema (set_tenant): the path must exist.
        self._search_path = SearchPath()
        super().__init__(*args, **kwargs)
        if not self.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS"):
            raise ImproperlyConfigured(
                "Behind a transaction pooler, DISABLE_SERVER_SIDE_CURSORS must be True "
                "(config.env.database_settings sets it with DATABASE_POOLER=transaction)."
            )
        if self.settings_dict["OPTIONS"].get("prepare_threshold") is not None:
            raise ImproperlyConfigured(
                "Behind a transaction pooler, OPTIONS['prepare_threshold'] must be None."
            )

    def set_tenant(self, tenant: Any, include_public: bool = True) -> None:
        super().set_tenant(tenant, include_public)
        # _get_cursor_search_paths validates every part; quoting keeps them exact.
        self._search_path.wanted = ", ".join(
            quote_schema_name(name) for name in self._get_cursor_search_paths()
        )

    def get_connection_params(self) -> dict[str, Any]:
        params: dict[str, Any] = super().get_connection_params()
        params["cursor_factory"] = (
            PooledServerBindingCursor
            if issubclass(params["cursor_factory"], DjangoServerBindingCursor)
            else PooledCursor
        )
        return params

    def get_new_connection(self, conn_params: dict[str, Any]) -> psycopg.Connection[Any]:
        connection: psycopg.Connection[Any] = super().get_new_connection(conn_params)
        self._search_path.in_transaction = None
        _search_paths[connection] = self._search_path
        return connection

    def _handle_search_path(self, cursor: Any = None) -> None:
        """Called by django-tenants for every cursor Django opens. Nothing is set on the session:
        statements outside a transaction carry their path; a transaction gets it here, once."""
        if not self.schema_name:
            raise ImproperlyConfigured(
                "Database schema not set. Did you forget to call set_schema() or set_tenant()?"
            )
        connection = self.connection
        if connection.autocommit and connection.pgconn.transaction_status == IDLE:
            return  # each statement brings its own (PooledCursor.execute)
        if not _needs_path(connection, self._search_path):
            return
        if isinstance(cursor, _PooledCursorMixin):
            cursor.set_search_path(self._search_path)
            return
        with connection.cursor() as own_cursor:  # a named cursor was asked for: not the one to use
            own_cursor.set_search_path(self._search_path)

    # Whatever ends a transaction (or may undo a SET LOCAL in it) forgets what it was given.
    def _commit(self) -> None:
        self._search_path.in_transaction = None
        super()._commit()

    def _rollback(self) -> None:
        self._search_path.in_transaction = None
        super()._rollback()

    def _set_autocommit(self, autocommit: bool) -> None:
        self._search_path.in_transaction = None
        super()._set_autocommit(autocommit)

    def _savepoint_rollback(self, sid: str) -> None:
        super()._savepoint_rollback(sid)
        self._search_path.in_transaction = None

    def close(self) -> None:
        self._search_path.in_transaction = None
        super().close()
