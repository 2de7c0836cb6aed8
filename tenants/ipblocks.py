"""IP blocks: addresses or networks (CIDR) an operator refuses on one brand's hosts.

* HTTP (Django): ``IpBlockMiddleware`` runs right after the tenant middleware and answers 403
  (JSON for the API, a short HTML page otherwise) before sessions, CSRF or any view.
* The click lane (``tracking.redirect``): a brand's host route carries its blocked networks,
  and a click from one of them is refused with 403 and not recorded (a blocked address is
  refused the whole brand; redirecting it while dropping the click would still hand it the
  merchant's target URL and the attribution cookie).

No database query per request: the brand's networks are cached (Django cache, key per brand)
and the cache is rewritten when an operator adds or removes a block (``ip_blocks_changed``);
the lane's host routes are republished then too (in-process copies live
``CLICK_HOST_CACHE_SECONDS`` at most).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from functools import lru_cache

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django_tenants.utils import get_public_schema_name, schema_context

from core.clientip import Network, client_ip
from tenants.models import IpBlock, Tenant

_CACHE_KEY = "ipblocks:networks"
_FORBIDDEN_PAGE = (
    "<!doctype html><html lang=en><meta charset=utf-8><meta name=robots content=noindex>"
    "<title>Access denied</title><h1>Access denied</h1>"
    "<p>Requests from your network are not accepted here.</p></html>"
)


def normalize_network(value: str) -> str:
    """``203.0.113.7`` → ``203.0.113.7/32``; ``10.1.2.3/8`` → ``10.0.0.0/8``; ValueError if invalid."""
    return str(ipaddress.ip_network(value.strip(), strict=False))


@lru_cache(maxsize=256)
def parse_networks(networks: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(network, strict=False) for network in networks)


def is_blocked(ip: str, networks: Iterable[Network]) -> bool:
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return False
    return any(address.version == network.version and address in network for network in networks)


def _load(schema_name: str) -> tuple[str, ...]:
    with schema_context(get_public_schema_name()):
        return tuple(
            IpBlock.objects.filter(tenant__schema_name=schema_name)
            .order_by("id")
            .values_list("network", flat=True)
        )


def blocked_networks(schema_name: str) -> tuple[str, ...]:
    """The networks blocked on the brand in ``schema_name``: from the cache, else Postgres (then cached)."""
    with schema_context(schema_name):  # the cache key carries the brand's schema
        cached = cache.get(_CACHE_KEY)
    if cached is not None:
        return tuple(cached)
    networks = _load(schema_name)
    with schema_context(schema_name):
        cache.set(_CACHE_KEY, list(networks), timeout=None)
    return networks


def ip_blocks_changed(tenant: Tenant) -> None:
    """After commit of a change to ``tenant``'s blocks: rewrite its cache and (by the
    ``brand.hosts_changed`` event the lane listens to) its lane routes."""
    from tenants.hosts_events import brand_hosts_changed

    networks = _load(tenant.schema_name)
    with schema_context(tenant.schema_name):
        cache.set(_CACHE_KEY, list(networks), timeout=None)
    brand_hosts_changed(tenant)


def forbidden_response(request: HttpRequest) -> HttpResponse:
    wants_json = request.path.startswith(
        ("/graphql", "/csp-report")
    ) or "application/json" in request.META.get("HTTP_ACCEPT", "")
    if wants_json:
        return JsonResponse(
            {
                "errors": [
                    {
                        "message": "Requests from your network are blocked.",
                        "extensions": {"code": "IP_BLOCKED"},
                    }
                ]
            },
            status=403,
        )
    return HttpResponse(_FORBIDDEN_PAGE, status=403, content_type="text/html; charset=utf-8")


class IpBlockMiddleware:
    """403 for a client IP (``core.clientip``) that the current brand blocks."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        tenant = getattr(request, "tenant", None)
        if tenant is not None and tenant.schema_name != get_public_schema_name():
            networks = blocked_networks(tenant.schema_name)
            if networks and is_blocked(client_ip(request), parse_networks(networks)):
                return forbidden_response(request)
        return self.get_response(request)
