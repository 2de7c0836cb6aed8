from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command
from django_tenants.utils import tenant_context

from ledger.models import AccountKind, LedgerAccount, LedgerEntry, LedgerTransaction
from ledger.owners import BRAND, Owner
from ledger.selectors import ledger_differences
from ledger.services import LedgerError, ledger_account, ledger_post, ledger_transfer
from tests.engine import make_affiliate, make_program


@pytest.fixture
def accounts(brand_a):
    with tenant_context(brand_a):
        affiliate = make_affiliate(brand_a, make_program())
        yield (
            ledger_account(owner=BRAND, kind=AccountKind.COMMISSION_EXPENSE, currency="EUR"),
            ledger_account(owner=Owner.affiliate(affiliate.pk), kind=AccountKind.PENDING, currency="EUR"),
        )


def test_a_transfer_moves_money_and_balances_follow_the_entries(accounts):
    expense, pending = accounts

    ledger_transfer(
        kind="test", idempotency_key="t1", source=expense, destination=pending, amount=Decimal("12.34")
    )

    expense.refresh_from_db()
    pending.refresh_from_db()
    assert (expense.balance, pending.balance) == (Decimal("-12.34"), Decimal("12.34"))
    assert ledger_differences() == []


def test_posting_the_same_key_twice_is_a_no_op(accounts):
    expense, pending = accounts

    first = ledger_transfer(
        kind="test", idempotency_key="same", source=expense, destination=pending, amount=Decimal(5)
    )
    second = ledger_transfer(
        kind="test", idempotency_key="same", source=expense, destination=pending, amount=Decimal(5)
    )

    pending.refresh_from_db()
    assert first is not None
    assert second is None
    assert pending.balance == Decimal(5)


@pytest.mark.parametrize(
    "postings",
    [
        lambda e, p: [(e, Decimal(-5)), (p, Decimal(4))],  # unbalanced
        lambda e, p: [(e, Decimal(0)), (p, Decimal(0))],  # zero entries
        lambda e, p: [],
    ],
)
def test_invalid_postings_are_refused(accounts, postings):
    expense, pending = accounts

    with pytest.raises(LedgerError):
        ledger_post(kind="test", idempotency_key="bad", postings=postings(expense, pending))

    assert not LedgerTransaction.objects.filter(idempotency_key="bad").exists()


def test_entries_and_transactions_are_append_only(accounts):
    expense, pending = accounts
    transaction = ledger_transfer(
        kind="test", idempotency_key="t2", source=expense, destination=pending, amount=Decimal(1)
    )
    entry = LedgerEntry.objects.filter(transaction=transaction).first()

    entry.amount = Decimal(100)
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        transaction.save()


def test_reconcile_finds_a_tampered_balance(accounts, capsys):
    expense, pending = accounts
    ledger_transfer(kind="test", idempotency_key="t3", source=expense, destination=pending, amount=Decimal(3))
    LedgerAccount.objects.filter(pk=pending.pk).update(balance=Decimal("3.01"))

    differences = ledger_differences()

    assert len(differences) == 1
    assert differences[0].expected == Decimal(3)
    assert differences[0].found == Decimal("3.01")


def test_the_reconcile_command_reports_zero_differences(brand_a, accounts, capsys):
    expense, pending = accounts
    ledger_transfer(kind="test", idempotency_key="t4", source=expense, destination=pending, amount=Decimal(3))

    call_command("ledger_reconcile", brand="alpha")

    assert "alpha: 0 differences" in capsys.readouterr().out
