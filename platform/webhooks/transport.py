"""Sending one signed POST to an integrator's URL, without letting the URL reach inside.

SSRF: a webhook URL is chosen by a brand admin, and the request leaves from our network. So:

- ``https`` only, unless ``WEBHOOKS_ALLOW_HTTP`` (development and tests);
- no target in private, loopback, link-local, shared, multicast, reserved or unspecified
  space (IPv4-mapped IPv6 included), unless ``WEBHOOKS_ALLOW_PRIVATE_TARGETS``;
- checked twice: when the URL is saved (``url_problem``) and at connect time, on the
  addresses the name resolves to *then*. The request is sent to the checked address itself
  (the URL's host becomes the IP; the ``Host`` header and the TLS SNI/certificate check keep
  the original name), so a DNS answer that changes between the check and the connection
  (DNS rebinding) cannot switch the target;
- no redirects followed (a 3xx is a failed attempt), no proxies from the environment;
- connect within ``WEBHOOKS_CONNECT_TIMEOUT_SECONDS`` (5 s), and the whole exchange within
  ``WEBHOOKS_TOTAL_TIMEOUT_SECONDS`` (15 s, one deadline, not per read); the body is read
  only up to its first kilobyte.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, urlsplit, urlunsplit

import httpx
from django.conf import settings

from webhooks.error_codes import WebhookErrorCode

RESPONSE_EXCERPT_BYTES = 1024
USER_AGENT = "AffiliatePlatform-Webhooks/1.0"
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class TargetRefused(Exception):
    def __init__(self, code: WebhookErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _system_resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


# How names become addresses: the system resolver. A module attribute so that the tests can
# play a DNS server whose answer changes between two lookups (rebinding).
resolve: Callable[[str, int], list[str]] = _system_resolve


def address_blocked(address: IPAddress) -> bool:
    """Anything but a globally routable unicast address."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (
        not address.is_global
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def _parsed(url: str) -> SplitResult:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError on a bad port)
    except ValueError as error:
        raise TargetRefused(WebhookErrorCode.INVALID_URL, "This URL is not valid.") from error
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise TargetRefused(WebhookErrorCode.INVALID_URL, "Enter an https:// URL.")
    if parts.username is not None or parts.password is not None:
        raise TargetRefused(WebhookErrorCode.INVALID_URL, "Credentials in the URL are not allowed.")
    if parts.scheme == "http" and not settings.WEBHOOKS_ALLOW_HTTP:
        raise TargetRefused(WebhookErrorCode.INSECURE_URL, "Webhook URLs must use https://.")
    return parts


