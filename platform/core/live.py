"""Live counters that carry their deltas: what a tick adds, and how a subscriber knows whether
its snapshot already holds it.

A dashboard subscription reads a **snapshot** once (when it starts: a reconnecting client
gets a fresh one), then applies the **deltas** its ticks carry, without a database query. The
one hard case is a delta committed around the snapshot's read: the tick of a transaction
that committed just before the read may arrive just after it, and must not count twice.
So every delta names the transaction that wrote it (``pg_current_xact_id()``), the snapshot
is read in one REPEATABLE READ transaction together with ``pg_current_snapshot()``, and a
delta is applied only when that snapshot could not see its transaction
(``DatabaseSnapshot.sees``: the rule of PostgreSQL's ``pg_visible_in_snapshot``). Exact,
whatever the order of commits, reads and deliveries.

A tick's payload is ``{"parts": [{"xid": <transaction id>, "rows": [<row>, ...]}, ...]}``:
one part per transaction (the click drain sends about one tick per group per second, each
holding the parts of the batches since the last). A row is a ``DeltaRow``: what one
transaction added for one (UTC day, affiliate, link, offer, currency): clicks, unique clicks,
conversions, revenue and commissions. Affiliates' groups get their own rows, per link;
programs' groups get rows summed per (day, offer, currency), enough for merchants' counters.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple, ParamSpec, TypeVar

from django.db import transaction

from core.events import publish_on_commit
from core.tenancy import tenant_connection

P = ParamSpec("P")
R = TypeVar("R")

STATS_EVENT = "affiliate.stats"
DAY_SECONDS = 86400
ZERO = Decimal(0)


def affiliate_stats_topic(affiliate_id: int) -> str:
    """Channel-layer topic of one affiliate's (membership's) live counters (see
    ``core.events.group_name``): its clicks per link, its conversions and earnings."""
    return f"affiliate.{affiliate_id}"


def program_stats_topic(program_id: int) -> str:
    """Channel-layer topic of a program's traffic and sales, summed per day, offer and
    currency (merchant dashboards keep the rows of their own offers)."""
    return f"program.{program_id}"


class DeltaRow(NamedTuple):
    """What one transaction added for one (UTC day, program, affiliate, link, offer, currency).
    ``link_id`` and ``affiliate_id`` are 0 in programs' rows (summed over them)."""

    day: int  # epoch seconds of the UTC day's start
    program_id: int
    affiliate_id: int
    link_id: int
    offer_ref: str
    currency: str
    clicks: int = 0
    unique_clicks: int = 0
    conversions: int = 0
    revenue: Decimal = ZERO
    commissions: Decimal = ZERO

    def to_json(self) -> list[Any]:
        return [
            self.day,
            self.program_id,
            self.affiliate_id,
            self.link_id,
            self.offer_ref,
            self.currency,
            self.clicks,
            self.unique_clicks,
            self.conversions,
            str(self.revenue),
            str(self.commissions),
        ]

    @classmethod
    def from_json(cls, value: list[Any]) -> DeltaRow:
        day, program, affiliate, link, offer, currency, clicks, unique, conversions, revenue, commissions = (
            value
        )
        return cls(
            int(day),
            int(program),
            int(affiliate),
            int(link),
            str(offer),
            str(currency),
            int(clicks),
            int(unique),
            int(conversions),
            Decimal(revenue),
            Decimal(commissions),
        )


def day_start(moment: dt.datetime | int) -> int:
    """Epoch seconds of the start of the UTC day of ``moment`` (a datetime or epoch seconds)."""
    seconds = int(moment.timestamp()) if isinstance(moment, dt.datetime) else int(moment)
    return seconds - seconds % DAY_SECONDS


def program_rows(rows: Iterable[DeltaRow]) -> list[DeltaRow]:
    """Rows summed per (day, program, offer, currency), affiliate and link dropped: a program's
    tick (merchants' counters need no more)."""
    summed: dict[tuple[int, int, str, str], list[Any]] = {}
    for row in rows:
        key = (row.day, row.program_id, row.offer_ref, row.currency)
        found = summed.setdefault(key, [0, 0, 0, ZERO, ZERO])
        found[0] += row.clicks
        found[1] += row.unique_clicks
        found[2] += row.conversions
        found[3] += row.revenue
        found[4] += row.commissions
    return [
        DeltaRow(day, program, 0, 0, offer, currency, *amounts)
        for (day, program, offer, currency), amounts in summed.items()
    ]


def current_transaction_id() -> int:
    """The id of the current transaction (assigned now if it had none): what a delta names."""
    with tenant_connection().cursor() as cursor:
        cursor.execute("SELECT pg_current_xact_id()::text")
        return int(cursor.fetchone()[0])


def part(xid: int, rows: Iterable[DeltaRow]) -> dict[str, Any]:
    return {"xid": xid, "rows": [row.to_json() for row in rows]}


def delta_publish_on_commit(*, topic: str, rows: list[DeltaRow]) -> None:
    """Tick ``topic`` of the current brand with ``rows`` once the transaction commits. Must be
    called inside the transaction that wrote what the rows count (it names its id)."""
    if not rows:
        return
    publish_on_commit(
        topic=topic,
        message_type=STATS_EVENT,
        payload={"parts": [part(current_transaction_id(), rows)]},
    )


@dataclass(frozen=True)
class DatabaseSnapshot:
    """A PostgreSQL snapshot (``xmin:xmax:xip``): which transactions' writes it sees."""

    xmin: int
    xmax: int
    in_progress: frozenset[int]

    @classmethod
    def parse(cls, text: str) -> DatabaseSnapshot:
        xmin, xmax, xip = text.split(":")
        return cls(int(xmin), int(xmax), frozenset(int(x) for x in xip.split(",") if x))

    def sees(self, xid: int) -> bool:
        """Whether a *committed* transaction's writes are visible in this snapshot."""
        if xid < self.xmin:
            return True
        return xid < self.xmax and xid not in self.in_progress


def read_with_snapshot(
    function: Callable[P, R], *args: P.args, **kwargs: P.kwargs
) -> tuple[R, DatabaseSnapshot]:
    """Call ``function`` (reads only) in one REPEATABLE READ transaction: every query it makes
    sees the same snapshot, which is returned with its result."""
    with transaction.atomic(), tenant_connection().cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cursor.execute("SELECT pg_current_snapshot()::text")
        snapshot = DatabaseSnapshot.parse(cursor.fetchone()[0])
        return function(*args, **kwargs), snapshot


def unseen_rows(payload: dict[str, Any], snapshot: DatabaseSnapshot | None) -> list[DeltaRow]:
    """The rows of a tick that ``snapshot`` does not hold already (all of them without one)."""
    rows: list[DeltaRow] = []
    for item in payload.get("parts", ()):
        if snapshot is not None and snapshot.sees(int(item["xid"])):
            continue
        rows.extend(DeltaRow.from_json(value) for value in item["rows"])
    return rows
