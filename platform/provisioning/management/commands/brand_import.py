from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from provisioning.archive import ArchiveError, brand_import
from tenants.selectors import brand_base_url


class Command(BaseCommand):
    help = (
        "Create a brand on a new subdomain from an archive written by brand_export (same release "
        "of the platform): its tables, files, settings and IP blocks; custom domains come back "
        "as pending claims to verify again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive")
        parser.add_argument("--subdomain", required=True, help="where the brand is served (must be free)")
        parser.add_argument("--name", default="", help="a new name (default: the archived one)")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["archive"])
        if not path.is_file():
            raise CommandError(f"No file {path}.")
        try:
            report = brand_import(path, subdomain=options["subdomain"], name=options["name"])
        except ArchiveError as error:
            raise CommandError(str(error)) from error
        except ValidationError as error:
            lines = [f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items()]
            raise CommandError("\n".join(lines)) from error
        self.stdout.write(
            f"imported {report.tenant.name} on {brand_base_url(report.tenant)}: {report.tables} tables, "
            f"{report.rows} rows, {report.files} files"
        )
        for domain in report.custom_domains:
            self.stdout.write(f"custom domain {domain}: pending, verify it again from the brand's settings")
        for stripe_id in report.stripe_routes_skipped:
            self.stdout.write(f"Stripe object {stripe_id} stays routed to the brand that holds it")
