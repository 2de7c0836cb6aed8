from __future__ import annotations

from collections.abc import AsyncGenerator
from decimal import Decimal

import strawberry

from accounts.models import Role
from affiliation.selectors import membership, memberships_of
from analytics.affiliate_stats import affiliate_totals, affiliate_totals_apply
from core.events import group_name
from core.live import STATS_EVENT, ZERO, DeltaRow, affiliate_stats_topic, read_with_snapshot, unseen_rows
from core.tenancy import run_in_tenant
from graphql_schema.access import not_found, parse_id
from graphql_schema.affiliation.queries import affiliate_stats_of
from graphql_schema.affiliation.types import AffiliateStats, AffiliateStatsDelta, LinkStatsDelta
from graphql_schema.context import Info
from graphql_schema.money import money
from graphql_schema.payouts.queries import withdrawals_with_payouts
from graphql_schema.payouts.types import Withdrawal
from graphql_schema.permissions import IsAuthenticated
from payouts.models import WithdrawalRequest
from payouts.services import ADMIN_QUEUE_TOPIC, WITHDRAWAL_EVENT, withdrawal_topic


def _withdrawal(withdrawal_id: int) -> Withdrawal | None:
    withdrawal = withdrawals_with_payouts(WithdrawalRequest.objects.filter(pk=withdrawal_id)).first()
    return Withdrawal.from_model(withdrawal) if withdrawal else None


def affiliate_stats_delta(rows: list[DeltaRow], currency: str) -> AffiliateStatsDelta:
    """The rows of one tick, in all and per link (ordered by link id, no link last)."""
    links: dict[int, tuple[int, int, int, Decimal]] = {}
    for row in rows:
        clicks, unique, conversions, earnings = links.get(row.link_id, (0, 0, 0, ZERO))
        links[row.link_id] = (
            clicks + row.clicks,
            unique + row.unique_clicks,
            conversions + row.conversions,
            earnings + row.commissions,
        )
    return AffiliateStatsDelta(
        clicks=sum(row.clicks for row in rows),
        unique_clicks=sum(row.unique_clicks for row in rows),
        conversions=sum(row.conversions for row in rows),
        earnings=money(sum((row.commissions for row in rows), ZERO), currency),
        links=[
            LinkStatsDelta(
                link_id=strawberry.ID(str(link_id)) if link_id else None,
                clicks=clicks,
                unique_clicks=unique,
                conversions=conversions,
                earnings=money(earnings, currency),
            )
            for link_id, (clicks, unique, conversions, earnings) in sorted(
                links.items(), key=lambda item: (item[0] == 0, item[0])
            )
        ],
    )


@strawberry.type
class AffiliationSubscription:
    @strawberry.subscription(
        permission_classes=[IsAuthenticated],
        description=(
            "My counters in a program now (read from the database: `isSnapshot`), then whenever "
            "they change (at most about once a second), with the `delta` each change added, in "
            "all and per link. The changes come with the live message: no re-read."
        ),
    )
    async def affiliate_stats(
        self, info: Info, program_id: strawberry.ID
    ) -> AsyncGenerator[AffiliateStats, None]:
        context = info.context
        affiliate = await run_in_tenant(context.tenant, membership, context.user, parse_id(program_id))
        if affiliate is None:
            raise not_found("Membership")
        group = group_name(context.tenant.schema_name, affiliate_stats_topic(affiliate.pk))
        async with context.ws.listen_to_channel(STATS_EVENT, groups=[group]) as ticks:
            # Listening before the read: a change committed after it is in a tick; one the read
            # already holds is recognised by its transaction (core.live) and skipped.
            totals, snapshot = await run_in_tenant(
                context.tenant, read_with_snapshot, affiliate_totals, affiliate
            )
            yield affiliate_stats_of(affiliate.program_id, totals)
            async for tick in ticks:
                rows = unseen_rows(tick["payload"], snapshot)
                if not rows:
                    continue
                totals = affiliate_totals_apply(totals, rows)
                delta = affiliate_stats_delta(rows, totals.currency)
                yield affiliate_stats_of(affiliate.program_id, totals, delta)

    @strawberry.subscription(
        permission_classes=[IsAuthenticated],
        description="My withdrawals as their status changes; every affiliate's for brand admins.",
    )
    async def withdrawal_updated(self, info: Info) -> AsyncGenerator[Withdrawal, None]:
        context = info.context
        schema = context.tenant.schema_name
        if getattr(context.user, "role", None) == Role.BRAND_ADMIN:
            groups = [group_name(schema, ADMIN_QUEUE_TOPIC)]
        else:
            affiliate_ids = await run_in_tenant(
                context.tenant, lambda: [a.pk for a in memberships_of(context.user)]
            )
            groups = [group_name(schema, withdrawal_topic(affiliate_id)) for affiliate_id in affiliate_ids]
        async with context.ws.listen_to_channel(WITHDRAWAL_EVENT, groups=groups) as updates:
            async for update in updates:
                withdrawal = await run_in_tenant(context.tenant, _withdrawal, update["payload"]["id"])
                if withdrawal is not None:
                    yield withdrawal
