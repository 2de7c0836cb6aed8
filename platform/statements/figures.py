"""A statement's figures, computed from the ledger.

**The balance a statement reports** is what the brand owes the affiliate: everything earned and
not yet paid out, i.e. the sum of their ``pending`` (in the hold period), ``available`` and
``reserved`` (asked for in a withdrawal, not yet paid) ledger accounts, over every membership
(program) they hold in the statement's currency. Money enters that balance when a commission is
earned and leaves it when it is reversed (refund, chargeback, fraud) or paid out; moves between
its three stages (release after the hold, a withdrawal request or its rejection) change only
the breakdown, so they are listed for information and do not count in the sum.

The lines are the net effect on that balance of every ledger transaction in the month, by
transaction kind (and by program for commissions and reversals); any kind not named below (a
payout returned by the provider, a manual correction…) is an *adjustment*. So, to the cent:

    opening + commissions + reversals + withdrawals paid + adjustments == closing

and ``closing`` is the ledger's balance at the end of the month (entries dated before it). A
month is a calendar month in UTC: [first day 00:00 UTC, first day of the next month 00:00 UTC).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum

from affiliation.models import Affiliate
from ledger.models import AccountKind, LedgerEntry, OwnerType

OWED_KINDS = (AccountKind.PENDING, AccountKind.AVAILABLE, AccountKind.RESERVED)
EARNED = "commission.earned"
REVERSED = "commission.reversed"
PAID = "withdrawal.paid"
# Moves inside the owed balance, shown for information (their gross amount).
MEMO_KINDS = {
    "withdrawal.reserved": "withdrawals_requested",
    "withdrawal.released": "withdrawals_released",
    "commission.released": "released_from_hold",
}
ZERO = Decimal(0)


def month_bounds(period: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime(period.year, period.month, 1, tzinfo=dt.UTC)
    end = dt.datetime(period.year + (period.month == 12), period.month % 12 + 1, 1, tzinfo=dt.UTC)
    return start, end


def previous_month(today: dt.date) -> dt.date:
    first = today.replace(day=1)
    return (first - dt.timedelta(days=1)).replace(day=1)


@dataclass(frozen=True)
class ProgramLine:
    program_id: int
    program: str
    amount: Decimal


@dataclass(frozen=True)
class StatementFigures:
    currency: str
    period: dt.date
    opening: Decimal
    commissions: tuple[ProgramLine, ...]
    reversals: tuple[ProgramLine, ...]
    withdrawals_paid: Decimal
    adjustments: tuple[tuple[str, Decimal], ...]
    closing: Decimal
    # Information (not in the sum): moves inside the owed balance, and its stages at the end.
    memo: dict[str, Decimal] = field(default_factory=dict)
    closing_breakdown: dict[str, Decimal] = field(default_factory=dict)
    activity: bool = False  # any ledger entry in the month

    @property
    def commissions_total(self) -> Decimal:
        return sum((line.amount for line in self.commissions), ZERO)

    @property
    def reversals_total(self) -> Decimal:
        return sum((line.amount for line in self.reversals), ZERO)

    @property
    def adjustments_total(self) -> Decimal:
        return sum((amount for _, amount in self.adjustments), ZERO)

    def lines_total(self) -> Decimal:
        return self.commissions_total + self.reversals_total + self.withdrawals_paid + self.adjustments_total

    def as_json(self) -> dict[str, Any]:
        def program_lines(lines: tuple[ProgramLine, ...]) -> list[dict[str, Any]]:
            return [
                {"program_id": x.program_id, "program": x.program, "amount": str(x.amount)} for x in lines
            ]

        return {
            "opening": str(self.opening),
            "commissions": program_lines(self.commissions),
            "reversals": program_lines(self.reversals),
            "withdrawals_paid": str(self.withdrawals_paid),
            "adjustments": [{"kind": kind, "amount": str(amount)} for kind, amount in self.adjustments],
            "closing": str(self.closing),
            "memo": {key: str(value) for key, value in self.memo.items()},
            "closing_breakdown": {key: str(value) for key, value in self.closing_breakdown.items()},
        }

    @classmethod
    def from_json(cls, currency: str, period: dt.date, data: dict[str, Any]) -> StatementFigures:
        def program_lines(rows: list[dict[str, Any]]) -> tuple[ProgramLine, ...]:
            return tuple(
                ProgramLine(int(r["program_id"]), str(r["program"]), Decimal(r["amount"])) for r in rows
            )

        return cls(
            currency=currency,
            period=period,
            opening=Decimal(data["opening"]),
            commissions=program_lines(data["commissions"]),
            reversals=program_lines(data["reversals"]),
            withdrawals_paid=Decimal(data["withdrawals_paid"]),
            adjustments=tuple((row["kind"], Decimal(row["amount"])) for row in data["adjustments"]),
            closing=Decimal(data["closing"]),
            memo={key: Decimal(value) for key, value in data.get("memo", {}).items()},
            closing_breakdown={
                key: Decimal(value) for key, value in data.get("closing_breakdown", {}).items()
            },
        )


def _owed_entries(user_id: int, currency: str) -> Any:
    affiliate_ids = list(Affiliate.objects.filter(user_id=user_id).values_list("pk", flat=True))
    return LedgerEntry.objects.filter(
        account__owner_type=OwnerType.AFFILIATE,
        account__owner_id__in=affiliate_ids,
        account__currency=currency,
        account__kind__in=OWED_KINDS,
    )


def statement_figures(*, user_id: int, currency: str, period: dt.date) -> StatementFigures:
    """The figures of ``user_id``'s statement in ``currency`` for the month ``period``."""
    start, end = month_bounds(period)
    entries = _owed_entries(user_id, currency)
    opening = entries.filter(created_at__lt=start).aggregate(total=Sum("amount"))["total"] or ZERO
    stages = dict(
        entries.filter(created_at__lt=end)
        .values_list("account__kind")
        .annotate(total=Sum("amount"))
        .values_list("account__kind", "total")
    )
    rows = list(
        entries.filter(created_at__gte=start, created_at__lt=end)
        .values("transaction__kind", "account__owner_id")
        .annotate(
            net=Sum("amount"),
            gross=Sum("amount", filter=Q(amount__gt=0)),
            count=Count("transaction", distinct=True),
        )
        .order_by("transaction__kind", "account__owner_id")
    )
    programs = {
        row["pk"]: (row["program_id"], row["program__name"])
        for row in Affiliate.objects.filter(pk__in={row["account__owner_id"] for row in rows}).values(
            "pk", "program_id", "program__name"
        )
    }
    commissions: dict[int, Decimal] = defaultdict(Decimal)
    reversals: dict[int, Decimal] = defaultdict(Decimal)
    adjustments: dict[str, Decimal] = defaultdict(Decimal)
    memo: dict[str, Decimal] = {name: ZERO for name in MEMO_KINDS.values()}
    paid = ZERO
    names: dict[int, str] = {}
    for row in rows:
        kind, net = row["transaction__kind"], row["net"] or ZERO
        program_id, program_name = programs[row["account__owner_id"]]
        names[program_id] = program_name
        if kind == EARNED:
            commissions[program_id] += net
        elif kind == REVERSED:
            reversals[program_id] += net
        elif kind == PAID:
            paid += net
        elif net != 0:
            adjustments[kind] += net
        if kind in MEMO_KINDS:
            memo[MEMO_KINDS[kind]] += row["gross"] or ZERO
    closing = sum(stages.values(), ZERO)

    def program_lines(amounts: dict[int, Decimal]) -> tuple[ProgramLine, ...]:
        return tuple(
            ProgramLine(program_id, names[program_id], amount)
            for program_id, amount in sorted(amounts.items(), key=lambda item: (names[item[0]], item[0]))
            if amount != 0
        )

    figures = StatementFigures(
        currency=currency,
        period=period,
        opening=opening,
        commissions=program_lines(commissions),
        reversals=program_lines(reversals),
        withdrawals_paid=paid,
        adjustments=tuple(sorted((kind, amount) for kind, amount in adjustments.items() if amount != 0)),
        closing=closing,
        memo=memo,
        closing_breakdown={str(kind): stages.get(kind, ZERO) for kind in OWED_KINDS},
        activity=bool(rows),
    )
    if figures.opening + figures.lines_total() != figures.closing:  # a bug, never a wrong statement
        raise AssertionError(f"statement {user_id} {period} {currency}: the lines do not add up")
    return figures


def statement_subjects(period: dt.date) -> list[tuple[int, str]]:
    """(user id, currency) of everyone with money owed or moved in the month: an owed balance at
    its start, or any entry in it."""
    start, end = month_bounds(period)
    rows = (
        LedgerEntry.objects.filter(
            account__owner_type=OwnerType.AFFILIATE, account__kind__in=OWED_KINDS, created_at__lt=end
        )
        .values("account__owner_id", "account__currency")
        .annotate(
            before=Sum("amount", filter=Q(created_at__lt=start)),
            during=Count("pk", filter=Q(created_at__gte=start)),
        )
    )
    users: dict[int | None, int] = dict(
        Affiliate.objects.filter(pk__in={row["account__owner_id"] for row in rows}).values_list(
            "pk", "user_id"
        )
    )
    subjects: set[tuple[int, str]] = set()
    for row in rows:
        if (row["before"] or ZERO) != 0 or row["during"]:
            subjects.add((users[row["account__owner_id"]], row["account__currency"]))
    return sorted(subjects)
