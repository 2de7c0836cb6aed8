from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import get_public_schema_name, get_tenant_model, tenant_context

from ledger.selectors import ledger_differences


class Command(BaseCommand):
    help = "Rebuild every brand's balances from the ledger entries and report differences (must be none)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--brand", help="Only this subdomain.")

    def handle(self, *args: Any, **options: Any) -> None:
        # Every tenant but the public one and the (empty) template: the brands. The tenant model
        # comes from django-tenants, so the ledger imports no app above core.
        brands = (
            get_tenant_model()
            .objects.exclude(schema_name__in=[get_public_schema_name(), settings.TENANT_BASE_SCHEMA])
            .order_by("pk")
        )
        if options["brand"]:
            brands = brands.filter(subdomain=options["brand"])
        total = 0
        for brand in brands:
            with tenant_context(brand):
                differences = ledger_differences()
            for difference in differences:
                self.stdout.write(
                    f"{brand.subdomain}: {difference.description}: "
                    f"entries say {difference.expected}, found {difference.found}"
                )
            total += len(differences)
            self.stdout.write(f"{brand.subdomain}: {len(differences)} differences")
        if total:
            raise CommandError(f"{total} differences")
        self.stdout.write("ledger consistent: 0 differences")
