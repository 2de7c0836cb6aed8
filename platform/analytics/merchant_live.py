"""A merchant's live counters: what the affiliates' links to the merchant's own products did
over the last 30 days (today included, whole UTC days), read from the daily rollups.

The read is scoped like the analytics dashboards (``analytics_scope_for``): the offers of the
merchant's products only, never another merchant's, even in a program they share. A live
subscription reads it once (``merchant_live_snapshot``), then applies the delta rows of the
programs' ticks (``merchant_live_apply``: the click drain and the conversion sync send what
they added to the rollups), keeping the rows of the merchant's own offers inside the window;
it reads again only when the UTC day changes (the window moves).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from django.db.models import Sum
from django.utils import timezone

from accounts.models import Role, User
from analytics.models import ALL_AFFILIATES, AnalyticsRollup, Dimension, Granularity
from analytics.selectors import analytics_scope_for
from core.live import DatabaseSnapshot, DeltaRow, read_with_snapshot
from marketplace.models import Product

WINDOW_DAYS = 30
ZERO = Decimal(0)


@dataclass(frozen=True)
class CurrencyTotals:
    currency: str
    revenue: Decimal
    commissions: Decimal


@dataclass(frozen=True)
class MerchantLiveStats:
    since: dt.datetime
    clicks: int
    unique_clicks: int
    conversions: int
    # One entry per currency: those of the rollups, plus those of the merchant's products
    # (at zero), so that an idle merchant still sees "0.00 EUR".
    amounts: tuple[CurrencyTotals, ...]


def live_merchant(user: Any, merchant_id: int | None) -> User | None:
    """Whose counters ``user`` may follow: a merchant their own (``merchant_id`` omitted or
    theirs), a brand admin the merchant named. None for anything else (missing, not a merchant,
    another merchant's id)."""
    role = getattr(user, "role", None)
    if role == Role.MERCHANT:
        return user if merchant_id is None or merchant_id == user.pk else None
    if role == Role.BRAND_ADMIN and merchant_id is not None:
        return User.objects.filter(pk=merchant_id, role=Role.MERCHANT).first()
    return None


def merchant_live_program_ids(merchant: User) -> list[int]:
    """The programs of the merchant's products: the channel groups their clicks tick."""
    return sorted(
        set(
            Product.objects.filter(merchant=merchant, program__isnull=False).values_list(
                "program_id", flat=True
            )
        )
    )


def merchant_live_stats(merchant: User, *, now: dt.datetime | None = None) -> MerchantLiveStats:
    """The merchant's counters since the start of the UTC day ``WINDOW_DAYS - 1`` days ago.
    Three queries: the scope, the products' currencies, one grouped read of the daily rows."""
    return _merchant_live_read(merchant, now=now)[0]


def _window_since(now: dt.datetime) -> dt.datetime:
    today = now.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today - dt.timedelta(days=WINDOW_DAYS - 1)


def _merchant_live_read(
    merchant: User, *, now: dt.datetime | None = None
) -> tuple[MerchantLiveStats, frozenset[str]]:
    since = _window_since(now or timezone.now())
    scope = analytics_scope_for(merchant)
    offer_refs = sorted(scope.offer_refs or ())
    product_currencies = set(Product.objects.filter(merchant=merchant).values_list("currency", flat=True))
    rows = (
        AnalyticsRollup.objects.filter(
            granularity=Granularity.DAY,
            dimension=Dimension.ALL,
            bucket_start__gte=since,
            affiliate_id__gt=ALL_AFFILIATES,
            offer_ref__in=offer_refs,
        )
        .values("currency")
        .annotate(
            clicks=Sum("clicks"),
            unique_clicks=Sum("unique_clicks"),
            conversions=Sum("conversions"),
            revenue=Sum("revenue"),
            commissions=Sum("commissions"),
        )
        .order_by("currency")
        if offer_refs
        else []
    )
    clicks = unique_clicks = conversions = 0
    amounts: dict[str, CurrencyTotals] = {
        currency: CurrencyTotals(currency, ZERO, ZERO) for currency in product_currencies
    }
    for row in rows:
        clicks += int(row["clicks"] or 0)
        unique_clicks += int(row["unique_clicks"] or 0)
        conversions += int(row["conversions"] or 0)
        amounts[row["currency"]] = CurrencyTotals(
            row["currency"], row["revenue"] or ZERO, row["commissions"] or ZERO
        )
    stats = MerchantLiveStats(
        since=since,
        clicks=clicks,
        unique_clicks=unique_clicks,
        conversions=conversions,
        amounts=tuple(amounts[currency] for currency in sorted(amounts)),
    )
    return stats, frozenset(offer_refs)


@dataclass(frozen=True)
class MerchantLiveSnapshot:
    """A merchant's counters as read, the offers they count and the database snapshot read."""

    stats: MerchantLiveStats
    offer_refs: frozenset[str]
    snapshot: DatabaseSnapshot

    def is_current(self, now: dt.datetime | None = None) -> bool:
        """False once the UTC day has changed since the read: the window has moved."""
        return _window_since(now or timezone.now()) == self.stats.since


def merchant_live_snapshot(merchant: User) -> MerchantLiveSnapshot:
    """``merchant_live_stats`` read in one snapshot (``core.live.read_with_snapshot``)."""
    (stats, offer_refs), snapshot = read_with_snapshot(_merchant_live_read, merchant)
    return MerchantLiveSnapshot(stats, offer_refs, snapshot)


def merchant_live_apply(
    stats: MerchantLiveStats, offer_refs: frozenset[str], rows: Iterable[DeltaRow]
) -> MerchantLiveStats:
    """``stats`` with the delta rows of the merchant's offers inside the window added (no
    database access). The same object when no row concerns the merchant."""
    since = int(stats.since.timestamp())
    mine = [row for row in rows if row.offer_ref in offer_refs and row.day >= since]
    if not mine:
        return stats
    amounts = {totals.currency: totals for totals in stats.amounts}
    clicks, unique_clicks, conversions = stats.clicks, stats.unique_clicks, stats.conversions
    for row in mine:
        clicks += row.clicks
        unique_clicks += row.unique_clicks
        conversions += row.conversions
        found = amounts.get(row.currency, CurrencyTotals(row.currency, ZERO, ZERO))
        amounts[row.currency] = CurrencyTotals(
            row.currency, found.revenue + row.revenue, found.commissions + row.commissions
        )
    return replace(
        stats,
        clicks=clicks,
        unique_clicks=unique_clicks,
        conversions=conversions,
        amounts=tuple(amounts[currency] for currency in sorted(amounts)),
    )
