from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from tenants.services import public_tenant_ensure, template_tenant_ensure


class Command(BaseCommand):
    help = "Create the public tenant (root domain) and the migrated template schema. Idempotent."

    def handle(self, *args: Any, **options: Any) -> None:
        public_tenant_ensure()
        template_tenant_ensure(verbosity=max(0, options["verbosity"] - 1))
        self.stdout.write("public tenant and template schema ready")
