from __future__ import annotations

import getpass
import os
import sys
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import get_public_schema_name, schema_context

from accounts.models import Role
from accounts.services import user_create


class Command(BaseCommand):
    help = (
        "Create a platform operator (public schema; signs in on the root domain). The password "
        "comes from --password, the OPERATOR_PASSWORD environment variable, or a prompt."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument("--name", default="")
        parser.add_argument("--password", default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        password = options["password"] or os.environ.get("OPERATOR_PASSWORD")
        if not password:
            if not sys.stdin.isatty():
                raise CommandError("Give a password: --password or OPERATOR_PASSWORD.")
            password = getpass.getpass("Password: ")
        try:
            with schema_context(get_public_schema_name()):
                user = user_create(
                    email=options["email"], password=password, role=Role.OPERATOR, full_name=options["name"]
                )
        except ValidationError as error:
            lines = [f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items()]
            raise CommandError("\n".join(lines)) from error
        self.stdout.write(f"created operator {user.email}")
