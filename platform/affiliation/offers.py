"""Who sells an offer. The engine names offers by reference (``product:<id>``, ``membership:<code>``);
the domain that defines a kind of offer registers, at start-up, a resolver from its references to
the merchant selling it and the program paying for it. The engine never imports those domains.

An offer without a resolver, or one its resolver does not know, has no merchant: only brand-wide
callers (brand admins, postback keys, the platform itself) may record sales of it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class OfferOwner:
    merchant_id: int
    program_id: int | None


OfferResolver = Callable[[str], OfferOwner | None]

_resolvers: dict[str, OfferResolver] = {}


def offer_resolver_register(kind: str, resolver: OfferResolver) -> None:
    """``resolver`` answers for references ``<kind>:<rest>``, given ``<rest>``."""
    _resolvers[kind] = resolver


def offer_owner(offer_ref: str) -> OfferOwner | None:
    kind, _, rest = offer_ref.strip().partition(":")
    resolver = _resolvers.get(kind)
    return resolver(rest) if resolver is not None and rest else None
