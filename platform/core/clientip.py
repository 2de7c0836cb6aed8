"""The client's IP address, which a client must not be able to choose.

A forwarding header (``X-Forwarded-For`` by default, ``CLIENT_IP_HEADER``) is believed only
when the peer that sent the request is one of ``TRUSTED_PROXIES`` (addresses or networks).
Its values are then read from the right, the hops appended by the proxies themselves: the
first one that is not a trusted proxy is the client. Whatever a client writes at the left
of the header is never used. Without trusted proxies the peer address is the client.

Used by Django (``client_ip(request)``: login throttling, contact form, page views,
postbacks) and by the click lane (``ClientIpResolver``, built once per process).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """``["10.0.0.0/8", "127.0.0.1"]`` → networks; raises ValueError on a typo (at start-up)."""
    return tuple(ipaddress.ip_network(value.strip(), strict=False) for value in values if value.strip())


class ClientIpResolver:
    def __init__(self, trusted_proxies: Iterable[str]) -> None:
        self.networks = parse_networks(trusted_proxies)

    def is_trusted(self, address: str) -> bool:
        if not self.networks:
            return False
        try:
            ip = ipaddress.ip_address(address.strip())
        except ValueError:
            return False
        return any(ip in network for network in self.networks)

    def resolve(self, peer: str, forwarded: str) -> str:
        """The client of a request from ``peer`` carrying the forwarding header ``forwarded``."""
        if not forwarded or not self.is_trusted(peer):
            return peer
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        for hop in reversed(hops):
            if not self.is_trusted(hop):
                return hop
        return hops[0] if hops else peer  # every hop a proxy of ours: the first one


@lru_cache(maxsize=4)
def _resolver(trusted: tuple[str, ...]) -> ClientIpResolver:
    return ClientIpResolver(trusted)


def resolver_from_settings() -> ClientIpResolver:
    return _resolver(tuple(settings.TRUSTED_PROXIES))


def client_ip(request: HttpRequest) -> str:
    """The client of a Django request (see the module's docstring)."""
    peer = str(request.META.get("REMOTE_ADDR", ""))
    header = settings.CLIENT_IP_HEADER
    forwarded = str(request.META.get(header, "")) if header else ""
    return resolver_from_settings().resolve(peer, forwarded)
