"""Reads of analytics: dashboards served from the rollups (``analytics.models``), never from the
raw clicks, in a fixed number of queries whatever the traffic: the series (one grouped query,
whose sum is the totals), the breakdowns (one query, top N of each dimension by a window
function), the previous period (one), the labels of what the breakdowns name (one per kind).

Who sees what is an ``AnalyticsScope``, built once per request by ``analytics_scope_for`` and
applied to every query here: a brand admin sees everything, a merchant the offers of their
products, anyone else the affiliates they are.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection
from django.utils import timezone

from accounts.models import Role
from affiliation.models import Affiliate, Link, Program
from analytics.error_codes import AnalyticsErrorCode as Code
from analytics.models import ALL_AFFILIATES, Dimension, Granularity, PageDimension
from core.errors import field_error

ZERO = Decimal(0)
EPC_EXPONENT = Decimal("0.0001")
MAX_HOUR_BUCKETS = 24 * 7  # hourly rows are kept ANALYTICS_HOURLY_RETENTION_DAYS (30) days
MAX_DAY_BUCKETS = 400
MAX_TOP = 100
EXPORT_LIMIT = 10_000
# The dimensions a dashboard may filter on besides program, affiliate and offer: one at a time.
ROW_FILTERS = (Dimension.LINK, Dimension.COUNTRY, Dimension.DEVICE, Dimension.BROWSER, Dimension.SOURCE)
OFFER = "offer"
AFFILIATE = "affiliate"
PROGRAM = "program"
BREAKDOWNS = (
    Dimension.LINK.value,
    OFFER,
    AFFILIATE,
    PROGRAM,
    Dimension.COUNTRY.value,
    Dimension.DEVICE.value,
    Dimension.BROWSER.value,
    Dimension.SOURCE.value,
)
# What each breakdown groups by, in the rows scanned for it.
_GROUPED = {
    Dimension.LINK.value: "dimension_value",
    AFFILIATE: "affiliate_id::text",
    OFFER: "offer_ref",
    PROGRAM: "program_id::text",
}
_RANK = (
    "row_number() OVER (PARTITION BY {partition} ORDER BY sum(clicks) DESC, sum(conversions) DESC, "
    "sum(commissions) DESC, {key}) AS rank"
)
_SUMS = (
    "coalesce(sum(clicks), 0), coalesce(sum(unique_clicks), 0), coalesce(sum(signups), 0), "
    "coalesce(sum(conversions), 0), coalesce(sum(revenue), 0), coalesce(sum(commissions), 0)"
)


# --- who sees what ------------------------------------------------------------------------


@dataclass(frozen=True)
class AnalyticsScope:
    """Rows a reader may see. ``None`` means no restriction on that column."""

    affiliate_ids: frozenset[int] | None = None
    offer_refs: frozenset[str] | None = None
    is_brand_admin: bool = False

    @property
    def is_restricted(self) -> bool:
        return self.affiliate_ids is not None or self.offer_refs is not None

    @property
    def is_empty(self) -> bool:
        return (self.affiliate_ids is not None and not self.affiliate_ids) or (
            self.offer_refs is not None and not self.offer_refs
        )


def analytics_scope_for(user: Any) -> AnalyticsScope:
    """Brand admin: everything. Merchant: the offers of their products (``product:<id>``), never
    another merchant's, even in a program they share. Anyone else: their own memberships."""
    role = getattr(user, "role", None)
    if role == Role.BRAND_ADMIN:
        return AnalyticsScope(is_brand_admin=True)
    if role == Role.MERCHANT:
        from marketplace.models import Product

        product_ids = Product.objects.filter(merchant=user).values_list("pk", flat=True)
        return AnalyticsScope(offer_refs=frozenset(f"product:{pk}" for pk in product_ids))
    return AnalyticsScope(
        affiliate_ids=frozenset(Affiliate.objects.filter(user=user).values_list("pk", flat=True))
    )


