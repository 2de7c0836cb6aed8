"""Posting to the ledger. Every effect has an idempotency key: posting it twice is a no-op.

Entries are never updated or deleted; a correction is a new transaction. Account rows are
updated with ``F()`` increments in primary-key order, so concurrent postings neither lose
an update nor deadlock.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connections, models, transaction
from django.db.models import F
from django.db.models.signals import pre_delete
from django_tenants.utils import get_public_schema_name

from ledger.models import OWNER_KINDS, AccountKind, LedgerAccount, LedgerEntry, LedgerTransaction, OwnerType
from ledger.owners import Owner


class LedgerError(Exception):
    """A posting that would break the ledger's invariants: a bug, never user input."""


def ledger_account(*, owner: Owner, kind: AccountKind, currency: str) -> LedgerAccount:
    """The owner's account of this kind and currency, created on first use (safe under
    concurrent first uses: the unique constraint decides, the loser reads the winner's row)."""
    if kind not in OWNER_KINDS[owner.type]:
        raise LedgerError(f"a {owner.type} holds no {kind} account")
    lookup = {"owner_type": owner.type, "owner_id": owner.id, "kind": kind, "currency": currency}
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


def ledger_owner_protect(*, model: type[models.Model], owner_type: OwnerType) -> None:
    """Refuse to delete a ``model`` instance (directly or by cascade) while it owns ledger
    accounts as ``owner_type``, raising ``ProtectedError`` as ``on_delete=PROTECT`` did when the
    accounts had a foreign key to their owner. The app that owns ``model`` calls this from its
    ``AppConfig.ready()``: the ledger itself knows no owner model.

    The guard is a ``pre_delete`` receiver, so it also holds when a deletion cascades to the
    owner (a user's deletion cascades to their affiliate memberships) and within bulk
    ``QuerySet.delete()``; the whole deletion is rolled back. Raw SQL is not covered. In the
    public schema (operators are users too) there is no ledger, so nothing to protect.

    One difference from ``PROTECT``, which refused while collecting, before any write: this runs
    inside Django's deletion transaction, so an enclosing ``atomic`` block is marked for rollback.
    A caller that wants to go on after a refused deletion wraps it in its own ``atomic()``.
    """
    kind = OwnerType(owner_type)

    def refuse_while_accounts_exist(
        sender: type[models.Model], instance: models.Model, using: str, **kwargs: Any
    ) -> None:
        if getattr(connections[using], "schema_name", None) == get_public_schema_name():
            return
        accounts = LedgerAccount.objects.using(using).filter(owner_type=kind, owner_id=instance.pk)
        if accounts.exists():
            raise models.ProtectedError(
                f"{sender.__name__} {instance.pk} owns ledger accounts: its money history stays",
                set(accounts),
            )

    pre_delete.connect(
        refuse_while_accounts_exist,
        sender=model,
        weak=False,
        dispatch_uid=f"ledger_owner_protect:{model._meta.label}:{kind}",
    )
