"""Where the click path keeps its data in Redis, and the shape of a click on its way to Postgres.

One Redis database (settings ``TRACKING_REDIS_URL``, db 3 by default: 0 is the cache, 1 the
channel layer, 2 the Celery broker) holds the routes (host → brand, link code → target) and
the click stream. Keys carry a prefix (``TRACKING_KEY_PREFIX``, by default the cache's
``KEY_PREFIX``) so that a test run, a benchmark and a dev server can share one Redis.
"""

from __future__ import annotations

from django.conf import settings

from core import ids

# Fields of a click, as appended to the stream and to the fallback files. Short names: the
# stream holds every click until the drain has committed it.
FIELD_SCHEMA = "s"  # the brand's schema, written by the server from the host route
FIELD_CLICK_ID = "i"  # UUIDv7, also in the cookie and the target URL
FIELD_TIME_MS = "t"  # server time, milliseconds since the epoch
FIELD_LINK = "l"
FIELD_AFFILIATE = "a"
FIELD_PROGRAM = "p"
FIELD_IP_HASH = "h"  # HMAC-SHA256(SECRET_KEY, schema + IP), 32 hex: the raw IP is never stored
FIELD_USER_AGENT = "u"
FIELD_REFERRER = "r"
FIELD_COUNTRY = "c"
FIELD_SUB_IDS = "q"  # JSON object of sub1..sub5, only when there are any

CLICK_COOKIE = ids.CLICK_COOKIE  # one name, in core: accounts reads it at signup
CLICK_ID_PARAMETER = "afp_click_id"
SUB_ID_KEYS = ("sub1", "sub2", "sub3", "sub4", "sub5")
UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "utm_id")

USER_AGENT_MAX_LENGTH = 512
REFERRER_MAX_LENGTH = 500
SUB_ID_MAX_LENGTH = 255

DRAIN_GROUP = "drain"


def key_prefix() -> str:
    return str(settings.TRACKING_KEY_PREFIX or settings.CACHES["default"].get("KEY_PREFIX") or "afp")


def host_route_key(host: str, prefix: str | None = None) -> str:
    return f"{prefix or key_prefix()}:route:host:{host}"


def link_route_key(schema_name: str, code: str, prefix: str | None = None) -> str:
    return f"{prefix or key_prefix()}:route:link:{schema_name}:{code}"


def click_stream_key(prefix: str | None = None) -> str:
    return f"{prefix or key_prefix()}:clicks"


def dead_letter_stream_key(prefix: str | None = None) -> str:
    """Clicks the drain could not write even alone (kept for a human, never dropped)."""
    return f"{prefix or key_prefix()}:clicks:dead"
