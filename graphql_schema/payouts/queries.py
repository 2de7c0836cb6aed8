from __future__ import annotations

import strawberry
from django.db.models import Prefetch, QuerySet

from graphql_schema.access import is_brand_admin, not_found, parse_id
from graphql_schema.context import Info
from graphql_schema.pagination import Connection, paginate
from graphql_schema.payouts.types import (
    PayoutProvider,
    PayoutRun,
    PayoutSettings,
    Withdrawal,
    WithdrawalStatus,
)
from graphql_schema.permissions import IsAuthenticated, IsBrandAdmin
from payouts import models, providers
from payouts.models import WithdrawalRequest
from payouts.selectors import payout_settings


def withdrawals_with_payouts(queryset: QuerySet[WithdrawalRequest]) -> QuerySet[WithdrawalRequest]:
    return queryset.select_related("affiliate__user").prefetch_related(
        Prefetch("payout_items", queryset=models.PayoutRunItem.objects.select_related("run"))
    )


def payout_runs() -> QuerySet[models.PayoutRun]:
    return models.PayoutRun.objects.select_related("created_by").prefetch_related(
        Prefetch(
            "items",
            queryset=models.PayoutRunItem.objects.select_related("withdrawal__affiliate__user").order_by(
                "id"
            ),
        )
    )


@strawberry.type
class PayoutQuery:
    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="Withdrawals, newest first: mine, or every affiliate's for brand admins.",
    )
    def withdrawals(
        self, info: Info, status: WithdrawalStatus | None = None, first: int = 50, after: str | None = None
    ) -> Connection[Withdrawal]:
        withdrawals = withdrawals_with_payouts(WithdrawalRequest.objects.all())
        if not is_brand_admin(info):
            withdrawals = withdrawals.filter(affiliate__user=info.context.user)
        if status is not None:
            withdrawals = withdrawals.filter(status=status.value)
        return paginate(withdrawals, first=first, after=after, to_node=Withdrawal.from_model, descending=True)

    @strawberry.field(permission_classes=[IsBrandAdmin], description="Payout runs, newest first.")
    def payout_runs(self, info: Info, first: int = 20, after: str | None = None) -> Connection[PayoutRun]:
        return paginate(
            payout_runs(), first=first, after=after, to_node=PayoutRun.from_model, descending=True
        )

    @strawberry.field(permission_classes=[IsBrandAdmin])
    def payout_run(self, info: Info, id: strawberry.ID) -> PayoutRun:
        run = payout_runs().filter(pk=parse_id(id)).first()
        if run is None:
            raise not_found("Payout run")
        return PayoutRun.from_model(run)

    @strawberry.field(
        permission_classes=[IsBrandAdmin], description="How each withdrawal method is paid on this platform."
    )
    def payout_providers(self, info: Info) -> list[PayoutProvider]:
        return [
            PayoutProvider(
                identifier=provider.identifier,
                name=provider.verbose_name,
                automated=provider.automated,
                configured=provider.is_configured(),
            )
            for provider in providers.available()
        ]

    @strawberry.field(permission_classes=[IsBrandAdmin])
    def payout_settings(self, info: Info) -> PayoutSettings:
        return PayoutSettings.from_model(payout_settings())