# --- figures --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Metrics:
    clicks: int = 0
    unique_clicks: int = 0
    signups: int = 0
    conversions: int = 0
    revenue: Decimal = ZERO
    commissions: Decimal = ZERO

    @classmethod
    def from_row(cls, row: Iterable[Any]) -> Metrics:
        clicks, unique_clicks, signups, conversions, revenue, commissions = row
        return cls(int(clicks), int(unique_clicks), int(signups), int(conversions), revenue, commissions)

    def __add__(self, other: Metrics) -> Metrics:
        return Metrics(
            self.clicks + other.clicks,
            self.unique_clicks + other.unique_clicks,
            self.signups + other.signups,
            self.conversions + other.conversions,
            self.revenue + other.revenue,
            self.commissions + other.commissions,
        )

    @property
    def earnings_per_click(self) -> Decimal:
        """Commissions per click (every counted click), to 4 decimals, half up."""
        if not self.clicks:
            return ZERO
        return (self.commissions / self.clicks).quantize(EPC_EXPONENT, rounding=ROUND_HALF_UP)

    @property
    def conversion_rate(self) -> float:
        """Conversions per unique click (a ratio, 0.05 is 5 %)."""
        return self.conversions / self.unique_clicks if self.unique_clicks else 0.0

    def compared_to(self, previous: Metrics) -> dict[str, float | None]:
        """Relative change of each figure against ``previous`` (0.25 is +25 %); None from 0."""

        def change(current: Any, before: Any) -> float | None:
            return float((current - before) / before) if before else None

        return {
            "clicks": change(self.clicks, previous.clicks),
            "unique_clicks": change(self.unique_clicks, previous.unique_clicks),
            "signups": change(self.signups, previous.signups),
            "conversions": change(self.conversions, previous.conversions),
            "revenue": change(self.revenue, previous.revenue),
            "commissions": change(self.commissions, previous.commissions),
            "earnings_per_click": change(self.earnings_per_click, previous.earnings_per_click),
            "conversion_rate": change(self.conversion_rate, previous.conversion_rate),
        }


EMPTY = Metrics()


@dataclass(frozen=True)
class AnalyticsFilter:
    """A dashboard's question. ``start``/``end`` are widened to whole buckets (end exclusive)."""

    start: dt.datetime
    end: dt.datetime
    granularity: str = Granularity.DAY.value
    program_id: int | None = None
    affiliate_id: int | None = None
    link_id: int | None = None
    offer_ref: str | None = None
    country: str | None = None
    device: str | None = None
    browser: str | None = None
    source: str | None = None
    currency: str | None = None

    @property
    def row_filter(self) -> tuple[str, str] | None:
        """The one row dimension filtered on, with its value as the rollups store it."""
        chosen = [
            (dimension, value)
            for dimension, value in (
                (Dimension.LINK.value, None if self.link_id is None else str(self.link_id)),
                (Dimension.COUNTRY.value, self.country.upper() if self.country is not None else None),
                (Dimension.DEVICE.value, self.device.lower() if self.device is not None else None),
                (Dimension.BROWSER.value, self.browser),
                (Dimension.SOURCE.value, self.source.lower() if self.source is not None else None),
            )
            if value is not None
        ]
        return chosen[0] if chosen else None

    @property
    def bucket_seconds(self) -> int:
        return 3600 if self.granularity == Granularity.HOUR else 86400

    def previous(self) -> AnalyticsFilter:
        """The period of the same length just before this one."""
        return replace(self, start=self.start - (self.end - self.start), end=self.start)


def _floor(moment: dt.datetime, seconds: int) -> dt.datetime:
    stamp = int(moment.timestamp())
    return dt.datetime.fromtimestamp(stamp - stamp % seconds, dt.UTC)


def analytics_filter_normalize(report_filter: AnalyticsFilter) -> AnalyticsFilter:
    """Whole buckets (UTC; times without a zone are UTC), a range that fits the granularity,
    at most one row filter."""
    if report_filter.granularity not in Granularity.values:
        raise field_error("granularity", "Choose hour or day.", Code.INVALID_FILTER)
    seconds = report_filter.bucket_seconds
    start, end = report_filter.start, report_filter.end
    if timezone.is_naive(start):
        start = start.replace(tzinfo=dt.UTC)
    if timezone.is_naive(end):
        end = end.replace(tzinfo=dt.UTC)
    start = _floor(start, seconds)
    floored_end = _floor(end, seconds)
    end = floored_end if floored_end == end else floored_end + dt.timedelta(seconds=seconds)
    limit = MAX_HOUR_BUCKETS if seconds == 3600 else MAX_DAY_BUCKETS
    buckets = (end - start).total_seconds() / seconds
    if buckets <= 0 or buckets > limit:
        raise field_error(
            "to",
            f"Choose a range that ends after it starts, of at most {limit} {report_filter.granularity}s.",
            Code.INVALID_RANGE,
        )
    chosen = [
        name
        for name, value in (
            ("linkId", report_filter.link_id),
            ("country", report_filter.country),
            ("device", report_filter.device),
            ("browser", report_filter.browser),
            ("source", report_filter.source),
        )
        if value is not None
    ]
    if len(chosen) > 1:
        raise field_error(
            chosen[1],
            "Filter on one of link, country, device, browser and source at a time.",
            Code.INVALID_FILTER,
        )
    return replace(report_filter, start=start, end=end)


