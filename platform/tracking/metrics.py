"""Metrics of the click path (see ``core.metrics`` for the endpoint and the conventions).

- ``afp_click_lane_responses_total{status}``: answers of the lane (302 redirects, 404 unknown
  links, 403 blocked IPs, 405, 503), counted in the lane's process; one increment of a
  pre-bound child per request (about a microsecond, against the lane's ~60 µs).
- ``afp_click_drain_batches_total`` and ``afp_click_drain_clicks_total{result}`` (inserted,
  unique, duplicate, bot, dropped), counted in the drain's process.
- Read from Redis at scrape time by the web process (``ClickStreamCollector``): the stream's
  length, its pending entries (read by a drain, not yet acknowledged), the drain lag (age of
  the oldest entry: the stream holds only clicks not yet in Postgres, so a stopped drain shows
  as a growing lag) and the dead letters.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import redis
from django.conf import settings
from prometheus_client import Counter
from prometheus_client.core import GaugeMetricFamily

from core.metrics import CachedCollector
from tracking import keys

LANE_RESPONSES = Counter(
    "afp_click_lane_responses", "Answers of the click lane (/r/<code>), by status.", ["status"]
)
DRAIN_BATCHES = Counter("afp_click_drain_batches", "Batches the click drain wrote to Postgres.")
DRAIN_CLICKS = Counter(
    "afp_click_drain_clicks",
    "Clicks handled by the drain, by result (inserted, unique, duplicate, bot, dropped).",
    ["result"],
)
_LANE_STATUSES = {status: LANE_RESPONSES.labels(str(status)) for status in (302, 403, 404, 405, 503)}
_LANE_OTHER = LANE_RESPONSES.labels("other")

Send = Callable[[dict[str, Any]], Awaitable[None]]


def lane_send_counted(send: Send) -> Send:
    """``send`` that counts the response's status as it starts."""

    async def counted(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            _LANE_STATUSES.get(message["status"], _LANE_OTHER).inc()
        await send(message)

    return counted


def drain_batch_count(*, inserted: int, unique: int, duplicates: int, bots: int, dropped: int) -> None:
    DRAIN_BATCHES.inc()
    for result, count in (
        ("inserted", inserted),
        ("unique", unique),
        ("duplicate", duplicates),
        ("bot", bots),
        ("dropped", dropped),
    ):
        if count:
            DRAIN_CLICKS.labels(result).inc(count)


class ClickStreamCollector(CachedCollector):
    name = "click_stream"

    def read(self) -> list[Any]:
        timeout = float(getattr(settings, "HEALTH_CHECK_TIMEOUT_SECONDS", 2.0))
        client = redis.Redis.from_url(
            settings.TRACKING_REDIS_URL,
            decode_responses=True,
            socket_connect_timeout=timeout,
            socket_timeout=timeout,
        )
        stream = keys.click_stream_key()
        try:
            pipe = client.pipeline(transaction=False)
            pipe.xlen(stream)
            pipe.xrange(stream, count=1)
            pipe.xlen(keys.dead_letter_stream_key())
            length, oldest, dead = pipe.execute()
            try:
                pending = int(client.xpending(stream, keys.DRAIN_GROUP)["pending"])
            except redis.ResponseError:  # no stream or no group yet: nothing read
                pending = 0
        finally:
            client.close()
        lag = 0.0
        if oldest:
            oldest_ms = int(str(oldest[0][0]).partition("-")[0])
            lag = max(0.0, time.time() - oldest_ms / 1000)
        families = []
        for name, help_text, value in (
            ("afp_click_stream_length", "Clicks in the Redis stream (not yet in Postgres).", length),
            ("afp_click_stream_pending", "Clicks read by a drain and not yet acknowledged.", pending),
            (
                "afp_click_drain_lag_seconds",
                "Age of the oldest click not yet in Postgres (0 when the stream is empty).",
                lag,
            ),
            ("afp_click_dead_letters", "Clicks the drain could not write, kept for a human.", dead),
        ):
            family = GaugeMetricFamily(name, help_text)
            family.add_metric([], float(value))
            families.append(family)
        return families
