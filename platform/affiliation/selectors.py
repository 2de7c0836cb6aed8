"""Reads of the affiliate engine. Stats come from the hourly click rollups and the
conversion/commission tables, grouped in SQL: a page of links costs the same few queries
whatever its size."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncDay, TruncHour

from accounts.models import Role, User
from affiliation.models import (
    Affiliate,
    Commission,
    CommissionStatus,
    Conversion,
    Link,
    Program,
)
from ledger.owners import Owner
from ledger.selectors import Balance, owner_balance
from tracking.models import ClickRollup

ZERO = Decimal(0)


def programs_visible_to(user: User | None) -> QuerySet[Program]:
    """Active programs for everyone; every program for brand admins."""
    programs = Program.objects.prefetch_related("tiers").order_by("id")
    if user is not None and getattr(user, "role", None) == Role.BRAND_ADMIN:
        return programs
    return programs.filter(is_active=True)


def memberships_of(user: User) -> QuerySet[Affiliate]:
    return Affiliate.objects.select_related("program", "tier").filter(user=user).order_by("id")


def affiliate_balance(affiliate: Affiliate) -> Balance:
    """The affiliate's balances in the program's currency, from the ledger."""
    return owner_balance(owner=Owner.affiliate(affiliate.pk), currency=affiliate.program.currency)


def membership(user: User, program_id: int) -> Affiliate | None:
    return memberships_of(user).filter(program_id=program_id).first()


def affiliate_user_ids(affiliate_ids: Iterable[int]) -> dict[int, int]:
    """The user of each membership (affiliate id -> user id), in one query."""
    rows = Affiliate.objects.filter(pk__in=list(affiliate_ids)).values_list("pk", "user_id")
    return dict(rows)


def conversion_merchant_id(conversion_id: int) -> int | None:
    """The merchant a sale was recorded for; None for brand-wide sales."""
    return Conversion.objects.filter(pk=conversion_id).values_list("merchant_id", flat=True).first()


def links_of(user: User, *, program_id: int | None = None, include_archived: bool = False) -> QuerySet[Link]:
    links = Link.objects.filter(affiliate__user=user)
    if program_id is not None:
        links = links.filter(program_id=program_id)
    if not include_archived:
        links = links.filter(archived_at__isnull=True)
    return links


def commissions_of(
    user: User, *, status: str | None = None, program_id: int | None = None
) -> QuerySet[Commission]:
    commissions = Commission.objects.select_related("conversion").filter(beneficiary__user=user)
    if status:
        commissions = commissions.filter(status=status)
    if program_id is not None:
        commissions = commissions.filter(program_id=program_id)
    return commissions


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


def link_stats(
    link_ids: Iterable[int], *, since: dt.datetime | None = None, until: dt.datetime | None = None
) -> dict[int, LinkStats]:
    """Stats of many links in three grouped queries."""
    ids = list(link_ids)
    if not ids:
        return {}
    clicks = {
        row["link_id"]: row
        for row in _period(ClickRollup.objects.filter(link_id__in=ids), "hour", since, until)
        .values("link_id")
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
    """Clicks, conversions and earnings of one link per hour or per day (empty buckets omitted)."""
    trunc = TruncHour if granularity == "hour" else TruncDay
    clicks = {
        row["bucket"]: (row["clicks"], row["unique_clicks"])
        for row in ClickRollup.objects.filter(link=link, hour__gte=since, hour__lt=until)
        .annotate(bucket=trunc("hour"))
        .values("bucket")
        .annotate(clicks=Sum("clicks"), unique_clicks=Sum("unique_clicks"))
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
    """Live counters of one affiliate: three aggregate queries."""
    clicks = ClickRollup.objects.filter(affiliate_id=affiliate.pk).aggregate(
        clicks=Coalesce(Sum("clicks"), 0), unique_clicks=Coalesce(Sum("unique_clicks"), 0)
    )
    conversions = Conversion.objects.filter(affiliate=affiliate).count()
    earnings = (
        Commission.objects.filter(beneficiary=affiliate)
        .exclude(status=CommissionStatus.REVERSED)
        .aggregate(total=Coalesce(Sum(F("amount") - F("reversed_amount")), ZERO))["total"]
    )
    return AffiliateTotals(
        clicks=clicks["clicks"],
        unique_clicks=clicks["unique_clicks"],
        conversions=conversions,
        earnings=earnings,
        currency=affiliate.program.currency,
    )