# --- the report -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SeriesPoint:
    bucket: dt.datetime
    metrics: Metrics


@dataclass(frozen=True)
class BreakdownRow:
    value: str
    label: str
    metrics: Metrics


@dataclass(frozen=True)
class Breakdown:
    dimension: str
    rows: list[BreakdownRow]


@dataclass(frozen=True)
class FunnelStep:
    name: str
    count: int
    rate_from_previous: float | None
    rate_from_first: float | None


@dataclass(frozen=True)
class Comparison:
    start: dt.datetime
    end: dt.datetime
    totals: Metrics
    changes: dict[str, float | None]


@dataclass(frozen=True)
class AnalyticsReport:
    start: dt.datetime
    end: dt.datetime
    granularity: str
    currency: str
    currencies: list[str]
    totals: Metrics
    series: list[SeriesPoint]
    breakdowns: list[Breakdown]
    funnel: list[FunnelStep]
    comparison: Comparison | None = None
    omitted_breakdowns: list[str] = field(default_factory=list)


class _Rows:
    """WHERE clauses over ``analytics_rollup`` for one filter, scope and currency."""

    def __init__(self, report_filter: AnalyticsFilter, scope: AnalyticsScope, currency: str) -> None:
        self.filter = report_filter
        self.scope = scope
        self.currency = currency
        row_filter = report_filter.row_filter
        self.base_dimension = row_filter[0] if row_filter else Dimension.ALL.value
        # Program-level rows answer the brand-wide questions; anything about affiliates or
        # offers (and links, which exist at affiliate level only) reads affiliate-level rows.
        self.affiliate_level = (
            scope.is_restricted
            or report_filter.affiliate_id is not None
            or report_filter.offer_ref is not None
            or self.base_dimension == Dimension.LINK
        )
        # Daily rows are the sums of the hourly ones (one upsert writes both): a period of
        # whole days is broken down from them, a 24th of the rows, whatever the series' step.
        whole_days = (
            report_filter.start.timestamp() % 86400 == 0 and report_filter.end.timestamp() % 86400 == 0
        )
        self.summary_granularity = Granularity.DAY.value if whole_days else report_filter.granularity

    def where(
        self,
        dimensions: list[str],
        *,
        affiliate_level: bool,
        granularity: str | None = None,
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
    ) -> tuple[str, list[Any]]:
        report_filter = self.filter
        clauses = [
            "granularity = %s",
            "dimension = %s" if len(dimensions) == 1 else "dimension = ANY(%s::text[])",
            "bucket_start >= %s",
            "bucket_start < %s",
            "currency = %s",
            "affiliate_id > %s" if affiliate_level else "affiliate_id = %s",
        ]
        params: list[Any] = [
            granularity or report_filter.granularity,
            dimensions[0] if len(dimensions) == 1 else dimensions,
            start or report_filter.start,
            end or report_filter.end,
            self.currency,
            ALL_AFFILIATES,
        ]
        row_filter = report_filter.row_filter
        if row_filter is not None and row_filter[0] in dimensions:
            clauses.append("dimension_value = %s")
            params.append(row_filter[1])
        if report_filter.program_id is not None:
            clauses.append("program_id = %s")
            params.append(report_filter.program_id)
        if affiliate_level:
            if report_filter.affiliate_id is not None:
                clauses.append("affiliate_id = %s")
                params.append(report_filter.affiliate_id)
            if report_filter.offer_ref is not None:
                clauses.append("offer_ref = %s")
                params.append(report_filter.offer_ref)
            if self.scope.affiliate_ids is not None:
                clauses.append("affiliate_id = ANY(%s::bigint[])")
                params.append(sorted(self.scope.affiliate_ids))
            if self.scope.offer_refs is not None:
                clauses.append("offer_ref = ANY(%s::text[])")
                params.append(sorted(self.scope.offer_refs))
        return " AND ".join(clauses), params

    def base(self, **period: Any) -> tuple[str, list[Any]]:
        return self.where([self.base_dimension], affiliate_level=self.affiliate_level, **period)

    def breakdown_parts(self, dimensions: list[str]) -> tuple[list[tuple[str, list[Any]]], list[str]]:
        """Grouped, ranked SELECTs answering ``dimensions``, and those the rows cannot answer
        under this filter (a row dimension other than the one filtered on: rows are per
        dimension, not per combination of dimensions).

        Three scans at most. Link rows hold every event once with its affiliate and offer, so
        links, affiliates and offers come from one scan of them (``GROUPING SETS``); with a
        filter on a traffic dimension, affiliates and offers come from that dimension's rows.
        The traffic dimensions share a second scan; programs come from program-level rows."""
        parts: list[tuple[str, list[Any]]] = []
        omitted: list[str] = []
        if self.base_dimension in (Dimension.ALL, Dimension.LINK):
            scanned = Dimension.LINK.value
            grouped = [d for d in (Dimension.LINK.value, AFFILIATE, OFFER) if d in dimensions]
        else:
            scanned = self.base_dimension
            grouped = [d for d in (AFFILIATE, OFFER) if d in dimensions]
            omitted += [Dimension.LINK.value] if Dimension.LINK in dimensions else []
        if PROGRAM in dimensions and self.affiliate_level:
            grouped.append(PROGRAM)
        if grouped:
            parts.append(self._grouped_part(scanned, grouped, affiliate_level=True))
        if PROGRAM in dimensions and not self.affiliate_level:
            parts.append(self._grouped_part(self.base_dimension, [PROGRAM], affiliate_level=False))
        traffic = [d for d in dimensions if d not in (Dimension.LINK, AFFILIATE, OFFER, PROGRAM)]
        answerable = [d for d in traffic if self.base_dimension in (Dimension.ALL, Dimension.LINK, d)]
        if self.base_dimension == Dimension.LINK:
            answerable = []  # a link's traffic is not broken down (rows are per dimension)
        omitted += [d for d in traffic if d not in answerable]
        if answerable:
            where, params = self.where(
                answerable, affiliate_level=self.affiliate_level, granularity=self.summary_granularity
            )
            parts.append(
                (
                    f"SELECT dimension AS breakdown, dimension_value AS key, {_SUMS}, "  # noqa: S608
                    + _RANK.format(partition="dimension", key="dimension_value")
                    + f" FROM analytics_rollup WHERE {where} GROUP BY dimension, dimension_value",
                    params,
                )
            )
        return parts, omitted

    def _grouped_part(
        self, scanned: str, grouped: list[str], *, affiliate_level: bool
    ) -> tuple[str, list[Any]]:
        """One scan of ``scanned`` rows, grouped by each of ``grouped`` (GROUPING SETS)."""
        where, params = self.where(
            [scanned], affiliate_level=affiliate_level, granularity=self.summary_granularity
        )
        expressions = [_GROUPED[dimension] for dimension in grouped]
        kind = " ".join(
            f"WHEN grouping({expression}) = 0 THEN '{dimension}'"
            for dimension, expression in zip(grouped, expressions, strict=True)
        )
        key = "coalesce(" + ", ".join(f"{expression}::text" for expression in expressions) + ")"
        sets = ", ".join(f"({expression})" for expression in expressions)
        partition = ", ".join(f"grouping({expression})" for expression in expressions)
        return (
            f"SELECT CASE {kind} END AS breakdown, {key} AS key, {_SUMS}, "  # noqa: S608
            + _RANK.format(partition=partition, key=key)
            + f" FROM analytics_rollup WHERE {where} GROUP BY GROUPING SETS ({sets})",
            params,
        )


