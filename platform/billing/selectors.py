"""Read-only queries of billing for other layers (GraphQL, the admin pages)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, Q
from django.db.models.expressions import OrderBy

from billing.models import Membership, MerchantSubscription, SubscriptionStatus

# What a brand admin watches: subscriptions whose payments fail (Stripe retrying, or given up
# while the subscription is kept) and those whose first payment failed (incomplete with a Stripe
# subscription; a Checkout merely abandoned has none and is not listed).
FAILING = Q(status__in=[SubscriptionStatus.PAST_DUE, SubscriptionStatus.UNPAID]) | Q(
    status=SubscriptionStatus.INCOMPLETE, stripe_subscription_id__isnull=False
)


@dataclass(frozen=True)
class FailingSubscription:
    kind: str  # merchant_plan or membership
    subscription_id: int
    user_email: str
    plan_name: str
    price: Decimal
    currency: str
    status: str
    provider: str
    payment_failed_at: dt.datetime | None
    grace_until: dt.datetime | None
    downgraded: bool
    current_period_end: dt.datetime | None
    stripe_subscription_id: str | None


def failing_subscriptions(*, kind: str | None = None, limit: int = 500) -> list[FailingSubscription]:
    """The brand's merchant plans and memberships in past_due, unpaid or incomplete (a card
    subscription only: a bank transfer waiting to be reported is not failing), the oldest
    failure first."""
    from billing.services.lifecycle import grace_until

    found: list[FailingSubscription] = []
    order: list[str | OrderBy] = [F("payment_failed_at").asc(nulls_last=True), "pk"]
    if kind in (None, "merchant_plan"):
        for row in (
            MerchantSubscription.objects.select_related("merchant", "plan")
            .filter(FAILING, provider="stripe")
            .order_by(*order)[:limit]
        ):
            found.append(
                FailingSubscription(
                    kind="merchant_plan",
                    subscription_id=row.pk,
                    user_email=row.merchant.email,
                    plan_name=row.plan.name,
                    price=row.plan.price,
                    currency=row.plan.currency,
                    status=row.status,
                    provider=row.provider,
                    payment_failed_at=row.payment_failed_at,
                    grace_until=grace_until(row),
                    downgraded=row.downgraded_at is not None,
                    current_period_end=row.current_period_end,
                    stripe_subscription_id=row.stripe_subscription_id,
                )
            )
    if kind in (None, "membership"):
        for membership in (
            Membership.objects.select_related("member", "plan")
            .filter(FAILING, provider="stripe")
            .order_by(*order)[:limit]
        ):
            found.append(
                FailingSubscription(
                    kind="membership",
                    subscription_id=membership.pk,
                    user_email=membership.member.email,
                    plan_name=membership.plan.name,
                    price=membership.plan.price,
                    currency=membership.plan.currency,
                    status=membership.status,
                    provider=membership.provider,
                    payment_failed_at=membership.payment_failed_at,
                    grace_until=None,
                    downgraded=False,
                    current_period_end=membership.current_period_end,
                    stripe_subscription_id=membership.stripe_subscription_id,
                )
            )
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    return sorted(found, key=lambda item: (item.payment_failed_at or far, item.kind, item.subscription_id))[
        :limit
    ]
