from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenants.services import brand_create


class Command(BaseCommand):
    help = "Provision a brand on <subdomain>.<ROOT_DOMAIN>, cloned from the template schema."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True)
        parser.add_argument("--subdomain", required=True)
        parser.add_argument("--theme", default="default")
        parser.add_argument("--currency", default="USD")
        parser.add_argument("--language", default="en", choices=["en", "fr"])

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            tenant = brand_create(
                actor=None,
                name=options["name"],
                subdomain=options["subdomain"],
                theme=options["theme"],
                currency=options["currency"],
                language=options["language"],
            )
        except ValidationError as error:
            lines = [f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items()]
            raise CommandError("\n".join(lines)) from error
        domain = tenant.domains.get(is_primary=True).domain
        self.stdout.write(f"created {tenant.name} on {domain} in {tenant.provisioning_ms} ms")