def _checked_addresses(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` stands for, all of them allowed, or ``TargetRefused``."""
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        if host.rstrip(".").lower() == "localhost" or host.lower().endswith(".localhost"):
            addresses = [ipaddress.ip_address("127.0.0.1")]
        else:
            try:
                addresses = [ipaddress.ip_address(value.split("%", 1)[0]) for value in resolve(host, port)]
            except (OSError, UnicodeError) as error:
                raise TargetRefused(
                    WebhookErrorCode.UNRESOLVABLE_HOST, f"The host {host} could not be resolved."
                ) from error
    if not addresses:
        raise TargetRefused(WebhookErrorCode.UNRESOLVABLE_HOST, f"The host {host} could not be resolved.")
    if not settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS:
        # One private answer refuses the name: a mixed answer is how rebinding is set up.
        for address in addresses:
            if address_blocked(address):
                raise TargetRefused(
                    WebhookErrorCode.BLOCKED_TARGET,
                    "This URL points to a private or reserved network address.",
                )
    return addresses


def _port(parts: SplitResult) -> int:
    return parts.port or (443 if parts.scheme == "https" else 80)


def url_problem(url: str) -> TargetRefused | None:
    """Why ``url`` cannot be a webhook target (checked when it is saved), or None."""
    try:
        parts = _parsed(url)
        assert parts.hostname is not None
        _checked_addresses(parts.hostname, _port(parts))
    except TargetRefused as refused:
        return refused
    return None


@dataclass(frozen=True)
class PostResult:
    status_code: int | None
    body_excerpt: str
    duration_ms: int
    error: str
    target_ip: str | None

    @property
    def is_success(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def post(*, url: str, body: str, headers: dict[str, str]) -> PostResult:
    """POST ``body`` (JSON) to ``url`` with ``headers`` added, as the module says. Never raises
    for what the target does: a refused target, a timeout or a 500 are results."""
    started = time.monotonic()

    def elapsed_ms() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        parts = _parsed(url)
        assert parts.hostname is not None
        port = _port(parts)
        address = _checked_addresses(parts.hostname, port)[0]
    except TargetRefused as refused:
        return PostResult(None, "", elapsed_ms(), f"{refused.code}: {refused.message}", None)

    ip_host = f"[{address}]" if address.version == 6 else str(address)
    target = urlunsplit((parts.scheme, f"{ip_host}:{port}", parts.path or "/", parts.query, ""))
    default_port = port == (443 if parts.scheme == "https" else 80)
    host_header = parts.hostname if default_port else f"{parts.hostname}:{port}"
    if ":" in parts.hostname:  # an IPv6 literal keeps its brackets in Host
        host_header = f"[{parts.hostname}]" if default_port else f"[{parts.hostname}]:{port}"
    total = float(settings.WEBHOOKS_TOTAL_TIMEOUT_SECONDS)
    connect = float(settings.WEBHOOKS_CONNECT_TIMEOUT_SECONDS)
    timeout = httpx.Timeout(total - connect, connect=connect, pool=connect)
    verify: ssl.SSLContext | bool = (
        ssl.create_default_context(cafile=settings.WEBHOOKS_CA_BUNDLE)
        if settings.WEBHOOKS_CA_BUNDLE
        else True
    )
    extensions = {"sni_hostname": parts.hostname} if parts.scheme == "https" else {}
    request_headers = {
        "Host": host_header,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        **headers,
    }
    exchange = _Exchange()
    try:
        # One deadline for the whole exchange (connect, send, response head, body excerpt):
        # httpx's timeouts are per operation, so a receiver dripping its answer byte by byte
        # would hold the worker for as long as it likes. Cancelling the task at the deadline
        # closes the connection.
        asyncio.run(
            asyncio.wait_for(
                exchange.run(
                    target=target,
                    body=body.encode(),
                    headers=request_headers,
                    extensions=extensions,
                    timeout=timeout,
                    verify=verify,
                ),
                timeout=total,
            )
        )
    except TimeoutError:
        if exchange.status_code is None:
            return PostResult(None, "", elapsed_ms(), "TIMEOUT: no response in time", str(address))
        # The status came in time; the body excerpt stops where the deadline found it.
    except httpx.TimeoutException as error:
        return PostResult(None, "", elapsed_ms(), f"TIMEOUT: {type(error).__name__}", str(address))
    except httpx.HTTPError as error:
        return PostResult(None, "", elapsed_ms(), f"CONNECTION_ERROR: {error}"[:500], str(address))
    status_code = exchange.status_code
    assert status_code is not None
    text = bytes(exchange.excerpt[:RESPONSE_EXCERPT_BYTES]).decode("utf-8", errors="replace")
    error_text = ""
    if 300 <= status_code < 400:
        error_text = f"REDIRECT: not followed ({exchange.location})"[:500]
    elif not 200 <= status_code < 300:
        error_text = f"HTTP {status_code}"
    return PostResult(status_code, text, elapsed_ms(), error_text, str(address))


class _Exchange:
    """One request and what came back of it, kept as it arrives (so a deadline that cuts the
    body short still knows the status)."""

    def __init__(self) -> None:
        self.status_code: int | None = None
        self.location = ""
        self.excerpt = bytearray()

    async def run(
        self,
        *,
        target: str,
        body: bytes,
        headers: dict[str, str],
        extensions: dict[str, Any],
        timeout: httpx.Timeout,
        verify: ssl.SSLContext | bool,
    ) -> None:
        async with httpx.AsyncClient(
            follow_redirects=False, timeout=timeout, verify=verify, trust_env=False
        ) as client:
            request = client.build_request(
                "POST", target, content=body, headers=headers, extensions=extensions
            )
            response = await client.send(request, stream=True)
            try:
                self.status_code = response.status_code
                self.location = response.headers.get("location", "")
                async for chunk in response.aiter_bytes():
                    self.excerpt += chunk
                    if len(self.excerpt) >= RESPONSE_EXCERPT_BYTES:
                        break
            finally:
                await response.aclose()
