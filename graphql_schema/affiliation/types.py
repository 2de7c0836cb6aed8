from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import Enum

import strawberry

from affiliation import models
from analytics.affiliate_stats import LinkStats as LinkStatsData
from analytics.affiliate_stats import StatsPoint
from graphql_schema.errors import UserError
from graphql_schema.money import Money, money, rate


@strawberry.enum
class CommissionKind(Enum):
    PERCENTAGE = "percentage"
    FLAT = "flat"
    PER_CLICK = "per_click"


@strawberry.enum
class RecurringMode(Enum):
    NONE = "none"
    MONTHS = "months"
    LIFETIME = "lifetime"


@strawberry.enum
class AttributionModel(Enum):
    LAST_CLICK = "last_click"
    FIRST_CLICK = "first_click"


@strawberry.enum
class WithdrawalMethod(Enum):
    PAYPAL = "paypal"
    BANK_TRANSFER = "bank_transfer"
    STRIPE = "stripe"


@strawberry.enum
class AffiliateStatus(Enum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUSPENDED = "suspended"


@strawberry.enum
class CommissionStatus(Enum):
    PENDING = "pending"
    AVAILABLE = "available"
    REVERSED = "reversed"
    HELD = "held"


@strawberry.enum
class Granularity(Enum):
    HOUR = "hour"
    DAY = "day"


@strawberry.type
class CommissionTier:
    code: str
    label: str
    rate: Decimal = strawberry.field(description="Percent of the sale, e.g. 20.")
    is_default: bool

    @classmethod
    def from_model(cls, tier: models.CommissionTier) -> CommissionTier:
        return cls(code=tier.code, label=tier.label, rate=rate(tier.rate), is_default=tier.is_default)


@strawberry.type(description="A partner program and its commission rules.")
class Program:
    id: strawberry.ID
    slug: str
    name: str
    description: str
    landing_url: str
    allowed_domains: list[str]
    currency: str
    is_active: bool
    auto_approve: bool
    commission_kind: CommissionKind
    flat_amount: Money
    per_click_amount: Money
    recurring_mode: RecurringMode
    recurring_months: int
    cascade_rates: list[Decimal] = strawberry.field(
        description="Percent of the sale for referrer levels 1, 2, …"
    )
    hold_days: int
    cookie_window_days: int
    attribution_model: AttributionModel
    minimum_withdrawal: Money
    max_order_value: Money = strawberry.field(
        description="The largest sale the API and postbacks may record; beyond it, a field error."
    )
    withdrawal_methods: list[WithdrawalMethod]
    tiers: list[CommissionTier]

    @classmethod
    def from_model(cls, program: models.Program) -> Program:
        currency = program.currency
        return cls(
            id=strawberry.ID(str(program.pk)),
            slug=program.slug,
            name=program.name,
            description=program.description,
            landing_url=program.landing_url,
            allowed_domains=list(program.allowed_domains),
            currency=currency,
            is_active=program.is_active,
            auto_approve=program.auto_approve,
            commission_kind=CommissionKind(program.commission_kind),
            flat_amount=money(program.flat_amount, currency),
            per_click_amount=money(program.per_click_amount, currency),
            recurring_mode=RecurringMode(program.recurring_mode),
            recurring_months=program.recurring_months,
            cascade_rates=[rate(value) for value in program.cascade_rates],
            hold_days=program.hold_days,
            cookie_window_days=program.cookie_window_days,
            attribution_model=AttributionModel(program.attribution_model),
            minimum_withdrawal=money(program.minimum_withdrawal, currency),
            max_order_value=money(program.max_order_value, currency),
            withdrawal_methods=[WithdrawalMethod(method) for method in program.withdrawal_methods],
            tiers=[CommissionTier.from_model(tier) for tier in program.tiers.all()],
        )


@strawberry.type(description="A user's membership in a program.")
class Affiliate:
    id: strawberry.ID
    program_id: strawberry.ID
    email: str
    full_name: str
    status: AffiliateStatus
    tier: CommissionTier
    referral_code: str
    referred_by_id: strawberry.ID | None
    leaderboard_opt_out: bool
    joined_at: dt.datetime

    @classmethod
    def from_model(cls, affiliate: models.Affiliate) -> Affiliate:
        return cls(
            id=strawberry.ID(str(affiliate.pk)),
            program_id=strawberry.ID(str(affiliate.program_id)),
            email=affiliate.user.email,
            full_name=affiliate.user.full_name,
            status=AffiliateStatus(affiliate.status),
            tier=CommissionTier.from_model(affiliate.tier),
            referral_code=affiliate.referral_code,
            referred_by_id=strawberry.ID(str(affiliate.referred_by_id)) if affiliate.referred_by_id else None,
            leaderboard_opt_out=affiliate.leaderboard_opt_out,
            joined_at=affiliate.joined_at,
        )


@strawberry.type
class LinkStats:
    clicks: int
    unique_clicks: int
    conversions: int
    revenue: Money
    earnings: Money
    conversion_rate: float = strawberry.field(description="Conversions per unique click.")
    earnings_per_click: Money = strawberry.field(description="Earnings per unique click (EPC).")

    @classmethod
    def from_data(cls, stats: LinkStatsData, currency: str) -> LinkStats:
        return cls(
            clicks=stats.clicks,
            unique_clicks=stats.unique_clicks,
            conversions=stats.conversions,
            revenue=money(stats.revenue, currency),
            earnings=money(stats.earnings, currency),
            conversion_rate=stats.conversion_rate,
            earnings_per_click=money(stats.earnings_per_click, currency),
        )


@strawberry.type
class LinkStatsPoint:
    bucket: dt.datetime
    clicks: int
    unique_clicks: int
    conversions: int
    earnings: Money

    @classmethod
    def from_data(cls, point: StatsPoint, currency: str) -> LinkStatsPoint:
        return cls(
            bucket=point.bucket,
            clicks=point.clicks,
            unique_clicks=point.unique_clicks,
            conversions=point.conversions,
            earnings=money(point.earnings, currency),
        )


@strawberry.type(description="A tracked short link.")
class Link:
    id: strawberry.ID
    code: str
    url: str = strawberry.field(description="The short URL to share: https://<brand>/r/<code>.")
    qr_code_svg_url: str
    qr_code_png_url: str
    title: str
    target_url: str
    program_id: strawberry.ID
    sub_ids: strawberry.scalars.JSON
    utm: strawberry.scalars.JSON
    created_at: dt.datetime
    archived_at: dt.datetime | None
    stats: LinkStats = strawberry.field(description="All-time stats (from the hourly rollups).")


@strawberry.type
class Conversion:
    id: strawberry.ID
    order_id: str
    amount: Money
    refunded_amount: Money
    status: str
    occurred_at: dt.datetime
    under_review: bool = strawberry.field(
        default=False, description="Held for a review by the brand before its commissions can be paid."
    )


@strawberry.type
class Commission:
    id: strawberry.ID
    amount: Money
    reversed_amount: Money
    status: CommissionStatus
    kind: CommissionKind
    level: int = strawberry.field(description="0: your own sale; 1+: a sale of someone you referred.")
    is_recurring: bool
    click_count: int
    available_at: dt.datetime
    created_at: dt.datetime
    conversion: Conversion | None
    under_review: bool = strawberry.field(
        default=False, description="Held for a review by the brand: not released until it decides."
    )

    @classmethod
    def from_model(cls, commission: models.Commission) -> Commission:
        currency = commission.currency
        conversion = commission.conversion
        return cls(
            id=strawberry.ID(str(commission.pk)),
            amount=money(commission.amount, currency),
            reversed_amount=money(commission.reversed_amount, currency),
            status=CommissionStatus(commission.status),
            kind=CommissionKind(commission.kind),
            level=commission.level,
            is_recurring=commission.is_recurring,
            click_count=commission.click_count,
            available_at=commission.available_at,
            created_at=commission.created_at,
            conversion=Conversion(
                id=strawberry.ID(str(conversion.pk)),
                order_id=conversion.order_id,
                amount=money(conversion.amount, currency),
                refunded_amount=money(conversion.refunded_amount, currency),
                status=conversion.status,
                occurred_at=conversion.occurred_at,
                under_review=conversion.under_review,
            )
            if conversion is not None
            else None,
            under_review=commission.status == models.CommissionStatus.HELD,
        )


@strawberry.type(description="Balances derived from the ledger.")
class Balance:
    program_id: strawberry.ID
    pending: Money = strawberry.field(description="Earned, still in the hold period.")
    available: Money = strawberry.field(description="Can be withdrawn.")
    reserved: Money = strawberry.field(description="Requested for withdrawal, not paid yet.")
    paid: Money = strawberry.field(description="Paid out, all time.")


@strawberry.type(description="What one live message added to one link's counters.")
class LinkStatsDelta:
    link_id: strawberry.ID | None = strawberry.field(
        description="The link; null for what came through no link (a cascade commission, a coupon sale)."
    )
    clicks: int
    unique_clicks: int
    conversions: int
    earnings: Money


@strawberry.type(
    description="What one live message added to an affiliate's counters, in all and per link: "
    "a client applies it to the numbers it shows."
)
class AffiliateStatsDelta:
    clicks: int
    unique_clicks: int
    conversions: int
    earnings: Money
    links: list[LinkStatsDelta]


@strawberry.type(description="Live counters of an affiliate.")
class AffiliateStats:
    program_id: strawberry.ID
    clicks: int
    unique_clicks: int
    conversions: int
    earnings: Money
    is_snapshot: bool = strawberry.field(
        default=True,
        description="True when the counters were read from the database (a query, or a "
        "subscription's first message, also after a reconnection); false when a live message "
        "added `delta` to the previous counters.",
    )
    delta: AffiliateStatsDelta | None = strawberry.field(
        default=None, description="What this live message added; null on a snapshot."
    )


@strawberry.input
class ProgramInput:
    name: str | None = None
    description: str | None = None
    landing_url: str | None = None
    allowed_domains: list[str] | None = None
    is_active: bool | None = None
    auto_approve: bool | None = None
    commission_kind: CommissionKind | None = None
    flat_amount: Decimal | None = None
    per_click_amount: Decimal | None = None
    recurring_mode: RecurringMode | None = None
    recurring_months: int | None = None
    cascade_rates: list[Decimal] | None = None
    hold_days: int | None = None
    cookie_window_days: int | None = None
    attribution_model: AttributionModel | None = None
    minimum_withdrawal: Decimal | None = None
    max_order_value: Decimal | None = None
    withdrawal_methods: list[WithdrawalMethod] | None = None


@strawberry.input
class ProgramCreateInput(ProgramInput):
    slug: str = ""
    currency: str = ""


@strawberry.input
class TierInput:
    code: str
    label: str
    rate: Decimal
    is_default: bool = False


@strawberry.input
class LinkCreateInput:
    program_id: strawberry.ID
    target_url: str = ""
    title: str = ""
    sub_ids: strawberry.scalars.JSON | None = strawberry.field(
        default=None, description='{"sub1": "…", …, "sub5": "…"}'
    )
    utm: strawberry.scalars.JSON | None = strawberry.field(default=None, description='{"utm_source": "…", …}')


@strawberry.input
class ConversionInput:
    order_id: str
    amount: Decimal
    currency: str
    click_id: str = ""
    coupon_code: str = ""
    offer_ref: str = ""
    subscription_ref: str = ""
    occurred_at: dt.datetime | None = None
    customer_email: str = strawberry.field(
        default="", description="The buyer's email, if known (fraud rules: self-purchase)."
    )
    customer_ip: str = strawberry.field(
        default="",
        description="The buyer's IP address, if known (fraud rules: same network as the affiliate).",
    )


@strawberry.input
class ConversionRefundInput:
    order_id: str
    refund_id: str
    amount: Decimal | None = strawberry.field(default=None, description="Null refunds what is left.")
    chargeback: bool = False
    merchant_id: strawberry.ID | None = strawberry.field(
        default=None,
        description=(
            "Brand admins: the merchant who recorded the sale (null: a sale recorded brand-wide). "
            "Merchants refund their own sales only and leave it null."
        ),
    )


@strawberry.type
class ProgramPayload:
    program: Program | None
    errors: list[UserError]


@strawberry.type
class AffiliatePayload:
    affiliate: Affiliate | None
    errors: list[UserError]


@strawberry.type
class LinkPayload:
    link: Link | None
    errors: list[UserError]


@strawberry.type
class ConversionPayload:
    conversion: Conversion | None
    commissions: list[Commission]
    created: bool = strawberry.field(
        description="False when this order was already recorded (nothing changed)."
    )
    errors: list[UserError]


@strawberry.type
class CouponPayload:
    code: str | None
    errors: list[UserError]
