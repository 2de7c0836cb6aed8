from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from graphql_schema.sdl import SDL_PATH, current_sdl


class Command(BaseCommand):
    help = "Write the GraphQL SDL to graphql_schema/schema.graphql (the frontend generates its types from it)."

    def handle(self, *args: Any, **options: Any) -> None:
        SDL_PATH.write_text(current_sdl())
        self.stdout.write(f"wrote {SDL_PATH}")
