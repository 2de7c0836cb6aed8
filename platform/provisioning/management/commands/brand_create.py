from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from provisioning.onboarding import brand_onboard
from tenants.selectors import brand_base_url


class Command(BaseCommand):
    help = (
        "Provision a brand on <subdomain>.<ROOT_DOMAIN>, cloned from the template schema, with a "
        "default program; --admin-email invites its first brand admin (the link is emailed)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True)
        parser.add_argument("--subdomain", required=True)
        parser.add_argument("--theme", default="default")
        parser.add_argument("--currency", default="USD")
        parser.add_argument("--language", default="en", choices=["en", "fr"])
        parser.add_argument("--admin-email", default="", help="The first brand admin, invited by email.")
        parser.add_argument("--admin-name", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            onboarded = brand_onboard(
                actor=None,
                name=options["name"],
                subdomain=options["subdomain"],
                theme=options["theme"],
                currency=options["currency"],
                language=options["language"],
                admin_email=options["admin_email"],
                admin_name=options["admin_name"],
            )
        except ValidationError as error:
            lines = [f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items()]
            raise CommandError("\n".join(lines)) from error
        tenant = onboarded.tenant
        domain = tenant.domains.get(is_primary=True).domain
        self.stdout.write(f"created {tenant.name} on {domain} in {tenant.provisioning_ms} ms")
        if onboarded.invitation is not None:
            self.stdout.write(
                f"invited {onboarded.invitation.email} as brand admin: the link is emailed "
                f"(accept at {brand_base_url(tenant)}/invitation/accept)"
            )
        else:
            self.stdout.write("no brand admin invited (use --admin-email)")
