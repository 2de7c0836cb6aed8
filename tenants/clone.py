"""Cloning the template schema into a new brand's schema, in time independent of how many
brands exist.

django-tenants' ``clone_schema`` SQL function (pg-clone-schema) scans the catalogs per object
and slows down by about 20 ms per existing schema (bench/provision.py). This clone reads the
template's catalog in three indexed queries and replays it as one batch of DDL: tables
(columns, NOT NULL, defaults, identity), every constraint and index under its original name
(later migrations refer to them by name), then the template's rows (migration history,
content types, permissions) and the identity sequences.

It covers what Django migrations create: tables, constraints, indexes and identity columns.
``schema_signature`` describes a schema; a test compares a clone with a migrated schema, so a
migration that adds something else (a view, a trigger, a type) fails that test first.
"""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction

TABLES_SQL = """
SELECT c.relname
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %s AND c.relkind IN ('r', 'p')
ORDER BY c.relname
"""
CONSTRAINTS_SQL = """
SELECT cl.relname, co.conname, co.contype, pg_get_constraintdef(co.oid)
FROM pg_constraint co
JOIN pg_class cl ON cl.oid = co.conrelid
JOIN pg_namespace n ON n.oid = cl.relnamespace
WHERE n.nspname = %s AND co.contype IN ('p', 'u', 'c', 'f', 'x')
ORDER BY CASE co.contype WHEN 'f' THEN 1 ELSE 0 END, cl.relname, co.conname
"""
INDEXES_SQL = """
SELECT i.relname, pg_get_indexdef(x.indexrelid, 0, true)
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class t ON t.oid = x.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = %s
  AND NOT EXISTS (SELECT 1 FROM pg_constraint co WHERE co.conindid = x.indexrelid)
ORDER BY i.relname
"""
IDENTITY_SQL = """
SELECT cl.relname, a.attname
FROM pg_attribute a
JOIN pg_class cl ON cl.oid = a.attrelid
JOIN pg_namespace n ON n.oid = cl.relnamespace
WHERE n.nspname = %s AND a.attidentity <> '' AND NOT a.attisdropped
"""
OTHER_OBJECTS_SQL = """
SELECT c.relkind, count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %s AND c.relkind NOT IN ('r', 'p', 'i', 'S') GROUP BY c.relkind
"""


def _quote(name: str) -> str:
    """A quoted identifier. Every name here comes from the catalog or from a validated
    subdomain (``brand_[a-z0-9_]+``), never from raw input; quoting keeps them exact anyway."""
    return '"' + name.replace('"', '""') + '"'


def _fetch(cursor: Any, sql: str, schema: str) -> list[tuple[Any, ...]]:
    cursor.execute(sql, [schema])
    return list(cursor.fetchall())


def clone_schema(template: str, target: str) -> None:
    """Create schema ``target`` as a copy of ``template`` (structure and rows), in the current
    transaction. The caller checks that ``target`` does not exist."""
    with transaction.atomic(), connection.cursor() as cursor:
        # Definitions print unqualified names for objects on the search path: introspect from
        # the template, replay on the target.
        cursor.execute(f"SET LOCAL search_path TO {_quote(template)}")
        tables = [row[0] for row in _fetch(cursor, TABLES_SQL, template)]
        constraints = _fetch(cursor, CONSTRAINTS_SQL, template)
        indexes = _fetch(cursor, INDEXES_SQL, template)
        identities = _fetch(cursor, IDENTITY_SQL, template)
        source, destination = _quote(template), _quote(target)
        statements = [f"CREATE SCHEMA {destination}", f"SET LOCAL search_path TO {destination}"]
        statements += [
            f"CREATE TABLE {_quote(table)} (LIKE {source}.{_quote(table)} "
            "INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING GENERATED INCLUDING STORAGE INCLUDING COMMENTS)"
            for table in tables
        ]
        statements += [
            f"INSERT INTO {_quote(table)} OVERRIDING SYSTEM VALUE SELECT * FROM {source}.{_quote(table)}"  # noqa: S608
            for table in tables
        ]
        statements += [
            f"ALTER TABLE {_quote(table)} ADD CONSTRAINT {_quote(name)} {definition}"
            for table, name, _kind, definition in constraints
        ]
        statements += [definition for _name, definition in indexes]
        statements += [
            f"SELECT setval(pg_get_serial_sequence('{destination}.{_quote(table)}', '{column}'), "  # noqa: S608
            f"COALESCE((SELECT max({_quote(column)}) FROM {_quote(table)}), 1), "
            f"(SELECT count(*) > 0 FROM {_quote(table)}))"
            for table, column in identities
        ]
        cursor.execute(";\n".join(statements))
        cursor.execute("SET LOCAL search_path TO public")
    # django-tenants caches the search path it last set on this connection: make it set it again.
    connection.set_schema_to_public()  # type: ignore[attr-defined]


def schema_signature(schema: str) -> dict[str, Any]:
    """What a schema is made of, names included: tables with their columns, constraints,
    indexes, and any other kind of object. Two schemas built by the same migrations have
    the same signature."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL search_path TO {_quote(schema)}")
        columns = _fetch(
            cursor,
            """
            SELECT cl.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                   a.attidentity, pg_get_expr(d.adbin, d.adrelid)
            FROM pg_attribute a
            JOIN pg_class cl ON cl.oid = a.attrelid
            JOIN pg_namespace n ON n.oid = cl.relnamespace
            LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
            WHERE n.nspname = %s AND cl.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY cl.relname, a.attnum
            """,
            schema,
        )
        signature = {
            # In column order; attnum itself differs where a migration dropped a column.
            "columns": [
                (*row[:5], str(row[5]).replace(schema, "<schema>") if row[5] else None) for row in columns
            ],
            "constraints": _fetch(cursor, CONSTRAINTS_SQL, schema),
            "indexes": _fetch(cursor, INDEXES_SQL, schema),
            "other_objects": _fetch(cursor, OTHER_OBJECTS_SQL, schema),
        }
        cursor.execute("SET LOCAL search_path TO public")
    connection.set_schema_to_public()  # type: ignore[attr-defined]
    return signature
