from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from graphql_schema.sdl import SDL_PATH, current_sdl


def test_the_committed_sdl_matches_the_schema():
    """The frontend generates its types from schema.graphql: run `make schema` after an API change."""
    assert SDL_PATH.read_text() == current_sdl(), "graphql_schema/schema.graphql is stale: run `make schema`"


def test_make_schema_writes_the_sdl_the_drift_test_compares(tmp_path):
    """`make schema` runs the project's own export_schema command (strawberry-django, which
    used to provide it, is not a dependency)."""
    path = tmp_path / "schema.graphql"

    call_command("export_schema", "graphql_schema.schema:schema", path=str(path))

    assert path.read_text() == current_sdl()


def test_export_schema_refuses_what_is_not_a_schema():
    with pytest.raises(CommandError):
        call_command("export_schema", "graphql_schema.sdl:SDL_PATH")
