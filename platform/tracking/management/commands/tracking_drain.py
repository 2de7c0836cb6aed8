from __future__ import annotations

import logging
import signal
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from core.metrics import metrics_server_start
from tracking.ingest import ClickDrain

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Drain the click stream (and the redirect lane's fallback files) into Postgres, forever; "
        "SIGTERM or Ctrl-C finishes the batch in hand and stops."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--consumer", default="", help="consumer name in the group (default: host name)")
        parser.add_argument("--batch-size", type=int, default=0, help="entries per read (default: settings)")
        parser.add_argument("--once", action="store_true", help="drain what is there now, then exit")

    def handle(self, *args: Any, **options: Any) -> None:
        drain = ClickDrain(consumer=options["consumer"] or None, batch_size=options["batch_size"] or None)
        if options["once"]:
            try:
                stats = drain.drain_available()
            finally:
                drain.close()
            self.stdout.write(f"drained: {stats}")
            return
        if settings.METRICS_PORT:  # /metrics of this process (core.metrics), same token
            metrics_server_start(settings.METRICS_PORT)
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        logger.info("click drain %s reading %s", drain.consumer, drain.stream)
        try:
            drain.run(lambda: stopping)
        finally:
            drain.close()
        logger.info("click drain stopped: %s", drain.stats)
