"""Host routing for websockets, which Django's (HTTP-only) tenant middleware never sees."""

from __future__ import annotations

import logging
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlparse

from django.conf import settings
from django.contrib.auth import get_user
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore

from core.clientip import resolver_from_settings
from core.tenancy import run_in_public, run_in_tenant
from tenants.ipblocks import blocked_networks, is_blocked, parse_networks
from tenants.models import Tenant
from tenants.selectors import brand_domains, normalize_host, tenant_for_host

logger = logging.getLogger(__name__)

CLOSE_UNKNOWN_HOST = 4404
CLOSE_FORBIDDEN_ORIGIN = 4403
CLOSE_IP_BLOCKED = 4403


def _header(scope: dict[str, Any], name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return ""


def _host_and_domains(host: str) -> tuple[Tenant | None, list[str]]:
    tenant = tenant_for_host(host)
    return tenant, brand_domains(tenant) if tenant else []


class _SessionRequest:
    """What ``django.contrib.auth.get_user`` needs of a request."""

    def __init__(self, session_key: str | None) -> None:
        self.session = SessionStore(session_key)


def user_for_session_key(session_key: str | None) -> Any:
    if not session_key:
        return AnonymousUser()
    return get_user(_SessionRequest(session_key))  # type: ignore[arg-type]


def origin_allowed(origin: str, domains: list[str]) -> bool:
    """A browser may open a brand's websocket only from the brand's own domains.

    Clients without an Origin header are not browsers (and cannot ride a visitor's cookies),
    so they are let through; they authenticate with a token.
    """
    if not origin:
        return True
    if origin in settings.WEBSOCKET_EXTRA_ORIGINS:
        return True
    hostname = normalize_host(urlparse(origin).netloc)
    return hostname in domains


class TenantWebsocketMiddleware:
    """Puts ``tenant``, ``user`` and ``session_key`` into the websocket scope, or closes the
    socket."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] != "websocket":
            return await self.inner(scope, receive, send)
        host = _header(scope, b"host")
        tenant, domains = await run_in_public(_host_and_domains, host)
        if tenant is None:
            return await self._refuse(scope, receive, send, CLOSE_UNKNOWN_HOST, f"unknown host {host!r}")
        if not origin_allowed(_header(scope, b"origin"), domains):
            return await self._refuse(scope, receive, send, CLOSE_FORBIDDEN_ORIGIN, "origin not allowed")
        if await self._ip_blocked(scope, tenant):
            return await self._refuse(scope, receive, send, CLOSE_IP_BLOCKED, "ip blocked")
        cookies = SimpleCookie(_header(scope, b"cookie"))
        session_cookie = cookies.get(settings.SESSION_COOKIE_NAME)
        session_key = session_cookie.value if session_cookie else None
        user = await run_in_tenant(tenant, user_for_session_key, session_key)
        # The key too: the consumer re-reads the session before each operation (logout ends it).
        return await self.inner(dict(scope, tenant=tenant, user=user, session_key=session_key), receive, send)

    @staticmethod
    async def _ip_blocked(scope: dict[str, Any], tenant: Tenant) -> bool:
        """The brand blocks the client's IP (tenants.ipblocks; cached, no query)."""
        networks = await run_in_public(blocked_networks, tenant.schema_name)
        if not networks:
            return False
        client = scope.get("client")
        peer = str(client[0]) if client else ""
        header = settings.CLIENT_IP_HEADER
        forwarded = (
            _header(scope, header[5:].replace("_", "-").lower().encode())
            if header.startswith("HTTP_")
            else ""
        )
        return is_blocked(resolver_from_settings().resolve(peer, forwarded), parse_networks(networks))

    @staticmethod
    async def _refuse(scope: dict[str, Any], receive: Any, send: Any, code: int, reason: str) -> None:
        """Accept, then close with an application code: a close before accept reaches the
        client as a bare HTTP 403, without the code. The accept echoes the client's first
        subprotocol, without which browsers fail the handshake before reading the code."""
        logger.info("websocket refused (%s): %s", code, reason)
        message = await receive()
        if message["type"] != "websocket.connect":
            return
        subprotocols = scope.get("subprotocols") or []
        accept: dict[str, Any] = {"type": "websocket.accept"}
        if subprotocols:
            accept["subprotocol"] = subprotocols[0]
        await send(accept)
        await send({"type": "websocket.close", "code": code, "reason": reason})
