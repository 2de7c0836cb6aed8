"""Error reporting to Sentry, only when ``SENTRY_DSN`` is set, with personal data scrubbed.

Sentry is a third party: what leaves for it must not identify a brand's users. So the SDK
runs with ``send_default_pii=False`` (no user IP, cookies or logged-in user's email from the
integrations), no request bodies (GraphQL bodies carry passwords, emails, tokens), no local
variables in stack frames, and every event, transaction and breadcrumb passes
``scrub_event`` on its way out:

- the request keeps its method, URL path and a few harmless headers (content type, length,
  host, user agent, ``X-Request-ID``); cookies, query strings, bodies, the WSGI/ASGI
  environment and every other header (``Authorization``, ``Cookie``, forwarding headers with
  client addresses, CSRF tokens) are dropped;
- the user keeps its id only (the id is what support needs to find the account);
- any string anywhere in the event (messages, exception values, breadcrumbs, tags, extra)
  has its email addresses and IP addresses replaced;
- keys that name secrets (password, token, secret, authorization, cookie, session, …) are
  filtered, recursively.

The request id (``core.logs``) is set as a tag, so an event leads to its log lines.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Any

REQUEST_HEADERS_KEPT = frozenset({"content-type", "content-length", "host", "user-agent", "x-request-id"})
SECRET_KEY_PARTS = (
    "password",
    "passwd",
    "secret",
    "token",
    "authorization",
    "cookie",
    "session",
    "csrf",
    "api_key",
    "apikey",
    "otp",
    "totp",
    "iban",
    "signature",
)
EMAIL_PLACEHOLDER = "[email]"
IP_PLACEHOLDER = "[ip]"
FILTERED = "[Filtered]"

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# Candidates only: each is checked by ipaddress (a time such as 17:56:57.05 is not an address).
_IP_CANDIDATE = re.compile(r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f.]*|(?:\d{1,3}\.){3}\d{1,3}")


def _ip_replace(match: re.Match[str]) -> str:
    candidate = match.group(0)
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        return candidate
    return IP_PLACEHOLDER


def scrub_text(text: str) -> str:
    return _IP_CANDIDATE.sub(_ip_replace, _EMAIL.sub(EMAIL_PLACEHOLDER, text))


def _is_secret_key(key: Any) -> bool:
    name = str(key).lower().replace("-", "_")
    return any(part in name for part in SECRET_KEY_PARTS)


def _scrub(value: Any, depth: int = 0) -> Any:
    if depth > 20:
        return FILTERED
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {
            key: FILTERED if _is_secret_key(key) else _scrub(item, depth + 1) for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_scrub(item, depth + 1) for item in value]
    return value


def _scrub_request(request: dict[str, Any]) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    if "method" in request:
        kept["method"] = request["method"]
    if "url" in request:
        kept["url"] = scrub_text(str(request["url"]).split("?", 1)[0])
    headers = request.get("headers") or {}
    items = headers.items() if isinstance(headers, dict) else headers
    kept["headers"] = {
        str(name): scrub_text(str(value))
        for name, value in items
        if str(name).lower() in REQUEST_HEADERS_KEPT
    }
    return kept


def scrub_event(event: dict[str, Any], _hint: Any = None) -> dict[str, Any]:
    """``before_send`` / ``before_send_transaction``: see the module docstring."""
    request = event.pop("request", None)
    user = event.pop("user", None)
    event = _scrub(event)
    if isinstance(request, dict):
        event["request"] = _scrub_request(request)
    if isinstance(user, dict) and user.get("id") is not None:
        event["user"] = {"id": str(user["id"])}
    return event


def scrub_breadcrumb(crumb: dict[str, Any], _hint: Any = None) -> dict[str, Any]:
    return dict(_scrub(crumb))


def _tag_request_id(event: dict[str, Any], hint: Any) -> dict[str, Any]:
    from core.logs import current_request_id

    request_id = current_request_id()
    if request_id:
        event.setdefault("tags", {})["request_id"] = request_id
    return scrub_event(event, hint)


def sentry_init(
    *,
    dsn: str,
    environment: str = "production",
    release: str | None = None,
    traces_sample_rate: float = 0.0,
    transport: Any = None,
) -> bool:
    """Start the SDK when ``dsn`` is set; False (and nothing started) otherwise. ``transport``:
    tests pass a local one that captures envelopes instead of sending them."""
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.integrations.logging import LoggingIntegration

    options: dict[str, Any] = {}
    if transport is not None:
        options["transport"] = transport
    before_send: Callable[[dict[str, Any], Any], dict[str, Any]] = _tag_request_id
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        send_default_pii=False,
        max_request_body_size="never",
        include_local_variables=False,
        traces_sample_rate=traces_sample_rate,
        before_send=before_send,  # type: ignore[arg-type]
        before_send_transaction=before_send,  # type: ignore[arg-type]
        before_breadcrumb=scrub_breadcrumb,
        integrations=[
            DjangoIntegration(),
            CeleryIntegration(),
            LoggingIntegration(),
        ],
        **options,
    )
    return True
