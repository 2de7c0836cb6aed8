from __future__ import annotations

import datetime as dt

import strawberry
from django.utils import timezone
from graphql import GraphQLError

from affiliation import selectors
from affiliation.models import Affiliate as AffiliateModel
from affiliation.models import AffiliateStatus as AffiliateStatusModel
from analytics.affiliate_stats import AffiliateTotals, affiliate_totals, link_stats_series
from graphql_schema.affiliation.access import (
    my_link,
    my_membership,
    program_or_error,
)
from graphql_schema.affiliation.builders import links_with_stats
from graphql_schema.affiliation.types import (
    Affiliate,
    AffiliateStats,
    AffiliateStatsDelta,
    AffiliateStatus,
    Balance,
    Commission,
    CommissionStatus,
    Granularity,
    Link,
    LinkStatsPoint,
    Program,
)
from graphql_schema.context import Info
from graphql_schema.money import money
from graphql_schema.pagination import Connection, paginate
from graphql_schema.permissions import IsAuthenticated, IsBrandAdmin

MAX_SERIES_BUCKETS = 24 * 93  # three months of hours


def affiliate_stats(affiliate: AffiliateModel) -> AffiliateStats:
    return affiliate_stats_of(affiliate.program_id, affiliate_totals(affiliate))


def affiliate_stats_of(
    program_id: int, totals: AffiliateTotals, delta: AffiliateStatsDelta | None = None
) -> AffiliateStats:
    return AffiliateStats(
        program_id=strawberry.ID(str(program_id)),
        clicks=totals.clicks,
        unique_clicks=totals.unique_clicks,
        conversions=totals.conversions,
        earnings=money(totals.earnings, totals.currency),
        is_snapshot=delta is None,
        delta=delta,
    )


@strawberry.type
class AffiliationQuery:
    @strawberry.field(description="Partner programs of this brand (brand admins also see inactive ones).")
    def programs(self, info: Info) -> list[Program]:
        user = info.context.user if info.context.is_authenticated else None
        return [Program.from_model(program) for program in selectors.programs_visible_to(user)]

    @strawberry.field(
        permission_classes=[IsAuthenticated], description="My memberships of this brand's programs."
    )
    def my_affiliations(self, info: Info) -> list[Affiliate]:
        return [Affiliate.from_model(affiliate) for affiliate in selectors.memberships_of(info.context.user)]

    @strawberry.field(
        permission_classes=[IsAuthenticated], description="My tracked links with their stats, newest first."
    )
    def my_links(
        self,
        info: Info,
        program_id: strawberry.ID | None = None,
        include_archived: bool = False,
        first: int = 50,
        after: str | None = None,
    ) -> Connection[Link]:
        links = selectors.links_of(
            info.context.user,
            program_id=int(program_id) if program_id else None,
            include_archived=include_archived,
        ).select_related("program")
        return paginate(links, first=first, after=after, to_nodes=links_with_stats, descending=True)

    @strawberry.field(permission_classes=[IsAuthenticated], description="One link's stats per hour or day.")
    def link_stats(
        self,
        info: Info,
        link_id: strawberry.ID,
        since: dt.datetime,
        until: dt.datetime | None = None,
        granularity: Granularity = Granularity.DAY,
    ) -> list[LinkStatsPoint]:
        link = my_link(info, link_id)
        until = until or timezone.now()
        hours = (until - since).total_seconds() / 3600
        if hours <= 0 or (granularity == Granularity.HOUR and hours > MAX_SERIES_BUCKETS):
            raise GraphQLError(
                "Choose a range that ends after it starts (at most 93 days by the hour).",
                extensions={"code": "INVALID_RANGE"},
            )
        points = link_stats_series(link, since=since, until=until, granularity=granularity.value)
        return [LinkStatsPoint.from_data(point, link.program.currency) for point in points]

    @strawberry.field(permission_classes=[IsAuthenticated], description="My commissions, newest first.")
    def my_commissions(
        self,
        info: Info,
        status: CommissionStatus | None = None,
        program_id: strawberry.ID | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> Connection[Commission]:
        commissions = selectors.commissions_of(
            info.context.user,
            status=status.value if status else None,
            program_id=int(program_id) if program_id else None,
        )
        return paginate(commissions, first=first, after=after, to_node=Commission.from_model, descending=True)

    @strawberry.field(permission_classes=[IsAuthenticated], description="My balances in a program.")
    def my_balance(self, info: Info, program_id: strawberry.ID) -> Balance:
        affiliate = my_membership(info, program_id)
        balance = selectors.affiliate_balance(affiliate)
        return Balance(
            program_id=program_id,
            pending=money(balance.pending, balance.currency),
            available=money(balance.available, balance.currency),
            reserved=money(balance.reserved, balance.currency),
            paid=money(balance.paid, balance.currency),
        )

    @strawberry.field(permission_classes=[IsAuthenticated], description="My live counters in a program.")
    def my_stats(self, info: Info, program_id: strawberry.ID) -> AffiliateStats:
        return affiliate_stats(my_membership(info, program_id))

    @strawberry.field(permission_classes=[IsBrandAdmin], description="A program's affiliates (brand admins).")
    def affiliates(
        self,
        info: Info,
        program_id: strawberry.ID,
        status: AffiliateStatus | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> Connection[Affiliate]:
        program = program_or_error(program_id)
        affiliates = AffiliateModel.objects.select_related("user", "tier").filter(program=program)
        if status is not None:
            affiliates = affiliates.filter(status=AffiliateStatusModel(status.value))
        return paginate(affiliates, first=first, after=after, to_node=Affiliate.from_model)