def _series(rows: _Rows) -> list[SeriesPoint]:
    where, params = rows.base()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT bucket_start, {_SUMS} FROM analytics_rollup WHERE {where} "  # noqa: S608
            "GROUP BY bucket_start ORDER BY bucket_start",
            params,
        )
        found = {bucket: Metrics.from_row(values) for bucket, *values in cursor.fetchall()}
    return [
        SeriesPoint(bucket=point.bucket, metrics=found.get(point.bucket, EMPTY))
        for point in _empty_series(rows.filter)
    ]


def _period_totals(rows: _Rows, start: dt.datetime, end: dt.datetime) -> Metrics:
    where, params = rows.base(start=start, end=end, granularity=rows.summary_granularity)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {_SUMS} FROM analytics_rollup WHERE {where}", params)  # noqa: S608
        return Metrics.from_row(cursor.fetchone())


def _breakdown_rows(
    rows: _Rows, dimensions: Iterable[str], top: int | None
) -> tuple[dict[str, list[tuple[str, Metrics]]], list[str]]:
    wanted = list(dimensions)
    parts, omitted = rows.breakdown_parts(wanted)
    found: dict[str, list[tuple[str, Metrics]]] = {
        dimension: [] for dimension in wanted if dimension not in omitted
    }
    if not parts:
        return found, omitted
    union = " UNION ALL ".join(f"({sql})" for sql, _ in parts)
    params = [param for _, part_params in parts for param in part_params]
    params.append(top or EXPORT_LIMIT)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT * FROM ({union}) AS ranked WHERE rank <= %s ORDER BY breakdown, rank",  # noqa: S608
            params,
        )
        for dimension, key, *values, _rank in cursor.fetchall():
            found[dimension].append((str(key), Metrics.from_row(values)))
    return found, omitted


