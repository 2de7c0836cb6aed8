"""The payment providers a brand can take money with, behind one interface
(``payments.providers.base.BasePaymentProvider``, modelled on pretix's): Stripe (card), bank
transfer (manual, verified by a brand admin) and free (nothing to pay).

``provider_for(identifier)`` answers the provider of a payment's ``provider`` column; a new
provider is a subclass registered in ``PROVIDERS`` with a ``PaymentProvider`` choice of its own.
"""

from __future__ import annotations

from payments.providers.bank_transfer import BankTransferProvider
from payments.providers.base import BasePaymentProvider
from payments.providers.free import FreeProvider
from payments.providers.stripe import StripeProvider

PROVIDERS: dict[str, BasePaymentProvider] = {
    provider.identifier: provider for provider in (StripeProvider(), BankTransferProvider(), FreeProvider())
}


def provider_for(identifier: str) -> BasePaymentProvider:
    """The provider named ``identifier`` (KeyError for a name no provider has)."""
    return PROVIDERS[identifier]


__all__ = [
    "PROVIDERS",
    "BankTransferProvider",
    "BasePaymentProvider",
    "FreeProvider",
    "StripeProvider",
    "provider_for",
]
