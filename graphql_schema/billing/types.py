"""GraphQL types of merchant plans, their subscriptions and member subscriptions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from enum import Enum

import strawberry

from billing import models, selectors
from billing.services.lifecycle import grace_until
from billing.services.plans import free_plan, subscription_is_entitled
from graphql_schema.errors import UserError
from graphql_schema.money import Money, money, rate
from graphql_schema.payments.types import (
    BankTransferDetails,
    ContactChannelEnum,
    Payment,
    PaymentProviderEnum,
)
from marketplace.selectors import products_used
from payments import models as payment_models


@strawberry.enum(name="BillingInterval")
class BillingIntervalEnum(Enum):
    MONTH = "month"
    YEAR = "year"


@strawberry.enum(name="SubscriptionStatus")
class SubscriptionStatusEnum(Enum):
    INCOMPLETE = "incomplete"
    TRIALING = "trialing"
    ACTIVE = "active"
    PAST_DUE = "past_due"
    UNPAID = "unpaid"
    CANCELED = "canceled"


@strawberry.enum(name="PlanPaymentProvider", description="How a plan or membership is paid.")
class PlanPaymentProviderEnum(Enum):
    STRIPE = "stripe"
    BANK_TRANSFER = "bank_transfer"


@strawberry.type(
    description="A plan merchants subscribe to: a product quota and the platform fee on each sale."
)
class MerchantPlan:
    id: strawberry.ID | None = strawberry.field(
        description="Null for the built-in plan of a brand without plans."
    )
    code: str
    name: str
    price: Money = strawberry.field(description="Per interval; 0 for a free plan.")
    interval: BillingIntervalEnum
    product_quota: int | None = strawberry.field(
        description="Products that are not archived; null: unlimited."
    )
    platform_fee_rate: Decimal = strawberry.field(description="Percent of each sale, e.g. 5.00.")
    trial_days: int
    position: int
    is_active: bool

    @classmethod
    def from_model(cls, plan: models.MerchantPlan) -> MerchantPlan:
        return cls(
            id=strawberry.ID(str(plan.pk)) if plan.pk else None,
            code=plan.code,
            name=plan.name,
            price=money(plan.price, plan.currency),
            interval=BillingIntervalEnum(plan.interval),
            product_quota=plan.product_quota,
            platform_fee_rate=rate(plan.platform_fee_rate),
            trial_days=plan.trial_days,
            position=plan.position,
            is_active=plan.is_active,
        )


@strawberry.type
class PlanUsage:
    products_used: int
    product_quota: int | None = strawberry.field(description="Null: unlimited.")


@strawberry.type(description="The plan I am on, my subscription's state and my usage.")
class MyPlan:
    plan: MerchantPlan = strawberry.field(
        description="What I am entitled to now (Free without a live subscription)."
    )
    subscribed_plan: MerchantPlan | None = strawberry.field(
        description="The plan of my subscription, also while it waits for its first payment."
    )
    status: SubscriptionStatusEnum | None
    provider: PaymentProviderEnum | None
    trial_end: dt.datetime | None
    current_period_start: dt.datetime | None
    current_period_end: dt.datetime | None
    cancel_at_period_end: bool
    usage: PlanUsage
    pending_payment: Payment | None = strawberry.field(description="A bank transfer waiting for the brand.")
    payment_failed_at: dt.datetime | None = strawberry.field(
        default=None, description="When my plan's payments started failing (null: they go through)."
    )
    grace_until: dt.datetime | None = strawberry.field(
        default=None,
        description="While payments fail: until when my plan's quotas stay before the Free plan applies.",
    )

    @classmethod
    def of(cls, merchant: object, subscription: models.MerchantSubscription | None) -> MyPlan:
        entitled = subscription is not None and subscription_is_entitled(subscription)
        plan = subscription.plan if subscription is not None and entitled else free_plan()
        pending = (
            payment_models.Payment.objects.select_related("order")
            .filter(
                merchant_subscription=subscription,
                status__in=[
                    payment_models.PaymentStatus.PENDING,
                    payment_models.PaymentStatus.TRANSACTION_SUBMITTED,
                    payment_models.PaymentStatus.VERIFIED,
                ],
            )
            .order_by("-pk")
            .first()
            if subscription is not None
            else None
        )
        return cls(
            plan=MerchantPlan.from_model(plan),
            subscribed_plan=MerchantPlan.from_model(subscription.plan) if subscription is not None else None,
            status=SubscriptionStatusEnum(subscription.status) if subscription is not None else None,
            provider=PaymentProviderEnum(subscription.provider) if subscription is not None else None,
            trial_end=subscription.trial_end if subscription is not None else None,
            current_period_start=subscription.current_period_start if subscription is not None else None,
            current_period_end=subscription.current_period_end if subscription is not None else None,
            cancel_at_period_end=bool(subscription and subscription.cancel_at_period_end),
            usage=PlanUsage(products_used=products_used(merchant), product_quota=plan.product_quota),  # type: ignore[arg-type]
            pending_payment=Payment.from_model(pending) if pending is not None else None,
            payment_failed_at=subscription.payment_failed_at if subscription is not None else None,
            grace_until=grace_until(subscription) if subscription is not None else None,
        )


@strawberry.type(description="A merchant's subscription, as brand admins see it.")
class MerchantSubscription:
    id: strawberry.ID
    merchant_id: strawberry.ID
    merchant_email: str
    plan: MerchantPlan
    status: SubscriptionStatusEnum
    provider: PaymentProviderEnum
    is_entitled: bool = strawberry.field(description="Whether the plan applies now.")
    trial_end: dt.datetime | None
    current_period_end: dt.datetime | None
    cancel_at_period_end: bool
    stripe_subscription_id: str | None
    created_at: dt.datetime

    @classmethod
    def from_model(cls, subscription: models.MerchantSubscription) -> MerchantSubscription:
        return cls(
            id=strawberry.ID(str(subscription.pk)),
            merchant_id=strawberry.ID(str(subscription.merchant_id)),
            merchant_email=subscription.merchant.email,
            plan=MerchantPlan.from_model(subscription.plan),
            status=SubscriptionStatusEnum(subscription.status),
            provider=PaymentProviderEnum(subscription.provider),
            is_entitled=subscription_is_entitled(subscription),
            trial_end=subscription.trial_end,
            current_period_end=subscription.current_period_end,
            cancel_at_period_end=subscription.cancel_at_period_end,
            stripe_subscription_id=subscription.stripe_subscription_id,
            created_at=subscription.created_at,
        )


@strawberry.type(description="A membership a brand sells to its customers.")
class MembershipPlan:
    id: strawberry.ID
    code: str
    name: str
    description: str
    price: Money
    interval: BillingIntervalEnum
    program_id: strawberry.ID | None = strawberry.field(
        description="The partner program whose recurring commission referred members' payments earn."
    )
    is_active: bool

    @classmethod
    def from_model(cls, plan: models.MembershipPlan) -> MembershipPlan:
        return cls(
            id=strawberry.ID(str(plan.pk)),
            code=plan.code,
            name=plan.name,
            description=plan.description,
            price=money(plan.price, plan.currency),
            interval=BillingIntervalEnum(plan.interval),
            program_id=strawberry.ID(str(plan.program_id)) if plan.program_id else None,
            is_active=plan.is_active,
        )


@strawberry.type
class Membership:
    id: strawberry.ID
    plan: MembershipPlan
    member_email: str
    status: SubscriptionStatusEnum
    provider: PaymentProviderEnum
    current_period_start: dt.datetime | None
    current_period_end: dt.datetime | None
    cancel_at_period_end: bool
    referred: bool = strawberry.field(description="Whether an affiliate referred this membership.")
    created_at: dt.datetime

    @classmethod
    def from_model(cls, membership: models.Membership) -> Membership:
        return cls(
            id=strawberry.ID(str(membership.pk)),
            plan=MembershipPlan.from_model(membership.plan),
            member_email=membership.member.email,
            status=SubscriptionStatusEnum(membership.status),
            provider=PaymentProviderEnum(membership.provider),
            current_period_start=membership.current_period_start,
            current_period_end=membership.current_period_end,
            cancel_at_period_end=membership.cancel_at_period_end,
            referred=membership.referrer_id is not None,
            created_at=membership.created_at,
        )

    @classmethod
    def from_models(cls, memberships: Sequence[models.Membership]) -> list[Membership]:
        return [cls.from_model(membership) for membership in memberships]


# --- inputs and payloads ---------------------------------------------------------------------------


@strawberry.input
class MerchantPlanInput:
    name: str | None = strawberry.UNSET
    price: Decimal | None = strawberry.UNSET
    currency: str | None = strawberry.UNSET
    interval: BillingIntervalEnum | None = strawberry.UNSET
    product_quota: int | None = strawberry.field(default=strawberry.UNSET, description="Null: unlimited.")
    platform_fee_rate: Decimal | None = strawberry.field(
        default=strawberry.UNSET, description="Percent, 0 to 100."
    )
    trial_days: int | None = strawberry.UNSET
    position: int | None = strawberry.UNSET
    is_active: bool | None = strawberry.UNSET


@strawberry.input
class MerchantPlanCreateInput(MerchantPlanInput):
    code: str = strawberry.field(description="Lowercase letters, digits and dashes, e.g. starter.")


@strawberry.type
class MerchantPlanPayload:
    plan: MerchantPlan | None
    errors: list[UserError]


@strawberry.input
class PayerInput:
    """Bank transfer: who pays, and a contact the brand reaches them on."""

    payer_name: str = ""
    payer_email: str = ""
    contact_channel: ContactChannelEnum | None = None
    contact: str = strawberry.field(
        default="",
        description="An email (default: payerEmail), @username (Telegram), +E.164 number (WhatsApp) "
        "or username (Discord).",
    )


@strawberry.input
class PlanSubscribeInput(PayerInput):
    plan_code: str
    provider: PlanPaymentProviderEnum


@strawberry.type
class PlanSubscribePayload:
    my_plan: MyPlan | None
    checkout_url: str | None = strawberry.field(
        description="Card: send the merchant to Stripe Checkout there."
    )
    bank_transfer: BankTransferDetails | None = strawberry.field(
        description="Bank transfer: the brand's bank details and the reference to quote."
    )
    errors: list[UserError]


@strawberry.type
class PlanChangePayload:
    my_plan: MyPlan | None
    is_upgrade: bool | None
    amount_due_now: Money | None = strawberry.field(
        description="An upgrade: the prorated difference charged now (nothing during a trial)."
    )
    next_invoice_credit: Money | None = strawberry.field(
        description="A downgrade: the unused time credited on the next invoice."
    )
    errors: list[UserError]


@strawberry.type
class MyPlanPayload:
    my_plan: MyPlan | None
    errors: list[UserError]


@strawberry.type
class BillingPortalPayload:
    url: str | None = strawberry.field(description="Stripe's customer portal; the link is short-lived.")
    errors: list[UserError]


@strawberry.input
class MembershipPlanInput:
    name: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    price: Decimal | None = strawberry.UNSET
    currency: str | None = strawberry.UNSET
    interval: BillingIntervalEnum | None = strawberry.UNSET
    program_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="Null unlinks the program (no commissions)."
    )
    is_active: bool | None = strawberry.UNSET


@strawberry.input
class MembershipPlanCreateInput(MembershipPlanInput):
    code: str


@strawberry.type
class MembershipPlanPayload:
    plan: MembershipPlan | None
    errors: list[UserError]


@strawberry.input
class MembershipJoinInput(PayerInput):
    plan_code: str
    provider: PlanPaymentProviderEnum
    coupon_code: str = strawberry.field(
        default="", description="An affiliate's coupon (the click cookie wins)."
    )


@strawberry.type
class MembershipJoinPayload:
    membership: Membership | None
    checkout_url: str | None
    bank_transfer: BankTransferDetails | None
    errors: list[UserError]


@strawberry.type
class MembershipCancelPayload:
    membership: Membership | None
    errors: list[UserError]


@strawberry.enum(name="FailingSubscriptionKind")
class FailingSubscriptionKindEnum(Enum):
    MERCHANT_PLAN = "merchant_plan"
    MEMBERSHIP = "membership"


@strawberry.type(
    description="A merchant plan or membership whose card payments fail (past due, unpaid) or "
    "never went through (incomplete)."
)
class FailingSubscription:
    id: strawberry.ID = strawberry.field(description="kind:subscriptionId")
    kind: FailingSubscriptionKindEnum
    subscription_id: strawberry.ID
    user_email: str
    plan_name: str
    price: Money
    status: SubscriptionStatusEnum
    payment_failed_at: dt.datetime | None = strawberry.field(description="When the failures began.")
    grace_until: dt.datetime | None = strawberry.field(
        description="Merchant plans: until when the plan's quotas stay (the brand's grace period)."
    )
    downgraded: bool = strawberry.field(description="Merchant plans: moved to the Free plan's quotas.")
    current_period_end: dt.datetime | None
    stripe_subscription_id: str | None

    @classmethod
    def from_row(cls, row: selectors.FailingSubscription) -> FailingSubscription:
        return cls(
            id=strawberry.ID(f"{row.kind}:{row.subscription_id}"),
            kind=FailingSubscriptionKindEnum(row.kind),
            subscription_id=strawberry.ID(str(row.subscription_id)),
            user_email=row.user_email,
            plan_name=row.plan_name,
            price=money(row.price, row.currency),
            status=SubscriptionStatusEnum(row.status),
            payment_failed_at=row.payment_failed_at,
            grace_until=row.grace_until,
            downgraded=row.downgraded,
            current_period_end=row.current_period_end,
            stripe_subscription_id=row.stripe_subscription_id,
        )
