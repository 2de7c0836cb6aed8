"""Counters of links and affiliates (the engine's pages): clicks from the one click rollup
(``analytics_rollup``), sales and earnings from the conversion and commission tables, grouped in
SQL, so a page of links costs the same few queries whatever its size.

Clicks are read from the rows of the ``link`` dimension (links) or ``all`` (an affiliate) at
affiliate level: daily rows when the period is whole (all time), hourly rows otherwise. Hourly
rows are kept ``ANALYTICS_HOURLY_RETENTION_DAYS`` (30) days, like every dashboard's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncDay, TruncHour

from affiliation.models import Affiliate, Commission, CommissionStatus, Conversion, Link
from analytics.models import AnalyticsRollup, Dimension, Granularity
from core.live import DeltaRow

ZERO = Decimal(0)


@dataclass(frozen=True)
class LinkStats:
    clicks: int
    unique_clicks: int
    conversions: int
    revenue: Decimal
    earnings: Decimal

    @property
    def conversion_rate(self) -> float:
        return self.conversions / self.unique_clicks if self.unique_clicks else 0.0

    @property
    def earnings_per_click(self) -> Decimal:
        return (
            (self.earnings / self.unique_clicks).quantize(Decimal("0.0001")) if self.unique_clicks else ZERO
        )


EMPTY_STATS = LinkStats(0, 0, 0, ZERO, ZERO)


def _period(queryset: QuerySet, field: str, since: dt.datetime | None, until: dt.datetime | None) -> QuerySet:
    if since is not None:
        queryset = queryset.filter(**{f"{field}__gte": since})
    if until is not None:
        queryset = queryset.filter(**{f"{field}__lt": until})
    return queryset


def link_click_rows(
    link_ids: list[int], *, since: dt.datetime | None = None, until: dt.datetime | None = None
) -> QuerySet[AnalyticsRollup]:
    """The rollup rows counting the clicks of these links: daily for all time, hourly for a
    period. Filtered by the links' affiliates too, for the rollup's affiliate index."""
    granularity = Granularity.DAY if since is None and until is None else Granularity.HOUR
    rows = AnalyticsRollup.objects.filter(
        granularity=granularity,
        dimension=Dimension.LINK,
        affiliate_id__in=Link.objects.filter(pk__in=link_ids).values("affiliate_id"),
        dimension_value__in=[str(link_id) for link_id in link_ids],
    )
    return _period(rows, "bucket_start", since, until)


def link_stats(
    link_ids: Iterable[int], *, since: dt.datetime | None = None, until: dt.datetime | None = None
) -> dict[int, LinkStats]:
    """Stats of many links in three grouped queries."""
    ids = list(link_ids)
    if not ids:
        return {}
    clicks: dict[int, Any] = {
        int(row["dimension_value"]): row
        for row in link_click_rows(ids, since=since, until=until)
        .values("dimension_value")
        .annotate(clicks=Sum("clicks"), unique_clicks=Sum("unique_clicks"))
    }
    sales = {
        row["link_id"]: row
        for row in _period(Conversion.objects.filter(link_id__in=ids), "occurred_at", since, until)
        .values("link_id")
        .annotate(conversions=Count("id"), revenue=Sum(F("amount") - F("refunded_amount")))
    }
    earned = {
        row["conversion__link_id"]: row["earnings"]
        for row in _period(
            Commission.objects.filter(conversion__link_id__in=ids, level=0),
            "conversion__occurred_at",
            since,
            until,
        )
        .values("conversion__link_id")
        .annotate(earnings=Sum(F("amount") - F("reversed_amount")))
    }
    return {
        link_id: LinkStats(
            clicks=int(clicks.get(link_id, {}).get("clicks") or 0),
            unique_clicks=int(clicks.get(link_id, {}).get("unique_clicks") or 0),
            conversions=int(sales.get(link_id, {}).get("conversions") or 0),
            revenue=sales.get(link_id, {}).get("revenue") or ZERO,
            earnings=earned.get(link_id) or ZERO,
        )
        for link_id in ids
    }


@dataclass(frozen=True)
class StatsPoint:
    bucket: dt.datetime
    clicks: int
    unique_clicks: int
    conversions: int
    earnings: Decimal


def link_stats_series(
    link: Link, *, since: dt.datetime, until: dt.datetime, granularity: str
) -> list[StatsPoint]:
    """Clicks, conversions and earnings of one link per hour or per day (empty buckets omitted).
    Clicks by the hour come from hourly rows (kept 30 days); by the day, from daily rows."""
    trunc = TruncHour if granularity == "hour" else TruncDay
    by_hour = granularity == "hour"
    # Daily rows count whole days: the day ``since`` falls in counts whole.
    first_bucket = (
        since if by_hour else since.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    )
    rows = AnalyticsRollup.objects.filter(
        granularity=Granularity.HOUR if by_hour else Granularity.DAY,
        dimension=Dimension.LINK,
        affiliate_id=link.affiliate_id,
        dimension_value=str(link.pk),
        bucket_start__gte=first_bucket,
        bucket_start__lt=until,
    )
    clicks = {
        row["bucket_start"]: (row["clicks"], row["unique_clicks"])
        for row in rows.values("bucket_start").annotate(
            clicks=Sum("clicks"), unique_clicks=Sum("unique_clicks")
        )
    }
    sales = {
        row["bucket"]: (row["conversions"], row["earnings"])
        for row in Conversion.objects.filter(link=link, occurred_at__gte=since, occurred_at__lt=until)
        .annotate(bucket=trunc("occurred_at"))
        .values("bucket")
        .annotate(
            conversions=Count("id", distinct=True),
            earnings=Coalesce(
                Sum(
                    F("commissions__amount") - F("commissions__reversed_amount"),
                    filter=Q(commissions__level=0),
                ),
                ZERO,
            ),
        )
    }
    return [
        StatsPoint(
            bucket=bucket,
            clicks=int(clicks.get(bucket, (0, 0))[0]),
            unique_clicks=int(clicks.get(bucket, (0, 0))[1]),
            conversions=int(sales.get(bucket, (0, ZERO))[0]),
            earnings=sales.get(bucket, (0, ZERO))[1],
        )
        for bucket in sorted({*clicks, *sales})
    ]


@dataclass(frozen=True)
class AffiliateTotals:
    clicks: int
    unique_clicks: int
    conversions: int
    earnings: Decimal
    currency: str


def affiliate_totals(affiliate: Affiliate) -> AffiliateTotals:
    """Counters of one affiliate (membership), all time: three aggregate queries. The live
    subscription reads them once (``core.live.read_with_snapshot``), then applies its ticks."""
    clicks = AnalyticsRollup.objects.filter(
        affiliate_id=affiliate.pk,
        granularity=Granularity.DAY,
        dimension=Dimension.ALL,
        program_id=affiliate.program_id,
    ).aggregate(clicks=Coalesce(Sum("clicks"), 0), unique_clicks=Coalesce(Sum("unique_clicks"), 0))
    conversions = Conversion.objects.filter(affiliate=affiliate).count()
    earnings = (
        Commission.objects.filter(beneficiary=affiliate)
        .exclude(status=CommissionStatus.REVERSED)
        .aggregate(total=Coalesce(Sum(F("amount") - F("reversed_amount")), ZERO))["total"]
    )
    return AffiliateTotals(
        clicks=int(clicks["clicks"]),
        unique_clicks=int(clicks["unique_clicks"]),
        conversions=conversions,
        earnings=earnings,
        currency=affiliate.program.currency,
    )


def affiliate_totals_apply(totals: AffiliateTotals, rows: Iterable[DeltaRow]) -> AffiliateTotals:
    """``totals`` with the live delta rows of the affiliate added (no database access)."""
    clicks, unique_clicks, conversions, earnings = (
        totals.clicks,
        totals.unique_clicks,
        totals.conversions,
        totals.earnings,
    )
    for row in rows:
        clicks += row.clicks
        unique_clicks += row.unique_clicks
        conversions += row.conversions
        earnings += row.commissions
    return replace(
        totals, clicks=clicks, unique_clicks=unique_clicks, conversions=conversions, earnings=earnings
    )
