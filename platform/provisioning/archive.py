"""One brand in one file: export its schema, its files and its public rows; import them as a
new brand on another subdomain (a restore, a move between platforms, a copy to debug).

The archive is a tar file:

- ``manifest.json``: format, when and from which schema, the schema's migration history, the
  brand's settings (the ``Tenant`` row), its domains, IP blocks, custom-domain claims and the
  Stripe objects routed to it, and per table its columns, row count and SHA-256;
- ``tables/<table>.copy``: each table in PostgreSQL's binary COPY format;
- ``files/<name>``: the brand's stored files (invoices, images, exports), under their names
  relative to the brand's storage prefix.

Export reads every table in one REPEATABLE READ transaction, so the archive is one consistent
snapshot. Import refuses an archive whose migration history differs from this platform's
template (export and import with the same release; migrate afterwards). It creates the brand
like ``brand_create`` (a clone of the template), empties the clone, copies every table back in
one transaction (Django's foreign keys are DEFERRABLE INITIALLY DEFERRED: checked at commit),
moves the identity sequences past the imported ids, stores the files under the new brand's
prefix and publishes its click routes. Nothing in a brand's rows names its schema, so the
rows need no rewriting. Custom domains come back as pending claims with a new token: the
admin re-verifies them (a restore must not take a host another brand verified meanwhile).
Clicks still in the Redis stream when the export ran are not in it: drain first
(``tracking_drain --once``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context, tenant_context
from psycopg import sql

from affiliation.models import Program
from tenants.custom_domains import new_claim_token
from tenants.models import CustomDomain, CustomDomainStatus, Domain, IpBlock, StripeObjectRoute, Tenant
from tenants.services import brand_create
from tracking.routing import brand_routes_publish, program_routes_publish

FORMAT = "brand-archive/1"
# Tenant fields that belong to the platform, not to the brand's settings.
NOT_COPIED = {"id", "schema_name", "subdomain", "kind", "created_at", "updated_at", "provisioning_ms"}

TABLES_SQL = """
SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %s AND c.relkind IN ('r', 'p') AND NOT c.relispartition
ORDER BY c.relname
"""
COLUMNS_SQL = """
SELECT a.attname FROM pg_attribute a
WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
ORDER BY a.attnum
"""
IDENTITY_SQL = """
SELECT c.relname, a.attname FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %s AND a.attidentity <> '' AND NOT a.attisdropped
"""


class ArchiveError(Exception):
    """The archive cannot be imported here; nothing was created."""


@dataclass
class ImportReport:
    tenant: Tenant
    tables: int = 0
    rows: int = 0
    files: int = 0
    custom_domains: list[str] = field(default_factory=list)
    stripe_routes_skipped: list[str] = field(default_factory=list)


def _table(schema: str, table: str) -> sql.Identifier:
    return sql.Identifier(schema, table)


def _column_list(columns: list[str]) -> sql.Composed:
    return sql.SQL(", ").join(sql.Identifier(c) for c in columns)


def _tables(cursor: Any, schema: str) -> list[str]:
    cursor.execute(TABLES_SQL, [schema])
    return [row[0] for row in cursor.fetchall()]


def _columns(cursor: Any, schema: str, table: str) -> list[str]:
    cursor.execute(COLUMNS_SQL, [_table(schema, table).as_string(None)])
    return [row[0] for row in cursor.fetchall()]


def _migrations(cursor: Any, schema: str) -> list[list[str]]:
    statement = sql.SQL("SELECT app, name FROM {} ORDER BY app, name")
    cursor.execute(statement.format(_table(schema, "django_migrations")))
    return [[app, name] for app, name in cursor.fetchall()]


def _storage_names(directory: str = "") -> Iterator[str]:
    """Every file under the current brand's storage prefix, as names relative to it."""
    try:
        folders, files = default_storage.listdir(directory)
    except FileNotFoundError:
        return
    for name in files:
        yield f"{directory}/{name}" if directory else name
    for folder in folders:
        yield from _storage_names(f"{directory}/{folder}" if directory else folder)


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(timezone.now().timestamp())
    archive.addfile(info, io.BytesIO(data))


def _public_rows(tenant: Tenant) -> dict[str, Any]:
    with schema_context(get_public_schema_name()):
        settings_row = {
            f.name: f.value_from_object(tenant)
            for f in Tenant._meta.concrete_fields
            if f.name not in NOT_COPIED
        }
        return {
            "brand": json.loads(json.dumps(settings_row, default=str)),
            "domains": list(Domain.objects.filter(tenant=tenant).values("domain", "is_primary")),
            "ip_blocks": list(IpBlock.objects.filter(tenant=tenant).values("network", "note")),
            "custom_domains": list(
                CustomDomain.objects.filter(tenant=tenant).values_list("domain", flat=True)
            ),
            "stripe_routes": list(
                StripeObjectRoute.objects.filter(tenant=tenant).values("stripe_id", "object_type")
            ),
        }


