"""An append-only, double-entry ledger. Every movement of money is one transaction whose
entries sum to zero; an account's balance is the sum of its entries. ``LedgerAccount.balance``
is a cache of that sum kept in the same database transaction, rebuilt and checked by
``manage.py ledger_reconcile``.

The ledger knows who owns an account only as plain values, an ``(owner_type, owner_id)`` pair
(see ``ledger.owners.Owner``): it never loads an affiliate or a user, and imports nothing above
``core``. The apps that own accounts keep their owners from being deleted while the accounts
exist (``ledger.services.ledger_owner_protect``), as a foreign key's ``PROTECT`` did.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import Q

from core.fields import AmountField


class AccountKind(models.TextChoices):
    # An affiliate's money, by stage.
    PENDING = "pending", "Pending (in the hold period)"
    AVAILABLE = "available", "Available"
    RESERVED = "reserved", "Reserved for a withdrawal"
    PAID = "paid", "Paid out"
    # The brand's side of each movement.
    COMMISSION_EXPENSE = "commission_expense", "Commissions (brand)"
    PAYOUTS = "payouts", "Payouts sent (brand)"
    # Money in: what customers paid the brand, split into each merchant's share of a sale and
    # the brand's platform fee (the fee rate of the merchant's plan).
    CUSTOMER_PAYMENTS = "customer_payments", "Customer payments received (brand)"
    PLATFORM_FEES = "platform_fees", "Platform fees earned (brand)"
    MERCHANT_SALES = "merchant_sales", "Sales owed to a merchant"
    SUBSCRIPTION_REVENUE = "subscription_revenue", "Plans and memberships (brand)"


AFFILIATE_KINDS = (AccountKind.PENDING, AccountKind.AVAILABLE, AccountKind.RESERVED, AccountKind.PAID)
BRAND_KINDS = (
    AccountKind.COMMISSION_EXPENSE,
    AccountKind.PAYOUTS,
    AccountKind.CUSTOMER_PAYMENTS,
    AccountKind.PLATFORM_FEES,
    AccountKind.SUBSCRIPTION_REVENUE,
)
MERCHANT_KINDS = (AccountKind.MERCHANT_SALES,)


class OwnerType(models.TextChoices):
    """Who an account belongs to. The brand's own (house) accounts have no owner id."""

    BRAND = "brand", "The brand (house accounts)"
    AFFILIATE = "affiliate", "An affiliate (membership of a program)"
    MERCHANT = "merchant", "A merchant (user)"


#: The account kinds each owner type may hold: a posting to an affiliate's "platform fees" is a bug.
OWNER_KINDS: dict[str, tuple[AccountKind, ...]] = {
    OwnerType.BRAND: BRAND_KINDS,
    OwnerType.AFFILIATE: AFFILIATE_KINDS,
    OwnerType.MERCHANT: MERCHANT_KINDS,
}


class LedgerAccount(models.Model):
    """One balance per owner, kind and currency: an affiliate's, a merchant's or the brand's
    (``owner_type`` "brand", no ``owner_id``)."""

    owner_type = models.CharField(max_length=20, choices=OwnerType.choices)
    owner_id = models.BigIntegerField(null=True, blank=True)
    kind = models.CharField(max_length=20, choices=AccountKind.choices)
    currency = models.CharField(max_length=3)
    balance = AmountField(default=Decimal("0"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner_type", "owner_id", "kind", "currency"],
                condition=Q(owner_id__isnull=False),
                name="ledger_account_unique_owner",
            ),
            models.UniqueConstraint(
                fields=["owner_type", "kind", "currency"],
                condition=Q(owner_id__isnull=True),
                name="ledger_account_unique_house",
            ),
            models.CheckConstraint(
                condition=(Q(owner_type=OwnerType.BRAND) & Q(owner_id__isnull=True))
                | (~Q(owner_type=OwnerType.BRAND) & Q(owner_id__isnull=False)),
                name="ledger_account_house_has_no_owner_id",
            ),
        ]

    def __str__(self) -> str:
        owner = self.owner_type if self.owner_id is None else f"{self.owner_type} {self.owner_id}"
        return f"{owner} {self.kind} {self.currency}"


class LedgerTransaction(models.Model):
    """One movement of money. ``idempotency_key`` makes each business effect happen once."""

    kind = models.CharField(max_length=40)
    idempotency_key = models.CharField(max_length=200, unique=True)
    memo = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.idempotency_key}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise TypeError("ledger transactions are append-only")
        super().save(*args, **kwargs)


class LedgerEntry(models.Model):
    """A signed amount on one account: positive adds to the account's balance."""

    transaction = models.ForeignKey(LedgerTransaction, on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="entries")
    amount = AmountField()
    currency = models.CharField(max_length=3)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="ledger_entry_not_zero")]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} on {self.account_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise TypeError("ledger entries are append-only")
        super().save(*args, **kwargs)
