from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from tracking.routing import routes_warm


class Command(BaseCommand):
    help = (
        "Write every brand's host and link routes to Redis for the click lane, and drop routes "
        "nothing backs any more. Run at start and after Redis lost its data."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        counts = routes_warm()
        if options["verbosity"] > 0:
            self.stdout.write(
                "click routes: {brands} brands, {hosts} hosts, {links} links, {removed} stale removed".format(
                    **counts
                )
            )
