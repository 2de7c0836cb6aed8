"""The exported SDL, committed in graphql_schema/schema.graphql and diffed by a test."""

from __future__ import annotations

from pathlib import Path

from strawberry.printer import print_schema

SDL_PATH = Path(__file__).resolve().parent / "schema.graphql"


def current_sdl() -> str:
    from graphql_schema.schema import schema

    return print_schema(schema) + "\n"
