from __future__ import annotations

import strawberry

from graphql_schema.access import is_brand_admin
from graphql_schema.context import Info
from graphql_schema.pagination import Connection, paginate
from graphql_schema.payouts.types import Withdrawal, WithdrawalStatus
from graphql_schema.permissions import IsAuthenticated
from payouts.models import WithdrawalRequest


@strawberry.type
class PayoutQuery:
    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="Withdrawals, newest first: mine, or every affiliate's for brand admins.",
    )
    def withdrawals(
        self, info: Info, status: WithdrawalStatus | None = None, first: int = 50, after: str | None = None
    ) -> Connection[Withdrawal]:
        withdrawals = WithdrawalRequest.objects.select_related("affiliate__user")
        if not is_brand_admin(info):
            withdrawals = withdrawals.filter(affiliate__user=info.context.user)
        if status is not None:
            withdrawals = withdrawals.filter(status=status.value)
        return paginate(withdrawals, first=first, after=after, to_node=Withdrawal.from_model, descending=True)
