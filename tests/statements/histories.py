"""Random money histories of affiliates, built with the real services on a controlled clock
(``django.utils.timezone.now`` patched: ledger entries are dated by it)."""

from __future__ import annotations

import contextlib
import datetime as dt
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from unittest import mock

from django.core.exceptions import ValidationError
from django.db.models import Sum

from accounts.models import Role, User
from affiliation.models import Affiliate, AffiliateStatus, Program
from affiliation.services import affiliate_join, commissions_release_due, conversion_record, conversion_refund
from ledger.models import LedgerAccount, OwnerType
from payouts.models import WithdrawalRequest
from payouts.services import withdrawal_approve, withdrawal_mark_paid, withdrawal_reject, withdrawal_request
from statements.figures import OWED_KINDS
from tests.engine import make_click, make_program

PAYPAL = {"email": "me@example.com"}


class Clock:
    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now


@contextmanager
def frozen_clock(start: dt.datetime) -> Iterator[Clock]:
    clock = Clock(start)
    with mock.patch("django.utils.timezone.now", side_effect=clock):
        yield clock


def owed_balance(user: User, currency: str) -> Decimal:
    """The ledger's cached balances (pending + available + reserved) of the user's memberships."""
    ids = list(Affiliate.objects.filter(user=user).values_list("pk", flat=True))
    total = LedgerAccount.objects.filter(
        owner_type=OwnerType.AFFILIATE, owner_id__in=ids, currency=currency, kind__in=OWED_KINDS
    ).aggregate(total=Sum("balance"))["total"]
    return total or Decimal(0)


def month_start(moment: dt.datetime) -> dt.date:
    return moment.date().replace(day=1)


@dataclass
class History:
    user: User
    admin: User
    programs: list[Program]
    currencies: list[str]
    months: list[dt.date] = field(default_factory=list)
    # ledger balance (per currency) at the end of each month, read when the clock crossed it
    at_month_end: dict[tuple[dt.date, str], Decimal] = field(default_factory=dict)
    operations: list[str] = field(default_factory=list)


def build_history(brand: Any, *, seed: int, clock: Clock, steps: int = 40) -> History:
    """A user in three programs (two in EUR, one in MAD), with sales, releases, partial and full
    refunds, chargebacks, withdrawals requested, paid and rejected, over about four months."""
    rng = random.Random(seed)
    from tests.conftest import make_user

    user = make_user(brand, role=Role.AFFILIATE)
    admin = make_user(brand, role=Role.BRAND_ADMIN)
    programs = [
        make_program(cascade_rates=[], hold_days=rng.choice([0, 3, 10]), currency="EUR"),
        make_program(cascade_rates=[], hold_days=rng.choice([0, 5]), currency="EUR"),
        make_program(cascade_rates=[], hold_days=2, currency="MAD"),
    ]
    affiliates = []
    for program in programs:
        affiliate = affiliate_join(user=user, program=program)
        if affiliate.status != AffiliateStatus.APPROVED:
            affiliate.status = AffiliateStatus.APPROVED
            affiliate.save(update_fields=["status"])
        affiliates.append(affiliate)
    history = History(user=user, admin=admin, programs=programs, currencies=["EUR", "MAD"])
    history.months.append(month_start(clock.now))
    sales: list[tuple[Affiliate, str, Decimal]] = []
    open_withdrawals: list[WithdrawalRequest] = []
    for step in range(steps):
        # time passes; crossing a month end records the ledger's balances at that instant
        before = clock.now
        clock.now = before + dt.timedelta(hours=rng.randint(1, 24 * 9))
        while month_start(clock.now) != history.months[-1]:
            ended = history.months[-1]
            for currency in history.currencies:
                history.at_month_end[(ended, currency)] = owed_balance(user, currency)
            nxt = (dt.datetime(ended.year, ended.month, 28) + dt.timedelta(days=4)).date().replace(day=1)
            history.months.append(nxt)
        action = rng.choices(["sale", "release", "refund", "withdraw", "decide"], weights=[5, 2, 2, 2, 2])[0]
        if action == "sale":
            affiliate = rng.choice(affiliates)
            order = f"s{seed}-{step}"
            amount = Decimal(rng.randint(500, 40000)) / 100
            click = make_click(affiliate)
            conversion_record(
                source="postback",
                order_id=order,
                amount=str(amount),
                currency=affiliate.program.currency,
                click_id=str(click.id),
            )
            sales.append((affiliate, order, amount))
        elif action == "release":
            commissions_release_due(now=clock.now)
        elif action == "refund" and sales:
            affiliate, order, amount = rng.choice(sales)
            part = rng.choice([None, (amount * Decimal(rng.randint(10, 60)) / 100).quantize(Decimal("0.01"))])
            with contextlib.suppress(ValidationError):  # more than what is left to refund
                conversion_refund(
                    source="postback",
                    order_id=order,
                    refund_id=f"r{step}",
                    amount=None if part is None else str(part),
                    kind=rng.choice(["refund", "chargeback"]),
                )
        elif action == "withdraw":
            affiliate = rng.choice(affiliates)
            affiliate.refresh_from_db()
            available = LedgerAccount.objects.filter(
                owner_type=OwnerType.AFFILIATE, owner_id=affiliate.pk, kind="available"
            ).values_list("balance", flat=True).first() or Decimal(0)
            if available >= affiliate.program.minimum_withdrawal:
                amount = max(
                    affiliate.program.minimum_withdrawal,
                    (available * Decimal(rng.randint(20, 100)) / 100).quantize(Decimal("0.01")),
                )
                amount = min(amount, available)
                open_withdrawals.append(
                    withdrawal_request(
                        affiliate=affiliate, amount=str(amount), method="paypal", details=PAYPAL
                    )
                )
        elif action == "decide" and open_withdrawals:
            withdrawal = open_withdrawals.pop(rng.randrange(len(open_withdrawals)))
            if rng.random() < 0.7:
                withdrawal_approve(actor=admin, withdrawal=withdrawal)
                withdrawal_mark_paid(actor=admin, withdrawal=withdrawal, payment_reference=f"PP-{step}")
            else:
                withdrawal_reject(actor=admin, withdrawal=withdrawal, reason="Details do not match")
        history.operations.append(action)
    # close the last month
    last = history.months[-1]
    clock.now = dt.datetime(last.year, last.month, 28, tzinfo=dt.UTC) + dt.timedelta(days=5)
    for currency in history.currencies:
        history.at_month_end[(last, currency)] = owed_balance(user, currency)
    return history
