"""Programs, their commission rules, affiliates and their links, conversions and commissions."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper

from accounts.models import User
from core.fields import AmountField, RateField


class CommissionKind(models.TextChoices):
    PERCENTAGE = "percentage", "Percentage of the sale"
    FLAT = "flat", "Flat amount per conversion"
    PER_CLICK = "per_click", "Amount per counted unique click (EPC)"


class RecurringMode(models.TextChoices):
    NONE = "none", "First payment only"
    MONTHS = "months", "For N months"
    LIFETIME = "lifetime", "For the life of the subscription"


class AttributionModel(models.TextChoices):
    LAST_CLICK = "last_click", "Last click"
    FIRST_CLICK = "first_click", "First click"


class WithdrawalMethod(models.TextChoices):
    PAYPAL = "paypal", "PayPal"
    BANK_TRANSFER = "bank_transfer", "Bank transfer"
    STRIPE = "stripe", "Stripe"  # a transfer to the affiliate's Stripe Connect account


class Program(models.Model):
    """A brand's partner program and its commission rules."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    description = models.TextField(blank=True)
    landing_url = models.URLField(max_length=500)
    # Hosts (besides the landing page's and the brand's own) that links may point to.
    allowed_domains = ArrayField(models.CharField(max_length=253), default=list, blank=True)
    currency = models.CharField(max_length=3)
    is_active = models.BooleanField(default=True)
    auto_approve = models.BooleanField(default=True)

    commission_kind = models.CharField(
        max_length=12, choices=CommissionKind.choices, default=CommissionKind.PERCENTAGE
    )
    flat_amount = AmountField(default=Decimal("0"))
    per_click_amount = AmountField(default=Decimal("0.20"))
    recurring_mode = models.CharField(
        max_length=10, choices=RecurringMode.choices, default=RecurringMode.NONE
    )
    recurring_months = models.PositiveSmallIntegerField(default=12)
    # Rate of the sale paid to each upline level: [10, 5] pays the referrer 10 % and the
    # referrer's referrer 5 %. Its length is the cascade's maximum depth.
    cascade_rates = ArrayField(RateField(), default=list, blank=True)

    hold_days = models.PositiveSmallIntegerField(default=30)
    cookie_window_days = models.PositiveSmallIntegerField(default=30)
    attribution_model = models.CharField(
        max_length=12, choices=AttributionModel.choices, default=AttributionModel.LAST_CLICK
    )
    minimum_withdrawal = AmountField(default=Decimal("10"))
    # The largest sale a caller may declare (the API, postbacks), in the program's currency: a
    # typo or a forged amount beyond it is refused, not paid.
    max_order_value = AmountField(default=Decimal("10000"))
    withdrawal_methods = ArrayField(
        models.CharField(max_length=20, choices=WithdrawalMethod.choices),
        default=list,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class CommissionTier(models.Model):
    """A rate for affiliates of one level (default 20 %, premium 25 %, VIP 30 %)."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="tiers")
    code = models.SlugField(max_length=30)
    label = models.CharField(max_length=60)
    rate = RateField()
    is_default = models.BooleanField(default=False)

    class Meta:
        ordering = ["rate", "id"]
        constraints = [
            models.UniqueConstraint(fields=["program", "code"], name="affiliation_tier_code_unique"),
            models.UniqueConstraint(
                fields=["program"], condition=Q(is_default=True), name="affiliation_tier_one_default"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.rate} %)"


class OfferRule(models.Model):
    """Overrides the program's rule for one offer (a product, from the marketplace)."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="offer_rules")
    offer_ref = models.CharField(max_length=64)
    commission_kind = models.CharField(max_length=12, choices=CommissionKind.choices)
    rate = RateField(null=True, blank=True)
    flat_amount = AmountField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "offer_ref"], name="affiliation_offer_rule_unique")
        ]

    def __str__(self) -> str:
        return f"{self.program_id}:{self.offer_ref}"


class AffiliateStatus(models.TextChoices):
    PENDING = "pending", "Pending approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    SUSPENDED = "suspended", "Suspended"


class Affiliate(models.Model):
    """A user's membership in a program. ``referred_by`` builds the multi-level tree; it is
    set once, at joining, to an existing affiliate, so the tree can hold no cycle."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="affiliations")
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="affiliates")
    status = models.CharField(max_length=10, choices=AffiliateStatus.choices, default=AffiliateStatus.PENDING)
    tier = models.ForeignKey(CommissionTier, on_delete=models.PROTECT, related_name="affiliates")
    referred_by = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="referrals"
    )
    referral_code = models.CharField(max_length=16, unique=True)
    leaderboard_opt_out = models.BooleanField(default=False)
    joined_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "program"], name="affiliation_affiliate_once_per_program"
            ),
            models.CheckConstraint(
                condition=~Q(referred_by=models.F("id")), name="affiliation_no_self_referral"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}@{self.program_id}"


class Link(models.Model):
    """A tracked short link: ``/r/<code>`` on the brand's host redirects to ``target_url``."""

    affiliate = models.ForeignKey(Affiliate, on_delete=models.CASCADE, related_name="links")
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="links")
    code = models.CharField(max_length=16, unique=True)
    title = models.CharField(max_length=120, blank=True)
    target_url = models.URLField(max_length=2000)
    offer_ref = models.CharField(max_length=64, blank=True)
    # Default sub-ids (sub1..sub5) and UTM parameters; query parameters of a click override them.
    sub_ids = models.JSONField(default=dict, blank=True)
    utm = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.code


