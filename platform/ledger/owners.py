"""Owners as the ledger sees them: a type and an id, nothing more.

Callers name the owner of an account with plain values (``Owner.affiliate(affiliate.pk)``), so
the ledger needs no model of the apps above it and never loads one. ``BRAND`` names the brand's
own (house) accounts: commissions expense, customer payments, platform fees, revenue.
"""

from __future__ import annotations

from dataclasses import dataclass

from ledger.models import OwnerType


@dataclass(frozen=True)
class Owner:
    """Who an account belongs to. ``id`` is the owner's primary key in its own app, and is
    ``None`` for the brand (``type`` "brand") and only for it."""

    type: OwnerType
    id: int | None = None

    def __post_init__(self) -> None:
        kind = OwnerType(self.type)  # ValueError for an unknown type
        object.__setattr__(self, "type", kind)
        if kind == OwnerType.BRAND:
            if self.id is not None:
                raise ValueError("the brand's accounts have no owner id")
        elif not isinstance(self.id, int) or isinstance(self.id, bool) or self.id <= 0:
            raise ValueError(f"a {kind} owner needs a positive integer id, got {self.id!r}")

    @classmethod
    def affiliate(cls, affiliate_id: int) -> Owner:
        """An affiliate (a membership of a program: ``affiliation.Affiliate``'s primary key)."""
        return cls(OwnerType.AFFILIATE, affiliate_id)

    @classmethod
    def merchant(cls, user_id: int) -> Owner:
        """A merchant (``accounts.User``'s primary key)."""
        return cls(OwnerType.MERCHANT, user_id)

    def __str__(self) -> str:
        return str(self.type) if self.id is None else f"{self.type}:{self.id}"


BRAND = Owner(OwnerType.BRAND)
