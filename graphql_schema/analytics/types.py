from __future__ import annotations

import datetime as dt
from enum import Enum

import strawberry

from analytics import selectors
from graphql_schema.affiliation.types import Granularity
from graphql_schema.money import Money, money


@strawberry.enum(description="What a breakdown groups by.")
class AnalyticsDimension(Enum):
    LINK = "link"
    OFFER = "offer"
    AFFILIATE = "affiliate"
    PROGRAM = "program"
    COUNTRY = "country"
    DEVICE = "device"
    BROWSER = "browser"
    SOURCE = "source"


@strawberry.enum(description="Where traffic came from, by its referrer's host.")
class TrafficSource(Enum):
    DIRECT = "direct"
    SEARCH = "search"
    SOCIAL = "social"
    EMAIL = "email"
    OTHER = "other"


@strawberry.enum(description="What page analytics break down by.")
class PageDimension(Enum):
    PATH = "path"
    SOURCE = "source"
    DEVICE = "device"
    BROWSER = "browser"
    COUNTRY = "country"
    SCREEN = "screen"


@strawberry.input(
    description=(
        "What a dashboard shows. `from` and `to` (exclusive) widen to whole hours or days, in UTC "
        "(as are times without a zone); by the hour at most 7 days, by the day at most 400. Program, "
        "affiliate and offer filters combine with anything; of link, country, device, browser and "
        "source, one at a time."
    )
)
class AnalyticsFilter:
    from_: dt.datetime = strawberry.field(name="from")
    to: dt.datetime
    granularity: Granularity = Granularity.DAY
    program_id: strawberry.ID | None = None
    affiliate_id: strawberry.ID | None = None
    link_id: strawberry.ID | None = None
    offer_ref: str | None = strawberry.field(default=None, description="e.g. product:42")
    country: str | None = strawberry.field(default=None, description="ISO 3166 alpha-2, e.g. FR")
    device: str | None = strawberry.field(default=None, description="desktop, mobile, tablet or other")
    browser: str | None = None
    source: TrafficSource | None = None
    currency: str | None = strawberry.field(
        default=None,
        description=(
            "Figures of the programs paying in this currency (default: the program's, else the brand's)."
        ),
    )


@strawberry.type(description="Counts and amounts of a period, a bucket or a breakdown row.")
class AnalyticsMetrics:
    clicks: int
    unique_clicks: int
    signups: int = strawberry.field(description="Signups on the brand attributed through the click cookie.")
    conversions: int
    revenue: Money = strawberry.field(description="Sales, net of refunds.")
    commissions: Money = strawberry.field(description="Commissions, net of reversals.")
    earnings_per_click: Money = strawberry.field(description="Commissions per click (EPC).")
    conversion_rate: float = strawberry.field(description="Conversions per unique click (0.05 is 5 %).")

    @classmethod
    def from_data(cls, metrics: selectors.Metrics, currency: str) -> AnalyticsMetrics:
        return cls(
            clicks=metrics.clicks,
            unique_clicks=metrics.unique_clicks,
            signups=metrics.signups,
            conversions=metrics.conversions,
            revenue=money(metrics.revenue, currency),
            commissions=money(metrics.commissions, currency),
            earnings_per_click=money(metrics.earnings_per_click, currency),
            conversion_rate=metrics.conversion_rate,
        )


@strawberry.type
class AnalyticsPoint:
    bucket: dt.datetime = strawberry.field(description="Start of the hour or day (UTC).")
    metrics: AnalyticsMetrics


@strawberry.type
class AnalyticsBreakdownRow:
    value: str = strawberry.field(description="The id or value grouped by (empty: none, e.g. a coupon sale).")
    label: str
    metrics: AnalyticsMetrics


@strawberry.type(description="The top values of one dimension, by clicks.")
class AnalyticsBreakdown:
    dimension: AnalyticsDimension
    rows: list[AnalyticsBreakdownRow]


@strawberry.type(description="One step of click → signup → purchase.")
class AnalyticsFunnelStep:
    name: str = strawberry.field(description="clicks (unique), signups or purchases")
    count: int
    rate_from_previous: float | None
    rate_from_first: float | None


@strawberry.type(description="Relative change against the previous period (0.25 is +25 %; null from zero).")
class AnalyticsChanges:
    clicks: float | None
    unique_clicks: float | None
    signups: float | None
    conversions: float | None
    revenue: float | None
    commissions: float | None
    earnings_per_click: float | None
    conversion_rate: float | None


