"""Who an affiliate is for invoicing: a registry the KYC app fills.

Statements sit above KYC in the layers but must not depend on how KYC stores a profile: the
KYC app registers a provider (``register(kyc.selectors.billing_identity)``) and self-billing
asks ``billing_identity(user)``. No provider, or a provider answering ``None``: the affiliate
has no known business identity and gets no self-billing invoice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class BillingIdentity:
    """An affiliate's identity as printed on a self-billing invoice. Moroccan identifiers:
    ``ice`` (Identifiant Commun de l'Entreprise), ``if_number`` (Identifiant Fiscal), ``rc``
    (Registre de Commerce), ``tva`` (VAT number)."""

    name: str
    is_business: bool
    vat_registered: bool
    address_lines: tuple[str, ...] = ()
    country: str = ""
    ice: str = ""
    if_number: str = ""
    rc: str = ""
    tva: str = ""

    def as_dict(self) -> dict[str, Any]:
        values = asdict(self)
        values["address_lines"] = list(self.address_lines)
        return values


Provider = Callable[[Any], BillingIdentity | None]
_providers: list[Provider] = []


def register(provider: Provider) -> Provider:
    """Add a provider (usable as a decorator); registering the same one twice is a no-op."""
    if provider not in _providers:
        _providers.append(provider)
    return provider


def unregister(provider: Provider) -> None:
    if provider in _providers:
        _providers.remove(provider)


def billing_identity(user: Any) -> BillingIdentity | None:
    """The first identity a provider knows for ``user`` (providers in registration order)."""
    for provider in _providers:
        identity = provider(user)
        if identity is not None:
            return identity
    return None


def kyc_billing_identity(user: Any) -> BillingIdentity | None:
    """The provider registered at start-up: the user's approved KYC profile (kyc.selectors)."""
    from kyc.selectors import billing_identity as kyc_identity

    found = kyc_identity(user)
    if found is None:
        return None
    return BillingIdentity(
        name=found.name,
        is_business=found.is_business,
        vat_registered=found.vat_registered,
        address_lines=tuple(line.strip() for line in found.address.splitlines() if line.strip()),
        country=found.country,
        ice=found.ice,
        if_number=found.tax_id,
        rc=found.rc,
        tva=found.vat_number,
    )