def _snapshot_connection() -> Any:
    """A connection of its own in one REPEATABLE READ, read-only transaction: every table of
    the archive is read from the same snapshot while the brand keeps working."""
    import psycopg

    raw = connection.get_new_connection(connection.get_connection_params())
    raw.autocommit = False
    raw.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    raw.read_only = True
    return raw


def brand_export(tenant: Tenant, path: Path) -> dict[str, Any]:
    """Write ``tenant`` to the tar file ``path``; returns the manifest. Reads committed rows."""
    schema = tenant.schema_name
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "exported_at": timezone.now().isoformat(),
        "schema": schema,
        **_public_rows(tenant),
        "tables": {},
        "files": {},
    }
    raw = _snapshot_connection()
    try:
        with tarfile.open(path, "w") as archive, raw.cursor() as cursor:
            manifest["migrations"] = _migrations(cursor, schema)
            for table in _tables(cursor, schema):
                manifest["tables"][table] = _export_table(archive, cursor, schema, table)
            raw.rollback()
            with tenant_context(tenant):
                for name in sorted(_storage_names()):
                    with default_storage.open(name, "rb") as handle:
                        data = handle.read()
                    manifest["files"][name] = hashlib.sha256(data).hexdigest()
                    _add_bytes(archive, f"files/{name}", data)
            _add_bytes(archive, "manifest.json", json.dumps(manifest, indent=1, sort_keys=True).encode())
    finally:
        raw.close()
    return manifest


def _export_table(archive: tarfile.TarFile, cursor: Any, schema: str, table: str) -> dict[str, Any]:
    columns = _columns(cursor, schema, table)
    digest = hashlib.sha256()
    rows = 0
    with tempfile.TemporaryFile() as buffer:
        statement = sql.SQL("COPY (SELECT {} FROM {}) TO STDOUT (FORMAT binary)").format(
            _column_list(columns), _table(schema, table)
        )
        with cursor.copy(statement) as copy:
            for chunk in copy:
                buffer.write(chunk)
                digest.update(chunk)
        cursor.execute(sql.SQL("SELECT count(*) FROM {}").format(_table(schema, table)))
        rows = cursor.fetchone()[0]
        info = tarfile.TarInfo(f"tables/{table}.copy")
        info.size = buffer.tell()
        info.mtime = int(timezone.now().timestamp())
        buffer.seek(0)
        archive.addfile(info, buffer)
    return {"columns": columns, "rows": rows, "sha256": digest.hexdigest()}


def _read_manifest(archive: tarfile.TarFile) -> dict[str, Any]:
    try:
        member = archive.extractfile("manifest.json")
    except KeyError as error:
        raise ArchiveError("Not a brand archive: manifest.json is missing.") from error
    if member is None:
        raise ArchiveError("Not a brand archive: manifest.json is not a file.")
    manifest: dict[str, Any] = json.loads(member.read())
    if manifest.get("format") != FORMAT:
        found = manifest.get("format")
        raise ArchiveError(f"Unknown archive format {found!r} (this platform reads {FORMAT}).")
    return manifest


def _member(archive: tarfile.TarFile, name: str) -> bytes:
    try:
        handle = archive.extractfile(name)
    except KeyError as error:
        raise ArchiveError(f"The archive lacks {name}.") from error
    if handle is None:
        raise ArchiveError(f"{name} is not a file.")
    return handle.read()


def _check_compatible(manifest: dict[str, Any]) -> None:
    with connection.cursor() as wrapper:
        here = _migrations(wrapper.cursor, settings.TENANT_BASE_SCHEMA)
    theirs = manifest.get("migrations", [])
    if sorted(map(tuple, theirs)) != sorted(map(tuple, here)):
        missing = sorted({tuple(m) for m in here} - {tuple(m) for m in theirs})
        extra = sorted({tuple(m) for m in theirs} - {tuple(m) for m in here})
        raise ArchiveError(
            "The archive was made at another migration state: "
            f"{len(missing)} migration(s) it lacks (first: {missing[:3]}), {len(extra)} this "
            f"platform lacks (first: {extra[:3]}). Export and import with the same release."
        )