@strawberry.type(description="The period of the same length just before.")
class AnalyticsComparison:
    from_: dt.datetime = strawberry.field(name="from")
    to: dt.datetime
    totals: AnalyticsMetrics
    changes: AnalyticsChanges


@strawberry.type
class Analytics:
    from_: dt.datetime = strawberry.field(name="from")
    to: dt.datetime
    granularity: Granularity
    currency: str
    currencies: list[str] = strawberry.field(description="Currencies of the brand's programs.")
    totals: AnalyticsMetrics
    series: list[AnalyticsPoint] = strawberry.field(description="One point per bucket, empty ones included.")
    breakdowns: list[AnalyticsBreakdown] = strawberry.field(
        description=(
            "Top values per dimension. With a link, country, device, browser or source filter, only "
            "that dimension and affiliate, offer and program are broken down (see unavailableBreakdowns)."
        )
    )
    unavailable_breakdowns: list[AnalyticsDimension]
    funnel: list[AnalyticsFunnelStep]
    comparison: AnalyticsComparison | None

    @classmethod
    def from_report(cls, report: selectors.AnalyticsReport) -> Analytics:
        currency = report.currency
        comparison = None
        if report.comparison is not None:
            comparison = AnalyticsComparison(
                from_=report.comparison.start,
                to=report.comparison.end,
                totals=AnalyticsMetrics.from_data(report.comparison.totals, currency),
                changes=AnalyticsChanges(**report.comparison.changes),
            )
        return cls(
            from_=report.start,
            to=report.end,
            granularity=Granularity(report.granularity),
            currency=currency,
            currencies=report.currencies,
            totals=AnalyticsMetrics.from_data(report.totals, currency),
            series=[
                AnalyticsPoint(
                    bucket=point.bucket, metrics=AnalyticsMetrics.from_data(point.metrics, currency)
                )
                for point in report.series
            ],
            breakdowns=[
                AnalyticsBreakdown(
                    dimension=AnalyticsDimension(breakdown.dimension),
                    rows=[
                        AnalyticsBreakdownRow(
                            value=row.value,
                            label=row.label,
                            metrics=AnalyticsMetrics.from_data(row.metrics, currency),
                        )
                        for row in breakdown.rows
                    ],
                )
                for breakdown in report.breakdowns
            ],
            unavailable_breakdowns=[AnalyticsDimension(name) for name in report.omitted_breakdowns],
            funnel=[
                AnalyticsFunnelStep(
                    name=step.name,
                    count=step.count,
                    rate_from_previous=step.rate_from_previous,
                    rate_from_first=step.rate_from_first,
                )
                for step in report.funnel
            ],
            comparison=comparison,
        )


@strawberry.type
class PageMetrics:
    page_views: int
    sessions: int = strawberry.field(
        description="Sessions started (counted under their entry page and source)."
    )
    visitors: int = strawberry.field(
        description="Distinct visitors per day (IP and browser hashed with a daily salt)."
    )

    @classmethod
    def from_data(cls, metrics: selectors.PageMetrics) -> PageMetrics:
        return cls(page_views=metrics.page_views, sessions=metrics.sessions, visitors=metrics.visitors)


@strawberry.type
class PagePoint:
    day: dt.date
    metrics: PageMetrics


@strawberry.type
class PageBreakdownRow:
    value: str
    metrics: PageMetrics


@strawberry.type
class PageBreakdown:
    dimension: PageDimension
    rows: list[PageBreakdownRow]


@strawberry.type(description="First-party analytics of the brand's own pages (POST /a/collect).")
class PageAnalytics:
    from_: dt.date = strawberry.field(name="from")
    to: dt.date = strawberry.field(description="Last day included.")
    totals: PageMetrics
    series: list[PagePoint]
    breakdowns: list[PageBreakdown]

    @classmethod
    def from_report(cls, report: selectors.PageReport) -> PageAnalytics:
        return cls(
            from_=report.start,
            to=report.end - dt.timedelta(days=1),
            totals=PageMetrics.from_data(report.totals),
            series=[
                PagePoint(day=point.day, metrics=PageMetrics.from_data(point.metrics))
                for point in report.series
            ],
            breakdowns=[
                PageBreakdown(
                    dimension=PageDimension(breakdown.dimension),
                    rows=[
                        PageBreakdownRow(value=value, metrics=PageMetrics.from_data(metrics))
                        for value, metrics in breakdown.rows
                    ],
                )
                for breakdown in report.breakdowns
            ],
        )
