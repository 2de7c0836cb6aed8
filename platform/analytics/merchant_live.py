"""A merchant's live counters: what the affiliates' links to the merchant's own products did
over the last 30 days (today included, whole UTC days), read from the daily rollups.

The click drain writes the rollups in the transaction that stores the clicks and ticks the
programs' channel groups after the commit, so a re-read on a tick sees the click. The read is
scoped like the analytics dashboards (``analytics_scope_for``): the offers of the merchant's
products only, never another merchant's, even in a program they share.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Sum
from django.utils import timezone

from accounts.models import Role, User
from analytics.models import ALL_AFFILIATES, AnalyticsRollup, Dimension, Granularity
from analytics.selectors import analytics_scope_for
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
    now = now or timezone.now()
    today = now.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    since = today - dt.timedelta(days=WINDOW_DAYS - 1)
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
    return MerchantLiveStats(
        since=since,
        clicks=clicks,
        unique_clicks=unique_clicks,
        conversions=conversions,
        amounts=tuple(amounts[currency] for currency in sorted(amounts)),
    )
