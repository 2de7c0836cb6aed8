from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, Sum

from ledger.models import AFFILIATE_KINDS, AccountKind, LedgerAccount, LedgerEntry, LedgerTransaction
from ledger.owners import Owner


@dataclass(frozen=True)
class Balance:
    currency: str
    pending: Decimal
    available: Decimal
    reserved: Decimal
    paid: Decimal


def owner_balance(*, owner: Owner, currency: str) -> Balance:
    """An earner's balances by stage (pending, available, reserved, paid) in one currency, from
    the cached account balances (one query; zero for accounts not opened yet)."""
    amounts = dict(
        LedgerAccount.objects.filter(
            owner_type=owner.type, owner_id=owner.id, currency=currency, kind__in=AFFILIATE_KINDS
        ).values_list("kind", "balance")
    )
    return Balance(
        currency=currency,
        pending=amounts.get(AccountKind.PENDING, Decimal(0)),
        available=amounts.get(AccountKind.AVAILABLE, Decimal(0)),
        reserved=amounts.get(AccountKind.RESERVED, Decimal(0)),
        paid=amounts.get(AccountKind.PAID, Decimal(0)),
    )


@dataclass(frozen=True)
class Difference:
    description: str
    expected: Decimal
    found: Decimal


def ledger_differences() -> list[Difference]:
    """Every cached balance against the sum of its entries, and every transaction against zero,
    in the current schema. An empty list means the ledger is consistent."""
    differences: list[Difference] = []
    sums = dict(
        LedgerEntry.objects.values("account").annotate(total=Sum("amount")).values_list("account", "total")
    )
    for account in LedgerAccount.objects.order_by("pk"):
        expected = sums.get(account.pk) or Decimal(0)
        if account.balance != expected:
            differences.append(Difference(f"account {account.pk} ({account})", expected, account.balance))
    unbalanced = (
        LedgerTransaction.objects.annotate(total=Sum("entries__amount"))
        .filter(~Q(total=0) | Q(total__isnull=True))
        .values_list("pk", "idempotency_key", "total")
    )
    for pk, key, total in unbalanced:
        differences.append(Difference(f"transaction {pk} ({key})", Decimal(0), total or Decimal(0)))
    return differences
