"""The exported SDL, committed in graphql_schema/schema.graphql and diffed by a test.

`make schema` writes it with the ``export_schema`` command (graphql_schema/management), which
prints the same ``print_schema`` output as ``current_sdl``.
"""

from __future__ import annotations

from pathlib import Path

from strawberry.printer import print_schema

SDL_PATH = Path(__file__).resolve().parent / "schema.graphql"


def current_sdl() -> str:
    from graphql_schema.schema import schema

    return print_schema(schema)
