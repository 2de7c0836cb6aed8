from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry
from django.core.exceptions import ValidationError
from graphql import GraphQLError

from analytics import selectors
from graphql_schema.access import parse_id
from graphql_schema.analytics.types import Analytics, AnalyticsFilter, PageAnalytics
from graphql_schema.context import Info
from graphql_schema.permissions import IsAuthenticated, IsBrandAdmin


def _error(error: ValidationError) -> GraphQLError:
    """A filter the client can fix: a top-level error with its code and field."""
    field, code = None, "INVALID_FILTER"
    if hasattr(error, "error_dict"):
        field, errors = next(iter(error.error_dict.items()))
        code = str(errors[0].code or code)
    return GraphQLError(" ".join(error.messages), extensions={"code": code, "field": field})


def _optional_id(value: strawberry.ID | None) -> int | None:
    return None if value is None else parse_id(value)


@strawberry.type
class AnalyticsQuery:
    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description=(
            "Clicks, signups, conversions, revenue and commissions per hour or day, with totals, "
            "top values per dimension, the click → signup → purchase funnel and, when asked, the "
            "previous period. Brand admins see the whole brand, merchants their products' offers, "
            "affiliates their own traffic."
        ),
    )
    def analytics(
        self,
        info: Info,
        filter: AnalyticsFilter,
        compare_to_previous: bool = False,
        top: int = 10,
    ) -> Analytics:
        context = info.context
        if context.is_root_host:
            raise GraphQLError("Analytics belong to a brand.", extensions={"code": "NOT_A_BRAND_HOST"})
        report_filter = selectors.AnalyticsFilter(
            start=filter.from_,
            end=filter.to,
            granularity=filter.granularity.value,
            program_id=_optional_id(filter.program_id),
            affiliate_id=_optional_id(filter.affiliate_id),
            link_id=_optional_id(filter.link_id),
            offer_ref=filter.offer_ref,
            country=filter.country,
            device=filter.device,
            browser=filter.browser,
            source=filter.source.value if filter.source else None,
            currency=filter.currency,
        )
        try:
            report = selectors.analytics_report(
                report_filter=report_filter,
                scope=selectors.analytics_scope_for(context.user),
                default_currency=context.tenant.currency,
                compare_to_previous=compare_to_previous,
                top=top,
            )
        except ValidationError as error:
            raise _error(error) from error
        return Analytics.from_report(report)

    @strawberry.field(
        permission_classes=[IsBrandAdmin],
        description=(
            "Page views, sessions and visitors of the brand's own pages, `from` to `to` included (UTC days)."
        ),
    )
    def page_analytics(
        self,
        info: Info,
        from_: Annotated[dt.date, strawberry.argument(name="from")],
        to: dt.date | None = None,
        top: int = 10,
    ) -> PageAnalytics:
        last = to or dt.datetime.now(dt.UTC).date()
        try:
            report = selectors.page_report(start=from_, end=last + dt.timedelta(days=1), top=top)
        except ValidationError as error:
            raise _error(error) from error
        return PageAnalytics.from_report(report)
