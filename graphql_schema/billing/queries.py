from __future__ import annotations

import strawberry

from billing.models import Membership as MembershipModel
from billing.models import MembershipPlan as MembershipPlanModel
from billing.models import MerchantPlan as MerchantPlanModel
from billing.models import MerchantSubscription as MerchantSubscriptionModel
from billing.selectors import failing_subscriptions
from billing.services.plans import merchant_subscription_of
from graphql_schema.access import is_brand_admin
from graphql_schema.billing.access import OnBrandHost
from graphql_schema.billing.types import (
    FailingSubscription,
    FailingSubscriptionKindEnum,
    Membership,
    MembershipPlan,
    MerchantPlan,
    MerchantSubscription,
    MyPlan,
    SubscriptionStatusEnum,
)
from graphql_schema.context import Info
from graphql_schema.pagination import Connection, paginate
from graphql_schema.permissions import IsBrandAdmin, IsBrandMember, IsMerchant


@strawberry.type
class BillingQuery:
    @strawberry.field(
        permission_classes=[OnBrandHost],
        description="The brand's merchant plans, in display order (inactive ones too for brand admins).",
    )
    def merchant_plans(self, info: Info, include_inactive: bool = False) -> list[MerchantPlan]:
        plans = MerchantPlanModel.objects.order_by("position", "price", "pk")
        if not (include_inactive and is_brand_admin(info)):
            plans = plans.filter(is_active=True)
        return [MerchantPlan.from_model(plan) for plan in plans]

    @strawberry.field(
        permission_classes=[IsMerchant],
        description="My plan, my subscription (trial end, period end, cancellation) and my usage.",
    )
    def my_plan(self, info: Info) -> MyPlan:
        merchant = info.context.user
        return MyPlan.of(merchant, merchant_subscription_of(merchant))

    @strawberry.field(
        permission_classes=[IsBrandAdmin],
        description="Merchants' plan subscriptions, newest first.",
    )
    def subscriptions(
        self,
        info: Info,
        status: SubscriptionStatusEnum | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> Connection[MerchantSubscription]:
        subscriptions = MerchantSubscriptionModel.objects.select_related("merchant", "plan")
        if status is not None:
            subscriptions = subscriptions.filter(status=status.value)
        return paginate(
            subscriptions, first=first, after=after, to_node=MerchantSubscription.from_model, descending=True
        )

    @strawberry.field(
        permission_classes=[OnBrandHost],
        description="The memberships the brand sells (inactive ones too for brand admins).",
    )
    def membership_plans(self, info: Info, include_inactive: bool = False) -> list[MembershipPlan]:
        plans = MembershipPlanModel.objects.order_by("price", "pk")
        if not (include_inactive and is_brand_admin(info)):
            plans = plans.filter(is_active=True)
        return [MembershipPlan.from_model(plan) for plan in plans]

    @strawberry.field(permission_classes=[IsBrandMember], description="My memberships, newest first.")
    def my_memberships(self, info: Info) -> list[Membership]:
        memberships = MembershipModel.objects.select_related("plan", "member").filter(
            member=info.context.user
        )
        return Membership.from_models(list(memberships.order_by("-pk")[:100]))

    @strawberry.field(permission_classes=[IsBrandAdmin], description="Every membership, newest first.")
    def memberships(
        self,
        info: Info,
        status: SubscriptionStatusEnum | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> Connection[Membership]:
        memberships = MembershipModel.objects.select_related("plan", "member")
        if status is not None:
            memberships = memberships.filter(status=status.value)
        return paginate(
            memberships, first=first, after=after, to_nodes=Membership.from_models, descending=True
        )

    @strawberry.field(
        permission_classes=[IsBrandAdmin],
        description="Merchant plans and memberships whose card payments fail (past due, unpaid) or "
        "never went through (incomplete), the oldest failure first (at most 500).",
    )
    def failing_subscriptions(
        self, info: Info, kind: FailingSubscriptionKindEnum | None = None
    ) -> list[FailingSubscription]:
        rows = failing_subscriptions(kind=kind.value if kind is not None else None)
        return [FailingSubscription.from_row(row) for row in rows]
