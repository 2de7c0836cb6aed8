"""``manage.py export_schema graphql_schema.schema:schema --path graphql_schema/schema.graphql``:
print the SDL (the same ``print_schema`` output the drift test compares, graphql_schema/sdl.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from strawberry import Schema
from strawberry.printer import print_schema
from strawberry.utils.importer import import_module_symbol


class Command(BaseCommand):
    help = "Export the GraphQL schema as SDL."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("schema", help="The schema, as module:symbol (graphql_schema.schema:schema).")
        parser.add_argument("--path", help="Write the SDL to this file instead of printing it.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            schema = import_module_symbol(options["schema"], default_symbol_name="schema")
        except (ImportError, AttributeError) as error:
            raise CommandError(str(error)) from error
        if not isinstance(schema, Schema):
            raise CommandError(f"{options['schema']} is not a strawberry schema.")
        sdl = print_schema(schema)
        if options["path"]:
            Path(options["path"]).write_text(sdl, encoding="utf-8")
        else:
            self.stdout.write(sdl)
