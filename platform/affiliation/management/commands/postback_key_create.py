from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from affiliation.postbacks import SIGNATURE_HEADER, postback_key_create
from core.tenancy import call_in_tenant
from tenants.selectors import brand_list


class Command(BaseCommand):
    help = (
        "Create a postback signing key for a brand and print its secret, once: the merchant signs "
        f"POST /postback/ with it ({SIGNATURE_HEADER} header, HMAC-SHA256)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--brand", required=True, help="The brand's subdomain.")

    def handle(self, *args: Any, **options: Any) -> None:
        brand = brand_list().filter(subdomain=options["brand"]).first()
        if brand is None:
            raise CommandError(f"There is no brand with the subdomain {options['brand']!r}.")
        key = call_in_tenant(brand, postback_key_create)
        self.stdout.write(f"Postback key {key.prefix}… created for {brand.subdomain}. Its secret:")
        self.stdout.write(key.secret)
        self.stdout.write("Store it now with the merchant's server: it is not shown again.")
