"""Plans and memberships: merchant plans (quotas, platform fee) and member subscriptions, paid
by Stripe Billing or by manual bank transfer. Their payments and invoices live in ``payments``."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from accounts.models import User
from affiliation.models import Affiliate, Program
from core.fields import AmountField, RateField
from payments.models import PaymentProvider


class BillingInterval(models.TextChoices):
    MONTH = "month", "Monthly"
    YEAR = "year", "Yearly"


class MerchantPlan(models.Model):
    """A SaaS plan a merchant subscribes to: product quota and the platform fee on each sale."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=80)
    price = AmountField()
    currency = models.CharField(max_length=3)
    interval = models.CharField(max_length=5, choices=BillingInterval.choices, default=BillingInterval.MONTH)
    product_quota = models.PositiveIntegerField(null=True, blank=True)  # null: unlimited
    platform_fee_rate = RateField()
    trial_days = models.PositiveSmallIntegerField(default=14)
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    stripe_price_id = models.CharField(max_length=80, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "price"]
        constraints = [models.CheckConstraint(condition=Q(price__gte=0), name="billing_plan_price_positive")]

    def __str__(self) -> str:
        return self.name


class SubscriptionStatus(models.TextChoices):
    INCOMPLETE = "incomplete", "Awaiting first payment"
    TRIALING = "trialing", "Trialing"
    ACTIVE = "active", "Active"
    PAST_DUE = "past_due", "Past due"
    # Stripe gave up retrying and keeps the subscription without collecting (invoices stay open).
    UNPAID = "unpaid", "Unpaid"
    CANCELED = "canceled", "Canceled"


class StripeSubscriptionState(models.Model):
    """What both kinds of subscription hold of their Stripe (or manual) state.

    ``stripe_updated_at`` is the ``created`` time of the Stripe event last applied: an older
    event arriving late is reconciled against the object's current state, never applied over it.
    """

    status = models.CharField(max_length=12, choices=SubscriptionStatus.choices)
    provider = models.CharField(max_length=20, choices=PaymentProvider.choices)
    stripe_customer_id = models.CharField(max_length=80, blank=True)
    stripe_subscription_id = models.CharField(max_length=80, null=True, blank=True, unique=True)
    current_period_start = models.DateTimeField(null=True, blank=True)
    current_period_end = models.DateTimeField(null=True, blank=True)
    trial_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    canceled_at = models.DateTimeField(null=True, blank=True)
    stripe_updated_at = models.DateTimeField(null=True, blank=True)
    # When the current run of failed payments began (the first failure since the last payment
    # that went through): the grace period counts from it. None while payments succeed.
    payment_failed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class MerchantSubscription(StripeSubscriptionState):
    """A merchant's plan (one current subscription per merchant)."""

    merchant = models.OneToOneField(User, on_delete=models.PROTECT, related_name="plan_subscription")
    plan = models.ForeignKey(MerchantPlan, on_delete=models.PROTECT, related_name="subscriptions")
    # Set when the merchant was moved to the Free plan's quota by a failed or ended subscription
    # (their extra products paused); cleared when the plan is restored.
    downgraded_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.merchant_id} on {self.plan_id} ({self.status})"


class MembershipPlan(models.Model):
    """A membership a brand sells to its customers; a referred member's paid invoices earn the
    referrer the recurring commission of ``program``."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=80)
    description = models.TextField(blank=True)
    price = AmountField()
    currency = models.CharField(max_length=3)
    interval = models.CharField(max_length=5, choices=BillingInterval.choices, default=BillingInterval.MONTH)
    program = models.ForeignKey(
        Program, on_delete=models.PROTECT, null=True, blank=True, related_name="membership_plans"
    )
    is_active = models.BooleanField(default=True)
    stripe_price_id = models.CharField(max_length=80, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["price"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gt=0), name="billing_membership_price_positive")
        ]

    def __str__(self) -> str:
        return self.name


class Membership(StripeSubscriptionState):
    """A customer's membership; ``referrer`` and ``click_id`` are fixed when it is taken."""

    member = models.ForeignKey(User, on_delete=models.PROTECT, related_name="memberships")
    plan = models.ForeignKey(MembershipPlan, on_delete=models.PROTECT, related_name="memberships")
    referrer = models.ForeignKey(
        Affiliate, on_delete=models.SET_NULL, null=True, blank=True, related_name="referred_memberships"
    )
    click_id = models.UUIDField(null=True, blank=True)
    coupon_code = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.member_id} on {self.plan_id} ({self.status})"
