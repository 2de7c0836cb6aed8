"""The brand home's social proof: a public query and a live subscription."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

import strawberry
from graphql import GraphQLError

from analytics.social_proof import BrandStats as BrandStatsData
from analytics.social_proof import brand_stats
from core.tenancy import run_in_tenant
from graphql_schema.context import Info
from graphql_schema.money import Money, money

# How often a subscriber re-reads the (cached) numbers. A push on every paid withdrawal,
# approved affiliate and activated product would need hooks in three domains for numbers that
# are cached 30 s anyway; a poll of the cache costs one Redis read per subscriber per period.
REFRESH_SECONDS = 15.0


@strawberry.type(description="Public figures about the brand, at most 30 seconds old.")
class BrandStats:
    affiliates: int = strawberry.field(description="Approved affiliates of the brand's active programs.")
    active_deals: int = strawberry.field(description="Marketplace products on sale and not expired.")
    commissions_paid: list[Money] = strawberry.field(
        description="What the brand has paid out to its affiliates (paid withdrawals), per currency."
    )
    sales_last_30_days: int = strawberry.field(
        description="Sales attributed to affiliates in the last 30 days (reversed ones excluded)."
    )

    @classmethod
    def from_data(cls, data: BrandStatsData) -> BrandStats:
        return cls(
            affiliates=data.affiliates,
            active_deals=data.active_deals,
            commissions_paid=[money(paid.amount, paid.currency) for paid in data.commissions_paid],
            sales_last_30_days=data.sales_last_30_days,
        )


def _not_a_brand_host(field: str) -> GraphQLError:
    return GraphQLError(f"{field} is served on a brand's host.", extensions={"code": "NOT_A_BRAND_HOST"})


@strawberry.type
class BrandStatsQuery:
    @strawberry.field(description="The brand's social proof for its home page; no sign-in needed.")
    def brand_stats(self, info: Info) -> BrandStats:
        if info.context.is_root_host:
            raise _not_a_brand_host("brandStats")
        return BrandStats.from_data(brand_stats())


@strawberry.type
class BrandStatsSubscription:
    @strawberry.subscription(
        description="The brand's social proof now, then again whenever it changes (checked every 15 s)."
    )
    async def brand_stats_updated(self, info: Info) -> AsyncGenerator[BrandStats, None]:
        context = info.context
        if context.is_root_host:
            raise _not_a_brand_host("brandStatsUpdated")
        last = await run_in_tenant(context.tenant, brand_stats)
        yield BrandStats.from_data(last)
        while True:
            await asyncio.sleep(REFRESH_SECONDS)
            current = await run_in_tenant(context.tenant, brand_stats)
            if current != last:
                last = current
                yield BrandStats.from_data(current)