class Coupon(models.Model):
    """A coupon code that attributes a conversion to an affiliate without a click."""

    affiliate = models.ForeignKey(Affiliate, on_delete=models.CASCADE, related_name="coupons")
    code = models.CharField(max_length=40)
    # The offer it is for (``product:<id>``): its merchant may record sales with it. Blank: a
    # program-wide coupon, which only brand-wide callers may use.
    offer_ref = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(Upper("code"), name="affiliation_coupon_unique_ci")]

    def __str__(self) -> str:
        return self.code


class ConversionSource(models.TextChoices):
    POSTBACK = "postback", "Server-to-server postback"
    API = "api", "GraphQL API"
    PLATFORM = "platform", "On-platform order"
    STRIPE = "stripe", "Stripe invoice"


class ConversionStatus(models.TextChoices):
    APPROVED = "approved", "Approved"
    PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"
    REVERSED = "reversed", "Reversed (refund or chargeback)"
    # Refused by a fraud rule at record time, or by a brand admin from the review queue.
    REJECTED = "rejected", "Rejected (fraud review)"


class Conversion(models.Model):
    """A sale (or a subscription payment) attributed to an affiliate. One per (source, merchant,
    order id): a merchant's order ids are its own; ``merchant`` is null for sales recorded
    brand-wide (brand admins, postback keys, the platform's own orders and invoices)."""

    source = models.CharField(max_length=10, choices=ConversionSource.choices)
    order_id = models.CharField(max_length=120)
    merchant = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="recorded_conversions"
    )
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="conversions")
    affiliate = models.ForeignKey(Affiliate, on_delete=models.PROTECT, related_name="conversions")
    click_id = models.UUIDField(null=True, blank=True)
    coupon = models.ForeignKey(Coupon, on_delete=models.SET_NULL, null=True, blank=True)
    link = models.ForeignKey(
        Link, on_delete=models.SET_NULL, null=True, blank=True, related_name="conversions"
    )
    offer_ref = models.CharField(max_length=64, blank=True)
    # A subscription's payments share this reference; recurring commissions follow it.
    subscription_ref = models.CharField(max_length=120, blank=True, db_index=True)
    amount = AmountField()
    refunded_amount = AmountField(default=Decimal("0"))
    currency = models.CharField(max_length=3)
    status = models.CharField(
        max_length=20, choices=ConversionStatus.choices, default=ConversionStatus.APPROVED
    )
    # A fraud rule held it (``affiliation.screening``): its commissions are HELD until a brand
    # admin decides. The affiliate sees "under review", never why.
    under_review = models.BooleanField(default=False)
    occurred_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "merchant", "order_id"],
                nulls_distinct=False,
                name="affiliation_conversion_once_per_merchant_order",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="affiliation_conversion_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.order_id}"


class CommissionStatus(models.TextChoices):
    PENDING = "pending", "Pending (in the hold period)"
    AVAILABLE = "available", "Available for withdrawal"
    REVERSED = "reversed", "Reversed"
    # Under fraud review: the money stays in the pending account and the release job skips it.
    HELD = "held", "Held for review"


class Commission(models.Model):
    """What one beneficiary earns from one conversion at one level of the cascade (level 0
    is the converting affiliate), or from a batch of counted clicks. Amounts never change:
    a refund adds ``reversed_amount`` and a ledger reversal, never an edit of ``amount``."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="commissions")
    beneficiary = models.ForeignKey(Affiliate, on_delete=models.PROTECT, related_name="commissions")
    conversion = models.ForeignKey(
        Conversion, on_delete=models.PROTECT, null=True, blank=True, related_name="commissions"
    )
    level = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=12, choices=CommissionKind.choices)
    is_recurring = models.BooleanField(default=False)
    # Per-click commissions: the idempotency key of the batch of clicks they pay for.
    click_batch_key = models.CharField(max_length=120, null=True, blank=True, unique=True)
    click_count = models.PositiveIntegerField(default=0)
    base_amount = AmountField()
    rate = RateField(null=True, blank=True)
    amount = AmountField()
    reversed_amount = AmountField(default=Decimal("0"))
    currency = models.CharField(max_length=3)
    status = models.CharField(
        max_length=10, choices=CommissionStatus.choices, default=CommissionStatus.PENDING
    )
    available_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "available_at"], name="affiliation_commission_due")]
        constraints = [
            models.UniqueConstraint(
                fields=["conversion", "beneficiary", "level"],
                condition=Q(conversion__isnull=False),
                name="affiliation_commission_once_per_level",
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="affiliation_commission_amount_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(reversed_amount__lte=models.F("amount")),
                name="affiliation_commission_reversal_bounded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} to {self.beneficiary_id}"


class RefundKind(models.TextChoices):
    REFUND = "refund", "Refund"
    CHARGEBACK = "chargeback", "Chargeback"


class ConversionRefund(models.Model):
    """One refund or chargeback of a conversion; ``refund_id`` makes a replayed one a no-op."""

    conversion = models.ForeignKey(Conversion, on_delete=models.PROTECT, related_name="refunds")
    refund_id = models.CharField(max_length=120)
    kind = models.CharField(max_length=10, choices=RefundKind.choices, default=RefundKind.REFUND)
    amount = AmountField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversion", "refund_id"], name="affiliation_refund_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="affiliation_refund_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.refund_id} of {self.conversion_id}"


class PostbackKey(models.Model):
    """The brand's secret for signing server-to-server postbacks (HMAC-SHA256). Several may be
    active while a merchant rotates; a revoked key signs nothing any more."""

    secret = models.CharField(max_length=64)
    prefix = models.CharField(max_length=12, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"postback key {self.prefix}…"
