"""A merchant's live counters: the merchant-side twin of ``affiliateStats``."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncGenerator

import strawberry

from analytics.merchant_live import (
    MerchantLiveStats as MerchantLiveStatsData,
)
from analytics.merchant_live import (
    live_merchant,
    merchant_live_apply,
    merchant_live_program_ids,
    merchant_live_snapshot,
)
from core.events import group_name
from core.live import STATS_EVENT, program_stats_topic, unseen_rows
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

    is_snapshot: bool = strawberry.field(
        default=True,
        description="True when the counters were read from the database (the first message, "
        "after a reconnection, or when the window moved at midnight UTC); false when a live "
        "message added `delta` to the previous counters.",
    )
    delta: MerchantStatsDelta | None = strawberry.field(
        default=None, description="What this live message added; null on a snapshot."
    )

    @classmethod
    def from_data(
        cls, data: MerchantLiveStatsData, previous: MerchantLiveStatsData | None = None
    ) -> MerchantStats:
        return cls(
            since=data.since,
            clicks=data.clicks,
            unique_clicks=data.unique_clicks,
            conversions=data.conversions,
            revenue=[money(totals.revenue, totals.currency) for totals in data.amounts],
            commissions=[money(totals.commissions, totals.currency) for totals in data.amounts],
            is_snapshot=previous is None,
            delta=None if previous is None else MerchantStatsDelta.between(previous, data),
        )


@strawberry.type(description="What one live message added to a merchant's counters.")
class MerchantStatsDelta:
    clicks: int
    unique_clicks: int
    conversions: int
    revenue: list[Money] = strawberry.field(description="Per currency; only the currencies that moved.")
    commissions: list[Money] = strawberry.field(description="Per currency; only the currencies that moved.")

    @classmethod
    def between(cls, before: MerchantLiveStatsData, after: MerchantLiveStatsData) -> MerchantStatsDelta:
        earlier = {totals.currency: totals for totals in before.amounts}
        revenue, commissions = [], []
        for totals in after.amounts:
            old = earlier.get(totals.currency)
            revenue_change = totals.revenue - (old.revenue if old else 0)
            commissions_change = totals.commissions - (old.commissions if old else 0)
            if revenue_change or commissions_change:
                revenue.append(money(revenue_change, totals.currency))
                commissions.append(money(commissions_change, totals.currency))
        return cls(
            clicks=after.clicks - before.clicks,
            unique_clicks=after.unique_clicks - before.unique_clicks,
            conversions=after.conversions - before.conversions,
            revenue=revenue,
            commissions=commissions,
        )


@strawberry.type
class MerchantLiveSubscription:
    @strawberry.subscription(
        permission_classes=[IsMerchantOrBrandAdmin],
        description=(
            "A merchant's counters (last 30 days) now (`isSnapshot`), then whenever a click on a "
            "link to one of their products, or a sale, changes them (at most about once a second), "
            "with the `delta` each change added: the changes come with the live message, no "
            "re-read. Merchants see their own; brand admins name the merchant with `merchantId`."
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
        # its rows are per offer, and only this merchant's offers count (a tick without any
        # sends nothing).
        groups = [
            group_name(tenant.schema_name, program_stats_topic(program_id)) for program_id in program_ids
        ]
        async with context.ws.listen_to_channel(STATS_EVENT, groups=groups) as ticks:
            read = await run_in_tenant(tenant, merchant_live_snapshot, merchant)
            last = read.stats
            yield MerchantStats.from_data(last)
            async for tick in ticks:
                if not read.is_current():  # midnight UTC: the 30 days moved, read them again
                    read = await run_in_tenant(tenant, merchant_live_snapshot, merchant)
                    last = read.stats
                    yield MerchantStats.from_data(last)
                current = merchant_live_apply(
                    last, read.offer_refs, unseen_rows(tick["payload"], read.snapshot)
                )
                if current != last:
                    previous, last = last, current
                    yield MerchantStats.from_data(current, previous)