def _load_tables(archive: tarfile.TarFile, manifest: dict[str, Any], schema: str) -> tuple[int, int]:
    tables: dict[str, Any] = manifest["tables"]
    with connection.cursor() as wrapper:
        cursor = wrapper.cursor  # psycopg's own: COPY and composed statements
        present = set(_tables(cursor, schema))
        if present != set(tables):
            raise ArchiveError(
                f"Tables differ: archive only {sorted(set(tables) - present)[:5]}, "
                f"here only {sorted(present - set(tables))[:5]}."
            )
        # The clone's own rows (migration history, content types) are replaced by the archive's.
        cursor.execute(
            sql.SQL("TRUNCATE {}").format(sql.SQL(", ").join(_table(schema, t) for t in sorted(present)))
        )
        rows = 0
        for table, meta in sorted(tables.items()):
            columns = _columns(cursor, schema, table)
            if columns != meta["columns"]:
                raise ArchiveError(f"The columns of {table} differ from this platform's.")
            data = _member(archive, f"tables/{table}.copy")
            if hashlib.sha256(data).hexdigest() != meta["sha256"]:
                raise ArchiveError(f"{table}: the data does not match its checksum (damaged archive).")
            statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT binary)").format(
                _table(schema, table), _column_list(columns)
            )
            with cursor.copy(statement) as copy:
                copy.write(data)
            rows += int(meta["rows"])
        cursor.execute(IDENTITY_SQL, [schema])
        for table, column in cursor.fetchall():
            cursor.execute(
                sql.SQL(
                    "SELECT setval(pg_get_serial_sequence(%s, %s), COALESCE(max({column}), 1), "
                    "max({column}) IS NOT NULL) FROM {table}"
                ).format(column=sql.Identifier(column), table=_table(schema, table)),
                [_table(schema, table).as_string(None), column],
            )
    return len(tables), rows


def _drop(tenant: Tenant) -> None:
    with schema_context(get_public_schema_name()):
        with connection.cursor() as cursor:
            cursor.cursor.execute(
                sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(tenant.schema_name))
            )
        Tenant.objects.filter(pk=tenant.pk).delete()


def brand_import(path: Path, *, subdomain: str, name: str = "") -> ImportReport:
    """Create a brand on ``subdomain`` holding what ``path`` holds. Raises ``ArchiveError`` (or a
    ValidationError for a bad or taken subdomain) and leaves nothing behind when it fails."""
    with tarfile.open(path, "r") as archive:
        manifest = _read_manifest(archive)
        with schema_context(get_public_schema_name()):
            _check_compatible(manifest)
        brand = manifest["brand"]
        tenant = brand_create(
            actor=None,
            name=name or brand["name"],
            subdomain=subdomain,
            theme=brand["theme"],
            currency=brand["currency"],
            language=brand["language"],
        )
        report = ImportReport(tenant=tenant)
        try:
            with transaction.atomic():
                report.tables, report.rows = _load_tables(archive, manifest, tenant.schema_name)
                _restore_public_rows(tenant, manifest, brand, name, report)
            with tenant_context(tenant):
                for file_name, digest in sorted(manifest["files"].items()):
                    data = _member(archive, f"files/{file_name}")
                    if hashlib.sha256(data).hexdigest() != digest:
                        raise ArchiveError(f"File {file_name}: checksum mismatch (damaged archive).")
                    stored = default_storage.save(file_name, ContentFile(data))
                    if stored != file_name:
                        raise ArchiveError(f"File {file_name} was stored as {stored}.")
                    report.files += 1
        except BaseException:
            _drop(tenant)
            raise
    _publish_routes(tenant)
    return report


def _restore_public_rows(
    tenant: Tenant, manifest: dict[str, Any], brand: dict[str, Any], name: str, report: ImportReport
) -> None:
    with schema_context(get_public_schema_name()):
        fields = {f.name: f for f in Tenant._meta.concrete_fields}
        for key, value in brand.items():
            if key in fields and key not in NOT_COPIED and key != "name":
                setattr(tenant, fields[key].attname, fields[key].to_python(value))
        tenant.name = name or brand["name"]
        tenant.save()
        IpBlock.objects.bulk_create(
            IpBlock(tenant=tenant, network=row["network"], note=row["note"])
            for row in manifest.get("ip_blocks", [])
        )
        for row in manifest.get("stripe_routes", []):
            if StripeObjectRoute.objects.filter(stripe_id=row["stripe_id"]).exists():
                report.stripe_routes_skipped.append(row["stripe_id"])
            else:
                StripeObjectRoute.objects.create(tenant=tenant, **row)
        for domain in manifest.get("custom_domains", []):
            CustomDomain.objects.create(
                tenant=tenant,
                domain=domain,
                token=new_claim_token(),
                status=CustomDomainStatus.PENDING,
                expires_at=timezone.now() + dt.timedelta(days=settings.CUSTOM_DOMAIN_PENDING_DAYS),
                created_by_email="brand_import",
            )
            report.custom_domains.append(domain)


def _publish_routes(tenant: Tenant) -> None:
    """The click lane learns the new host and every link of the brand."""
    brand_routes_publish(tenant)
    with tenant_context(tenant):
        for program in Program.objects.all():
            program_routes_publish(program, schema_name=tenant.schema_name)