# The name of the empty value ("none": a sale by coupon, a click from an unknown country) in the
# CSV export, in the brand's language. The API leaves it out (an empty label) and the web app
# says it in the reader's language.
NONE_LABELS: dict[str, dict[str, str]] = {
    "en": {
        Dimension.LINK.value: "No link (coupon or direct sale)",
        OFFER: "No offer",
        Dimension.COUNTRY.value: "Unknown",
        Dimension.DEVICE.value: "Unknown",
        Dimension.BROWSER.value: "Unknown",
        Dimension.SOURCE.value: "Not from traffic",
    },
    "fr": {
        Dimension.LINK.value: "Sans lien (coupon ou vente directe)",
        OFFER: "Sans offre",
        Dimension.COUNTRY.value: "Inconnu",
        Dimension.DEVICE.value: "Inconnu",
        Dimension.BROWSER.value: "Inconnu",
        Dimension.SOURCE.value: "Hors trafic",
    },
}


def none_label(dimension: str, language: str) -> str:
    return NONE_LABELS.get(language, NONE_LABELS["en"]).get(dimension, "")


def _labels(found: dict[str, list[tuple[str, Metrics]]], scope: AnalyticsScope) -> dict[tuple[str, str], str]:
    """Names for the ids the breakdowns hold: one query per kind that has any."""
    labels: dict[tuple[str, str], str] = {}

    def ids(dimension: str) -> list[int]:
        return [int(key) for key, _ in found.get(dimension, []) if key.isdigit()]

    if link_ids := ids(Dimension.LINK.value):
        for link_id, code, title in Link.objects.filter(pk__in=link_ids).values_list("pk", "code", "title"):
            labels[(Dimension.LINK.value, str(link_id))] = f"{title} ({code})" if title else code
    if affiliate_ids := ids(AFFILIATE):
        for affiliate_id, name, email, referral_code in Affiliate.objects.filter(
            pk__in=affiliate_ids
        ).values_list("pk", "user__full_name", "user__email", "referral_code"):
            # Only brand admins see emails; merchants see a name or the referral code.
            labels[(AFFILIATE, str(affiliate_id))] = name or (
                email if scope.is_brand_admin else referral_code
            )
    if program_ids := ids(PROGRAM):
        for program_id, name in Program.objects.filter(pk__in=program_ids).values_list("pk", "name"):
            labels[(PROGRAM, str(program_id))] = name
    product_ids = [
        int(key.removeprefix("product:"))
        for key, _ in found.get(OFFER, [])
        if key.startswith("product:") and key.removeprefix("product:").isdigit()
    ]
    if product_ids:
        from marketplace.models import Product

        for product_id, title in Product.objects.filter(pk__in=product_ids).values_list("pk", "title"):
            labels[(OFFER, f"product:{product_id}")] = title
    return labels


