from __future__ import annotations

from graphql_schema.sdl import SDL_PATH, current_sdl


def test_the_committed_sdl_matches_the_schema():
    """The frontend generates its types from schema.graphql: run `make schema` after an API change."""
    assert SDL_PATH.read_text() == current_sdl(), "graphql_schema/schema.graphql is stale: run `make schema`"
