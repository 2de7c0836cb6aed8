from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from accounts.models import Role
from affiliation.selectors import membership, memberships_of
from affiliation.services.commissions import STATS_EVENT, stats_topic
from core.events import group_name
from core.tenancy import run_in_tenant
from graphql_schema.access import not_found, parse_id
from graphql_schema.affiliation.queries import affiliate_stats
from graphql_schema.affiliation.types import AffiliateStats
from graphql_schema.context import Info
from graphql_schema.payouts.types import Withdrawal
from graphql_schema.permissions import IsAuthenticated
from payouts.models import WithdrawalRequest
from payouts.services import ADMIN_QUEUE_TOPIC, WITHDRAWAL_EVENT, withdrawal_topic


def _withdrawal(withdrawal_id: int) -> Withdrawal | None:
    withdrawal = WithdrawalRequest.objects.select_related("affiliate__user").filter(pk=withdrawal_id).first()
    return Withdrawal.from_model(withdrawal) if withdrawal else None


@strawberry.type
class AffiliationSubscription:
    @strawberry.subscription(
        permission_classes=[IsAuthenticated],
        description="My counters in a program now, then whenever they change (at most about once a second).",
    )
    async def affiliate_stats(
        self, info: Info, program_id: strawberry.ID
    ) -> AsyncGenerator[AffiliateStats, None]:
        context = info.context
        affiliate = await run_in_tenant(context.tenant, membership, context.user, parse_id(program_id))
        if affiliate is None:
            raise not_found("Membership")
        group = group_name(context.tenant.schema_name, stats_topic(affiliate.pk))
        async with context.ws.listen_to_channel(STATS_EVENT, groups=[group]) as ticks:
            yield await run_in_tenant(context.tenant, affiliate_stats, affiliate)
            async for _tick in ticks:
                yield await run_in_tenant(context.tenant, affiliate_stats, affiliate)

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
