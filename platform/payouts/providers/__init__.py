"""Payout providers: how approved withdrawals leave the platform.

One interface (``base.BasePayoutProvider``) for the manual method (a brand admin sends the
money and records the reference), PayPal Payouts (batch API) and Stripe Connect (transfers to
the affiliate's connected account). Providers register themselves here at start-up; payout
runs (``payouts.services.runs``) look them up by ``identifier``, which is also the withdrawal
method they pay (``affiliation.models.WithdrawalMethod``).
"""

from __future__ import annotations

from payouts.providers.base import (
    BasePayoutProvider,
    BatchResult,
    ItemResult,
    ItemStatus,
    PayoutItem,
    PayoutOutcomeUnknownError,
    PayoutProviderError,
)

_PROVIDERS: dict[str, type[BasePayoutProvider]] = {}


def register(provider: type[BasePayoutProvider]) -> type[BasePayoutProvider]:
    """Class decorator: make ``provider`` available under its ``identifier``."""
    _PROVIDERS[provider.identifier] = provider
    return provider


def get(identifier: str) -> BasePayoutProvider:
    try:
        return _PROVIDERS[identifier]()
    except KeyError as error:
        raise PayoutProviderError(f"No payout provider {identifier!r}.") from error


def available() -> list[BasePayoutProvider]:
    return [cls() for cls in _PROVIDERS.values()]


__all__ = [
    "BasePayoutProvider",
    "BatchResult",
    "ItemResult",
    "ItemStatus",
    "PayoutItem",
    "PayoutOutcomeUnknownError",
    "PayoutProviderError",
    "available",
    "get",
    "register",
]
