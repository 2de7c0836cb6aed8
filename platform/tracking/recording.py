"""The click lane's one way out: what a batch of fresh clicks means beyond its rows.

The drain (``tracking.ingest``) stores clicks; counting them is not its business. After its
COPY, in the same transaction, it hands the batch to the **recorders** other apps registered
here (``analytics`` registers the one that adds the clicks to ``analytics_rollup``, accrues
per-click commissions through ``affiliation`` and adds those too). A recorder returns the
``core.live.DeltaRow``s of what it added, which the drain sends to the brand's live groups once
committed: the live ticks carry the data they announce.

This is the inverted dependency that keeps the lane free of the domain apps above it:
tracking imports ``core`` (and ``tenants``, the tenancy package, for the brands' schemas), and
the apps import tracking to register themselves (``AppConfig.ready``). The one documented
exception: ``tracking.models`` and ``tracking.routing`` read ``affiliation``'s links (the
click's foreign key, and the routes the lane caches).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from core.live import DeltaRow


class LinkFacts(NamedTuple):
    """What the drain knows of a link besides its id: its affiliate, program, offer, currency."""

    affiliate_id: int
    program_id: int
    offer_ref: str
    currency: str


# (hour start in epoch seconds, link, country, device, browser, referrer host)
ClickCombo = tuple[int, int, str, str, str, str]


@dataclass
class ClickBatch:
    """The fresh clicks of one brand's batch, as the drain's transaction inserted them.

    ``combos``: [clicks, unique clicks] per ``ClickCombo``; ``unique_clicks``: new unique clicks
    per (affiliate id, program id); ``unique_ids``: the ids of the fresh clicks that are unique
    (the only ones per-click commissions pay for); ``batch_key``: stable across redeliveries (an
    idempotency key); ``cursor``: a psycopg cursor on the transaction's connection (binary
    parameters)."""

    batch_key: str
    links: Mapping[int, LinkFacts]
    combos: dict[ClickCombo, list[int]] = field(default_factory=dict)
    unique_clicks: dict[tuple[int, int], int] = field(default_factory=dict)
    unique_ids: frozenset[str] = frozenset()
    cursor: Any = None


ClickBatchRecorder = Callable[[ClickBatch], list[DeltaRow]]

# The drain's prepared click rows, as screeners see them (fields by position):
# (click id, link id, time in epoch ms, IP hash, user agent, referrer, referrer host, country,
#  device type, browser, os, sub ids JSON)
CLICK_ID, CLICK_LINK, CLICK_TIME_MS, CLICK_IP_HASH, CLICK_COUNTRY = 0, 1, 2, 3, 7

# A click screener (the ``fraud`` app registers one) sees a batch's fresh clicks at once, in
# the drain's transaction, before they are counted: it may record what it finds suspicious
# and returns the ids of the clicks that must not earn per-click commissions. It is called
# once per batch (one query or Redis round trip, not one per click): the drain's throughput
# is what the click lane sells.
ClickScreener = Callable[[ClickBatch, list[tuple[Any, ...]]], set[str]]

_screeners: list[ClickScreener] = []


def click_screener_register(screener: ClickScreener) -> None:
    if screener not in _screeners:
        _screeners.append(screener)


def click_screener_unregister(screener: ClickScreener) -> None:
    if screener in _screeners:
        _screeners.remove(screener)


def click_screen(batch: ClickBatch, rows: list[tuple[Any, ...]]) -> set[str]:
    """Every screener on the batch's fresh rows (oldest first): the click ids refused for pay."""
    refused: set[str] = set()
    for screener in _screeners:
        refused |= screener(batch, rows)
    return refused


_recorders: list[ClickBatchRecorder] = []


def click_batch_recorder_register(recorder: ClickBatchRecorder) -> None:
    """Run ``recorder`` in the transaction of every batch of fresh clicks (idempotent)."""
    if recorder not in _recorders:
        _recorders.append(recorder)


def click_batch_record(batch: ClickBatch) -> list[DeltaRow]:
    """Every registered recorder, in registration order: the delta rows they return."""
    rows: list[DeltaRow] = []
    for recorder in _recorders:
        rows.extend(recorder(batch))
    return rows
