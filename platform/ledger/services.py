"""Posting to the ledger. Every effect has an idempotency key: posting it twice is a no-op.

Entries are never updated or deleted; a correction is a new transaction. Account rows are
updated with ``F()`` increments in primary-key order, so concurrent postings neither lose
an update nor deadlock.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F

from accounts.models import User
from affiliation.models import Affiliate
from ledger.models import AccountKind, LedgerAccount, LedgerEntry, LedgerTransaction


class LedgerError(Exception):
    """A posting that would break the ledger's invariants: a bug, never user input."""


def ledger_account(
    *, affiliate: Affiliate | None, kind: AccountKind, currency: str, merchant: User | None = None
) -> LedgerAccount:
    """The account, created on first use (safe under concurrent first uses)."""
    lookup = {"affiliate": affiliate, "merchant": merchant, "kind": kind, "currency": currency}
    account = LedgerAccount.objects.filter(**lookup).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            return LedgerAccount.objects.create(**lookup)
    except IntegrityError:
        return LedgerAccount.objects.get(**lookup)


def ledger_post(
    *,
    kind: str,
    idempotency_key: str,
    postings: Sequence[tuple[LedgerAccount, Decimal]],
    memo: str = "",
) -> LedgerTransaction | None:
    """Record one balanced transaction; None if this idempotency key was already posted."""
    if not postings:
        raise LedgerError("a transaction needs entries")
    currencies = {account.currency for account, _ in postings}
    if len(currencies) != 1:
        raise LedgerError(f"one currency per transaction, got {sorted(currencies)}")
    if sum((amount for _, amount in postings), Decimal(0)) != 0:
        raise LedgerError(f"unbalanced transaction {idempotency_key}: {postings}")
    if any(amount == 0 for _, amount in postings):
        raise LedgerError("zero entries carry no information")
    with transaction.atomic():
        try:
            with transaction.atomic():
                ledger_transaction = LedgerTransaction.objects.create(
                    kind=kind, idempotency_key=idempotency_key, memo=memo[:200]
                )
        except IntegrityError:
            return None
        LedgerEntry.objects.bulk_create(
            LedgerEntry(
                transaction=ledger_transaction, account=account, amount=amount, currency=account.currency
            )
            for account, amount in postings
        )
        for account, amount in sorted(postings, key=lambda posting: posting[0].pk):
            LedgerAccount.objects.filter(pk=account.pk).update(balance=F("balance") + amount)
    return ledger_transaction


def ledger_transfer(
    *,
    kind: str,
    idempotency_key: str,
    source: LedgerAccount,
    destination: LedgerAccount,
    amount: Decimal,
    memo: str = "",
) -> LedgerTransaction | None:
    """Move ``amount`` (positive) from one account to another."""
    if amount <= 0:
        raise LedgerError(f"transfer amounts are positive, got {amount}")
    return ledger_post(
        kind=kind,
        idempotency_key=idempotency_key,
        postings=[(source, -amount), (destination, amount)],
        memo=memo,
    )