def _breakdowns(rows: _Rows, dimensions: Iterable[str], top: int | None) -> tuple[list[Breakdown], list[str]]:
    found, omitted = _breakdown_rows(rows, dimensions, top)
    labels = _labels(found, rows.scope)
    result = [
        Breakdown(
            dimension=dimension,
            rows=[
                BreakdownRow(
                    value=key,
                    label=labels.get((dimension, key)) or key,
                    metrics=metrics,
                )
                for key, metrics in entries
            ],
        )
        for dimension, entries in found.items()
    ]
    return result, omitted


def program_currencies() -> dict[int, str]:
    return dict(Program.objects.values_list("pk", "currency"))


def report_currency(report_filter: AnalyticsFilter, currencies: dict[int, str], default: str) -> str:
    """The currency of the figures: asked for, else the program's, else the brand's."""
    if report_filter.currency:
        return report_filter.currency.upper()
    if report_filter.program_id is not None and report_filter.program_id in currencies:
        return currencies[report_filter.program_id]
    present = sorted(set(currencies.values()))
    return default if default in present or not present else present[0]


def funnel_steps(totals: Metrics) -> list[FunnelStep]:
    """Unique clicks → signups (attributed through the click cookie) → purchases."""
    steps = [("clicks", totals.unique_clicks), ("signups", totals.signups), ("purchases", totals.conversions)]
    first = steps[0][1]
    result = []
    previous: int | None = None
    for name, count in steps:
        result.append(
            FunnelStep(
                name=name,
                count=count,
                rate_from_previous=None if previous is None else (count / previous if previous else None),
                rate_from_first=count / first if first else None,
            )
        )
        previous = count
    return result


def analytics_report(
    *,
    report_filter: AnalyticsFilter,
    scope: AnalyticsScope,
    default_currency: str,
    compare_to_previous: bool = False,
    top: int = 10,
    breakdowns: Iterable[str] = BREAKDOWNS,
) -> AnalyticsReport:
    """The dashboard: series, totals, top ``top`` per breakdown, funnel, previous period."""
    report_filter = analytics_filter_normalize(report_filter)
    top = max(1, min(top, MAX_TOP))
    currencies = program_currencies()
    currency = report_currency(report_filter, currencies, default_currency)
    rows = _Rows(report_filter, scope, currency)
    wanted = [dimension for dimension in BREAKDOWNS if dimension in set(breakdowns)]
    if scope.is_empty:
        series = _empty_series(report_filter)
        found: list[Breakdown] = [Breakdown(dimension=dimension, rows=[]) for dimension in wanted]
        omitted: list[str] = []
        previous_totals = EMPTY
    else:
        series = _series(rows)
        found, omitted = _breakdowns(rows, wanted, top)
        previous_totals = EMPTY
        if compare_to_previous:
            before = report_filter.previous()
            previous_totals = _period_totals(rows, before.start, before.end)
    totals = sum((point.metrics for point in series), EMPTY)
    comparison = None
    if compare_to_previous:
        before = report_filter.previous()
        comparison = Comparison(
            start=before.start,
            end=before.end,
            totals=previous_totals,
            changes=totals.compared_to(previous_totals),
        )
    return AnalyticsReport(
        start=report_filter.start,
        end=report_filter.end,
        granularity=report_filter.granularity,
        currency=currency,
        currencies=sorted(set(currencies.values())),
        totals=totals,
        series=series,
        breakdowns=found,
        funnel=funnel_steps(totals),
        comparison=comparison,
        omitted_breakdowns=omitted,
    )


def _empty_series(report_filter: AnalyticsFilter) -> list[SeriesPoint]:
    step = dt.timedelta(seconds=report_filter.bucket_seconds)
    points = []
    bucket = report_filter.start
    while bucket < report_filter.end:
        points.append(SeriesPoint(bucket=bucket, metrics=EMPTY))
        bucket += step
    return points


