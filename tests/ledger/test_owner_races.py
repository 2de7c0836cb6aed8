"""Concurrent first uses of one owner's accounts, on committed data with real threads: the unique
constraint on (owner type, owner id, kind, currency) lets exactly one account be opened, and no
posting is lost. The same owner ids posted concurrently in a second brand stay in that brand."""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import close_old_connections, connection
from django_tenants.utils import tenant_context

from ledger.models import AccountKind, LedgerAccount, OwnerType
from ledger.owners import BRAND, Owner
from ledger.selectors import ledger_differences, owner_balance
from ledger.services import ledger_account, ledger_transfer

pytestmark = pytest.mark.live

THREADS = 16


def _together(count: int, work: Callable[[int], None]) -> list[BaseException]:
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait()
            work(index)
        except Exception as error:  # noqa: BLE001 (collected, and the test asserts there are none)
            errors.append(error)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def test_concurrent_first_postings_open_one_account_per_owner_and_lose_nothing(live_brands):
    alpha, beta = live_brands
    owner = Owner.affiliate(77)

    def earn(index: int) -> None:
        brand = alpha if index % 2 == 0 else beta
        amount = Decimal(1) if brand is alpha else Decimal(10)
        with tenant_context(brand):
            ledger_transfer(
                kind="test.earned",
                idempotency_key=f"race:{index // 2}",
                source=ledger_account(owner=BRAND, kind=AccountKind.COMMISSION_EXPENSE, currency="EUR"),
                destination=ledger_account(owner=owner, kind=AccountKind.PENDING, currency="EUR"),
                amount=amount,
            )

    errors = _together(THREADS, earn)

    assert errors == []
    for brand, amount in ((alpha, Decimal(1)), (beta, Decimal(10))):
        with tenant_context(brand):
            assert LedgerAccount.objects.filter(owner_type=OwnerType.AFFILIATE, owner_id=77).count() == 1
            assert LedgerAccount.objects.filter(owner_type=OwnerType.BRAND).count() == 1
            assert owner_balance(owner=owner, currency="EUR").pending == amount * THREADS // 2
            assert ledger_differences() == []
