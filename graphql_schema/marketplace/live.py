"""A merchant's live counters: the merchant-side twin of ``affiliateStats``."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncGenerator

import strawberry

from affiliation.services.commissions import STATS_EVENT, program_stats_topic
from analytics.merchant_live import (
    MerchantLiveStats as MerchantLiveStatsData,
)
from analytics.merchant_live import (
    live_merchant,
    merchant_live_program_ids,
    merchant_live_stats,
)
from core.events import group_name
from core.tenancy import run_in_tenant
from graphql_schema.access import not_found, parse_id
from graphql_schema.context import Info
from graphql_schema.money import Money, money
from graphql_schema.permissions import IsMerchantOrBrandAdmin


@strawberry.type(
    description=(
        "What affiliates' links to a merchant's own products did over the last 30 days "
        "(today included, whole UTC days)."
    )
)
class MerchantStats:
    since: dt.datetime = strawberry.field(description="Start of the window: midnight UTC, 29 days ago.")
    clicks: int = strawberry.field(description="Clicks on links to the merchant's products, last 30 days.")
    unique_clicks: int = strawberry.field(description="Unique clicks (per visitor and hour), last 30 days.")
    conversions: int = strawberry.field(description="Sales of the merchant's products, last 30 days.")
    revenue: list[Money] = strawberry.field(
        description="Revenue of those sales net of refunds, last 30 days, per currency."
    )
    commissions: list[Money] = strawberry.field(
        description="Commissions owed to affiliates on those sales, net of reversals, last 30 days, "
        "per currency."
    )

    @classmethod
    def from_data(cls, data: MerchantLiveStatsData) -> MerchantStats:
        return cls(
            since=data.since,
            clicks=data.clicks,
            unique_clicks=data.unique_clicks,
            conversions=data.conversions,
            revenue=[money(totals.revenue, totals.currency) for totals in data.amounts],
            commissions=[money(totals.commissions, totals.currency) for totals in data.amounts],
        )


@strawberry.type
class MerchantLiveSubscription:
    @strawberry.subscription(
        permission_classes=[IsMerchantOrBrandAdmin],
        description=(
            "A merchant's counters (last 30 days) now, then whenever a click on a link to one of "
            "their products changes them (at most about once a second). Merchants see their own; "
            "brand admins name the merchant with `merchantId`."
        ),
    )
    async def merchant_stats(
        self, info: Info, merchant_id: strawberry.ID | None = None
    ) -> AsyncGenerator[MerchantStats, None]:
        context = info.context
        tenant = context.tenant
        wanted = None if merchant_id is None else parse_id(merchant_id)
        merchant = await run_in_tenant(tenant, live_merchant, context.user, wanted)
        if merchant is None:
            raise not_found("Merchant")
        program_ids = await run_in_tenant(tenant, merchant_live_program_ids, merchant)
        # A program's group ticks for every click in it, other merchants' products included:
        # each tick is only a prompt to re-read this merchant's rows, and an unchanged read
        # sends nothing.
        groups = [
            group_name(tenant.schema_name, program_stats_topic(program_id)) for program_id in program_ids
        ]
        async with context.ws.listen_to_channel(STATS_EVENT, groups=groups) as ticks:
            last = await run_in_tenant(tenant, merchant_live_stats, merchant)
            yield MerchantStats.from_data(last)
            async for _tick in ticks:
                current = await run_in_tenant(tenant, merchant_live_stats, merchant)
                if current != last:
                    last = current
                    yield MerchantStats.from_data(current)
