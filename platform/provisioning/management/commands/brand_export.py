from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import get_public_schema_name, schema_context

from provisioning.archive import brand_export
from tenants.models import Tenant, TenantKind


class Command(BaseCommand):
    help = (
        "Write one brand (its schema's tables, its stored files, its settings, domains and routes) "
        "to a tar archive that brand_import reads. Run `tracking_drain --once` first so that "
        "clicks still in the stream are in it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("subdomain", help="the brand to export")
        parser.add_argument("archive", help="the file to write, e.g. nova-2026-12-07.tar")

    def handle(self, *args: Any, **options: Any) -> None:
        with schema_context(get_public_schema_name()):
            tenant = Tenant.objects.filter(kind=TenantKind.BRAND, subdomain=options["subdomain"]).first()
        if tenant is None:
            raise CommandError(f"No brand on the subdomain {options['subdomain']!r}.")
        path = Path(options["archive"])
        manifest = brand_export(tenant, path)
        rows = sum(table["rows"] for table in manifest["tables"].values())
        self.stdout.write(
            f"exported {tenant.name} ({tenant.schema_name}): {len(manifest['tables'])} tables, "
            f"{rows} rows, {len(manifest['files'])} files, {path.stat().st_size} bytes to {path}"
        )
