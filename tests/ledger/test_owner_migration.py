"""Migration 0003 (owner foreign keys → owner type and id) on a brand with money in its ledger.

The brand's schema is taken back to 0002 with the migration executor, given rows as the old
code wrote them (accounts with ``affiliate``/``merchant`` foreign keys, balanced transactions,
cached balances), and migrated forward again: every account keeps its primary key, entries and
balance, gets the owner its foreign key named, and ``ledger_reconcile`` reports 0 differences.
All of it inside the test's transaction (PostgreSQL rolls DDL back too).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django_tenants.utils import tenant_context

from accounts.models import Role
from affiliation.selectors import affiliate_balance
from ledger.models import AccountKind, LedgerAccount, OwnerType
from ledger.owners import BRAND, Owner
from ledger.selectors import ledger_differences
from ledger.services import ledger_account, ledger_transfer
from tests.conftest import make_user
from tests.engine import make_affiliate, make_program

BEFORE = ("ledger", "0002_remove_ledgeraccount_ledger_account_unique_brand_and_more")


def _migrate(target: list[tuple[str, str]]) -> MigrationExecutor:
    # Deferred foreign-key checks queued by the rows written so far would make PostgreSQL refuse
    # the ALTER TABLEs ("pending trigger events"); a real migration runs in its own transaction.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    executor = MigrationExecutor(connection)
    executor.migrate(target)
    return MigrationExecutor(connection)


def _latest() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes("ledger")


def _old_post(models, key: str, postings: list[tuple[object, Decimal]]) -> None:  # type: ignore[no-untyped-def]
    """What the old ``ledger_post`` wrote: a transaction, its entries, the cached balances."""
    transaction = models.LedgerTransaction.objects.create(kind="old", idempotency_key=key)
    for account, amount in postings:
        models.LedgerEntry.objects.create(
            transaction=transaction, account=account, amount=amount, currency=account.currency
        )
        account.balance += amount
        account.save(update_fields=["balance"])


class _Old:
    def __init__(self, executor: MigrationExecutor) -> None:
        apps = executor.loader.project_state([BEFORE]).apps
        self.LedgerAccount = apps.get_model("ledger", "LedgerAccount")
        self.LedgerTransaction = apps.get_model("ledger", "LedgerTransaction")
        self.LedgerEntry = apps.get_model("ledger", "LedgerEntry")


@pytest.mark.django_db
def test_migrating_a_brand_with_money_keeps_every_balance_and_maps_the_owners(brand_a, capsys):
    with tenant_context(brand_a):
        # Given, on the old schema, a brand whose ledger holds commissions, a withdrawal
        # reservation and a marketplace sale with a merchant's share
        program = make_program()
        seller = make_affiliate(brand_a, program)
        referrer = make_affiliate(brand_a, program)
        merchant = make_user(brand_a, role=Role.MERCHANT)
        old = _Old(_migrate([BEFORE]))
        Account = old.LedgerAccount

        def account(kind: str, currency: str = "EUR", **owner: object) -> object:
            return Account.objects.create(kind=kind, currency=currency, **owner)

        expense = account(AccountKind.COMMISSION_EXPENSE)
        payments = account(AccountKind.CUSTOMER_PAYMENTS)
        fees = account(AccountKind.PLATFORM_FEES)
        mad_expense = account(AccountKind.COMMISSION_EXPENSE, currency="MAD")
        seller_pending = account(AccountKind.PENDING, affiliate_id=seller.pk)
        seller_available = account(AccountKind.AVAILABLE, affiliate_id=seller.pk)
        seller_reserved = account(AccountKind.RESERVED, affiliate_id=seller.pk)
        seller_mad = account(AccountKind.PENDING, currency="MAD", affiliate_id=seller.pk)
        referrer_pending = account(AccountKind.PENDING, affiliate_id=referrer.pk)
        sales = account(AccountKind.MERCHANT_SALES, merchant_id=merchant.pk)
        _old_post(old, "c1", [(expense, Decimal("-30.0000")), (seller_pending, Decimal("30.0000"))])
        _old_post(old, "c2", [(expense, Decimal("-1.2500")), (referrer_pending, Decimal("1.2500"))])
        _old_post(old, "c3", [(seller_pending, Decimal(-20)), (seller_available, Decimal(20))])
        _old_post(old, "w1", [(seller_available, Decimal(-15)), (seller_reserved, Decimal(15))])
        _old_post(old, "m1", [(mad_expense, Decimal(-99)), (seller_mad, Decimal(99))])
        _old_post(
            old,
            "s1",
            [(payments, Decimal("-50.00")), (sales, Decimal("45.00")), (fees, Decimal("5.00"))],
        )
        before = dict(Account.objects.values_list("pk", "balance"))
        assert len(before) == 10

        # When the brand is migrated
        _migrate(_latest())

        # Then every account is still there with its balance, owned as its foreign key said
        after = {row.pk: row for row in LedgerAccount.objects.all()}
        assert {pk: row.balance for pk, row in after.items()} == before
        owners = {pk: (row.owner_type, row.owner_id) for pk, row in after.items()}
        assert owners == {
            expense.pk: (OwnerType.BRAND, None),
            payments.pk: (OwnerType.BRAND, None),
            fees.pk: (OwnerType.BRAND, None),
            mad_expense.pk: (OwnerType.BRAND, None),
            seller_pending.pk: (OwnerType.AFFILIATE, seller.pk),
            seller_available.pk: (OwnerType.AFFILIATE, seller.pk),
            seller_reserved.pk: (OwnerType.AFFILIATE, seller.pk),
            seller_mad.pk: (OwnerType.AFFILIATE, seller.pk),
            referrer_pending.pk: (OwnerType.AFFILIATE, referrer.pk),
            sales.pk: (OwnerType.MERCHANT, merchant.pk),
        }
        assert ledger_differences() == []
        call_command("ledger_reconcile", brand=brand_a.subdomain)
        assert f"{brand_a.subdomain}: 0 differences" in capsys.readouterr().out

        # And the new code finds the migrated accounts instead of opening new ones
        balance = affiliate_balance(seller)
        assert (balance.pending, balance.available, balance.reserved) == (
            Decimal(10),
            Decimal(5),
            Decimal(15),
        )
        assert ledger_account(
            owner=Owner.affiliate(seller.pk), kind=AccountKind.PENDING, currency="EUR"
        ).pk == (seller_pending.pk)
        assert ledger_account(owner=BRAND, kind=AccountKind.PLATFORM_FEES, currency="EUR").pk == fees.pk
        assert ledger_account(
            owner=Owner.merchant(merchant.pk), kind=AccountKind.MERCHANT_SALES, currency="EUR"
        ).pk == (sales.pk)
        ledger_transfer(
            kind="after",
            idempotency_key="c4",
            source=ledger_account(owner=BRAND, kind=AccountKind.COMMISSION_EXPENSE, currency="EUR"),
            destination=ledger_account(
                owner=Owner.affiliate(referrer.pk), kind=AccountKind.PENDING, currency="EUR"
            ),
            amount=Decimal(2),
        )
        assert LedgerAccount.objects.count() == 10
        assert affiliate_balance(referrer).pending == Decimal("3.25")
        assert ledger_differences() == []


@pytest.mark.django_db
def test_the_migration_goes_back_to_the_foreign_keys(brand_a):
    with tenant_context(brand_a):
        # Given accounts written by the new code
        seller = make_affiliate(brand_a, make_program())
        merchant = make_user(brand_a, role=Role.MERCHANT)
        ledger_transfer(
            kind="t",
            idempotency_key="c1",
            source=ledger_account(owner=BRAND, kind=AccountKind.COMMISSION_EXPENSE, currency="EUR"),
            destination=ledger_account(
                owner=Owner.affiliate(seller.pk), kind=AccountKind.PENDING, currency="EUR"
            ),
            amount=Decimal(8),
        )
        ledger_transfer(
            kind="t",
            idempotency_key="s1",
            source=ledger_account(owner=BRAND, kind=AccountKind.CUSTOMER_PAYMENTS, currency="EUR"),
            destination=ledger_account(
                owner=Owner.merchant(merchant.pk), kind=AccountKind.MERCHANT_SALES, currency="EUR"
            ),
            amount=Decimal(4),
        )
        expected = {
            (row.kind, row.owner_type, row.owner_id): row.balance for row in LedgerAccount.objects.all()
        }

        # When the brand goes back to 0002
        old = _Old(_migrate([BEFORE]))

        # Then the foreign keys name the owners again, balances unchanged
        rows = old.LedgerAccount.objects.values_list("kind", "affiliate_id", "merchant_id", "balance")
        assert {
            (kind, affiliate, merchant_id): balance for kind, affiliate, merchant_id, balance in rows
        } == {
            (AccountKind.COMMISSION_EXPENSE, None, None): expected[
                (AccountKind.COMMISSION_EXPENSE, "brand", None)
            ],
            (AccountKind.CUSTOMER_PAYMENTS, None, None): Decimal(-4),
            (AccountKind.PENDING, seller.pk, None): Decimal(8),
            (AccountKind.MERCHANT_SALES, None, merchant.pk): Decimal(4),
        }

        # And forward again, the round trip changed nothing
        _migrate(_latest())
        assert {
            (row.kind, row.owner_type, row.owner_id): row.balance for row in LedgerAccount.objects.all()
        } == expected
        assert ledger_differences() == []