def analytics_breakdown(
    *, report_filter: AnalyticsFilter, scope: AnalyticsScope, default_currency: str, dimension: str
) -> tuple[str, Breakdown | None]:
    """Every row of one breakdown (up to ``EXPORT_LIMIT``), for exports. None: not answerable
    under this filter (see ``_Rows.breakdown_part``)."""
    report_filter = analytics_filter_normalize(report_filter)
    currency = report_currency(report_filter, program_currencies(), default_currency)
    if dimension not in BREAKDOWNS:
        raise field_error("breakdown", f"Choose one of {', '.join(BREAKDOWNS)}.", Code.INVALID_FILTER)
    if scope.is_empty:
        return currency, Breakdown(dimension=dimension, rows=[])
    found, omitted = _breakdowns(_Rows(report_filter, scope, currency), [dimension], None)
    return currency, (None if omitted else found[0])


def analytics_series(
    *, report_filter: AnalyticsFilter, scope: AnalyticsScope, default_currency: str
) -> tuple[str, list[SeriesPoint]]:
    report_filter = analytics_filter_normalize(report_filter)
    currency = report_currency(report_filter, program_currencies(), default_currency)
    if scope.is_empty:
        return currency, _empty_series(report_filter)
    return currency, _series(_Rows(report_filter, scope, currency))


# --- first-party page analytics -----------------------------------------------------------


@dataclass(frozen=True)
class PageMetrics:
    page_views: int = 0
    sessions: int = 0
    visitors: int = 0

    def __add__(self, other: PageMetrics) -> PageMetrics:
        return PageMetrics(
            self.page_views + other.page_views, self.sessions + other.sessions, self.visitors + other.visitors
        )


@dataclass(frozen=True)
class PagePoint:
    day: dt.date
    metrics: PageMetrics


@dataclass(frozen=True)
class PageBreakdown:
    dimension: str
    rows: list[tuple[str, PageMetrics]]


@dataclass(frozen=True)
class PageReport:
    start: dt.date
    end: dt.date  # exclusive
    totals: PageMetrics
    series: list[PagePoint]
    breakdowns: list[PageBreakdown]


PAGE_BREAKDOWNS = [dimension for dimension in PageDimension.values if dimension != PageDimension.ALL]


def page_report(*, start: dt.date, end: dt.date, top: int = 10) -> PageReport:
    """Page views, sessions and visitors per day, and the top values of each page dimension."""
    days = (end - start).days
    if days <= 0 or days > MAX_DAY_BUCKETS:
        raise field_error(
            "to",
            f"Choose a range that ends after it starts, of at most {MAX_DAY_BUCKETS} days.",
            Code.INVALID_RANGE,
        )
    top = max(1, min(top, MAX_TOP))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT day, page_views, sessions, visitors FROM analytics_page_rollup "
            "WHERE dimension = %s AND day >= %s AND day < %s",
            [PageDimension.ALL.value, start, end],
        )
        by_day = {day: PageMetrics(views, sessions, visitors) for day, views, sessions, visitors in cursor}
        cursor.execute(
            "SELECT dimension, dimension_value, views, sessions, visitors FROM ("
            " SELECT dimension, dimension_value, sum(page_views) AS views, sum(sessions) AS sessions,"
            " sum(visitors) AS visitors, row_number() OVER (PARTITION BY dimension"
            " ORDER BY sum(page_views) DESC, sum(sessions) DESC, dimension_value) AS rank"
            " FROM analytics_page_rollup WHERE dimension <> %s AND day >= %s AND day < %s"
            " GROUP BY dimension, dimension_value) AS ranked WHERE rank <= %s ORDER BY dimension, rank",
            [PageDimension.ALL.value, start, end, top],
        )
        grouped: dict[str, list[tuple[str, PageMetrics]]] = {dimension: [] for dimension in PAGE_BREAKDOWNS}
        for dimension, value, views, sessions, visitors in cursor.fetchall():
            grouped.setdefault(dimension, []).append(
                (value, PageMetrics(int(views), int(sessions), int(visitors)))
            )
    series = [
        PagePoint(
            day=start + dt.timedelta(days=offset),
            metrics=by_day.get(start + dt.timedelta(days=offset), PageMetrics()),
        )
        for offset in range(days)
    ]
    return PageReport(
        start=start,
        end=end,
        totals=sum((point.metrics for point in series), PageMetrics()),
        series=series,
        breakdowns=[PageBreakdown(dimension=dimension, rows=rows) for dimension, rows in grouped.items()],
    )
