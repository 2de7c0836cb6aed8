"""Project middleware."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.common import CommonMiddleware as DjangoCommonMiddleware

from core.audit import USER_AGENT_MAX_LENGTH, RequestOrigin, request_origin
from core.clientip import client_ip, resolver_from_settings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CommonMiddleware(DjangoCommonMiddleware):
    """Django's, except that APPEND_SLASH redirects reads only.

    A redirect cannot carry a POST body: Django raises a RuntimeError under DEBUG (a 500 page)
    and answers 301 otherwise, which clients follow with a GET that loses the body. So a write
    to a path that exists only with its slash is a plain 404. The machine endpoints
    (``/graphql``, ``/postback``, ``/a/collect``, ``/stripe/webhook``) take both spellings in
    the URLconfs.
    """

    def should_redirect_with_slash(self, request: HttpRequest) -> bool:
        if request.method not in SAFE_METHODS:
            return False
        return bool(super().should_redirect_with_slash(request))


def _valid_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def http_request_origin(request: HttpRequest) -> RequestOrigin:
    """The client IP (``core.clientip``: forwarding headers only from trusted proxies) and
    user agent of an HTTP request."""
    return RequestOrigin(
        ip=_valid_ip(client_ip(request)),
        user_agent=str(request.META.get("HTTP_USER_AGENT", ""))[:USER_AGENT_MAX_LENGTH],
    )


def websocket_origin(scope: dict[str, Any]) -> RequestOrigin:
    """The same for a websocket's ASGI scope (peer address, forwarding header, user agent)."""
    headers = {
        name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope.get("headers", [])
    }
    client = scope.get("client") or ("", 0)
    header = settings.CLIENT_IP_HEADER
    forwarded = ""
    if header:  # HTTP_X_FORWARDED_FOR -> x-forwarded-for
        name = header[5:] if header.startswith("HTTP_") else header
        forwarded = headers.get(name.lower().replace("_", "-"), "")
    ip = resolver_from_settings().resolve(str(client[0] or ""), forwarded)
    return RequestOrigin(ip=_valid_ip(ip), user_agent=headers.get("user-agent", "")[:USER_AGENT_MAX_LENGTH])


class AuditRequestMiddleware:
    """Makes the request's IP and user agent available to ``core.audit.audit_log`` for the
    duration of the request (a context variable: safe under threads and async)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with request_origin(http_request_origin(request)):
            return self.get_response(request)
