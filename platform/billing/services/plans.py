"""Merchant plans: what a brand sells its merchants (a product quota and the platform fee taken
on each sale), edited by the brand admin; and what a merchant is entitled to right now.

A merchant without a live subscription is on the brand's Free plan: the first active plan
priced 0. A brand with no merchant plans at all does not use plans (no quota, no fee); a brand
with plans but no free one lets a merchant without a subscription list nothing.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import User
from billing.models import BillingInterval, MerchantPlan, MerchantSubscription, SubscriptionStatus
from core.audit import audit_log
from core.errors import field_error
from core.money import minor_unit_exponent
from core.tenancy import tenant_connection
from payments.models import PaymentProvider


class BillingErrorCode(StrEnum):
    REQUIRED = "REQUIRED"
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    CODE_TAKEN = "CODE_TAKEN"
    CURRENCY_MISMATCH = "CURRENCY_MISMATCH"
    PLAN_INACTIVE = "PLAN_INACTIVE"
    PLAN_PRODUCT_QUOTA_REACHED = "PLAN_PRODUCT_QUOTA_REACHED"
    ALREADY_SUBSCRIBED = "ALREADY_SUBSCRIBED"
    ALREADY_ON_PLAN = "ALREADY_ON_PLAN"
    NOT_SUBSCRIBED = "NOT_SUBSCRIBED"
    NOT_CANCELED = "NOT_CANCELED"
    PROVIDER_NOT_AVAILABLE = "PROVIDER_NOT_AVAILABLE"
    PAYMENT_PENDING = "PAYMENT_PENDING"
    PLAN_CHANGE_AT_RENEWAL = "PLAN_CHANGE_AT_RENEWAL"
    PAYMENT_PROVIDER_ERROR = "PAYMENT_PROVIDER_ERROR"


Code = BillingErrorCode

# Statuses of a subscription still running. past_due (Stripe retrying) and unpaid (Stripe gave
# up, invoices open) keep the plan only during the brand's grace period after the first failed
# payment (billing.services.lifecycle); Stripe then cancels or leaves it unpaid.
ENTITLED_STATUSES = frozenset(
    {
        SubscriptionStatus.TRIALING,
        SubscriptionStatus.ACTIVE,
        SubscriptionStatus.PAST_DUE,
        SubscriptionStatus.UNPAID,
    }
)
LIVE_STRIPE_STATUSES = ENTITLED_STATUSES | {SubscriptionStatus.INCOMPLETE}

MAX_PRICE = Decimal(10) ** 9
MAX_TRIAL_DAYS = 730  # Stripe's limit for trial_period_days
_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


# --- validation shared with membership plans -------------------------------------------------


def clean_code(value: Any) -> str:
    code = str(value or "").strip().lower()
    if not code:
        raise field_error("code", "Give the plan a code, e.g. starter.", Code.REQUIRED)
    if not _CODE.match(code):
        raise field_error("code", "Use lowercase letters, digits and dashes (at most 40).", Code.INVALID)
    return code


def clean_name(value: Any) -> str:
    name = str(value or "").strip()
    if not name:
        raise field_error("name", "Give the plan a name.", Code.REQUIRED)
    if len(name) > 80:
        raise field_error("name", "At most 80 characters.", Code.INVALID)
    return name


def clean_currency(value: Any) -> str:
    currency = str(value or "").strip().upper()
    if not _CURRENCY.match(currency):
        raise field_error("currency", "Use a 3-letter ISO currency code such as EUR or MAD.", Code.INVALID)
    return currency


def clean_price(value: Any, currency: str, *, allow_zero: bool) -> Decimal:
    """A price with no more decimals than the currency has (no silent rounding)."""
    try:
        price = Decimal(str(value))
    except (InvalidOperation, ValueError) as error:
        raise field_error("price", "Enter a price like 299 or 19.90.", Code.INVALID) from error
    if not price.is_finite() or price < 0 or (price == 0 and not allow_zero):
        raise field_error(
            "price", "Enter a price of 0 or more." if allow_zero else "Enter a price above 0.", Code.INVALID
        )
    if price >= MAX_PRICE:
        raise field_error("price", f"Prices stop below {MAX_PRICE:,}.", Code.INVALID)
    if price != price.quantize(minor_unit_exponent(currency)):
        raise field_error(
            "price", f"{currency} has no unit smaller than {minor_unit_exponent(currency)}.", Code.INVALID
        )
    return price


def clean_interval(value: Any) -> str:
    interval = str(value or BillingInterval.MONTH)
    if interval not in BillingInterval.values:
        raise field_error("interval", "Bill by month or by year.", Code.INVALID)
    return interval


def _clean_quota(value: Any) -> int | None:
    if value is None:
        return None
    try:
        quota = int(value)
    except (TypeError, ValueError) as error:
        raise field_error("productQuota", "Enter a whole number of products.", Code.INVALID) from error
    if quota < 0 or quota > 1_000_000:
        raise field_error("productQuota", "Between 0 and 1,000,000 products (null: unlimited).", Code.INVALID)
    return quota


def _clean_fee_rate(value: Any) -> Decimal:
    try:
        rate = Decimal(str(value))
    except (InvalidOperation, ValueError) as error:
        raise field_error("platformFeeRate", "Enter a percentage like 5 or 2.5.", Code.INVALID) from error
    if not rate.is_finite() or not Decimal(0) <= rate <= Decimal(100):
        raise field_error("platformFeeRate", "The fee is a percentage between 0 and 100.", Code.INVALID)
    if rate != rate.quantize(Decimal("0.0001")):
        raise field_error("platformFeeRate", "At most four decimals.", Code.INVALID)
    return rate


def _clean_trial_days(value: Any) -> int:
    try:
        days = int(value)
    except (TypeError, ValueError) as error:
        raise field_error("trialDays", "Enter a number of days.", Code.INVALID) from error
    if not 0 <= days <= MAX_TRIAL_DAYS:
        raise field_error("trialDays", f"Between 0 and {MAX_TRIAL_DAYS} days.", Code.INVALID)
    return days


def _clean_position(value: Any) -> int:
    try:
        position = int(value)
    except (TypeError, ValueError) as error:
        raise field_error("position", "Enter a whole number.", Code.INVALID) from error
    if not 0 <= position <= 32767:
        raise field_error("position", "Between 0 and 32767.", Code.INVALID)
    return position


# --- writes ------------------------------------------------------------------------------------

_PLAN_FIELDS = (
    "name",
    "price",
    "currency",
    "interval",
    "product_quota",
    "platform_fee_rate",
    "trial_days",
    "position",
    "is_active",
)


def _apply_fields(plan: MerchantPlan, values: dict[str, Any]) -> None:
    if "name" in values:
        plan.name = clean_name(values["name"])
    if "currency" in values:
        plan.currency = clean_currency(values["currency"])
    if "price" in values or "currency" in values:
        plan.price = clean_price(values.get("price", plan.price), plan.currency, allow_zero=True)
    if "interval" in values:
        plan.interval = clean_interval(values["interval"])
    if "product_quota" in values:
        plan.product_quota = _clean_quota(values["product_quota"])
    if "platform_fee_rate" in values:
        plan.platform_fee_rate = _clean_fee_rate(values["platform_fee_rate"])
    if "trial_days" in values:
        plan.trial_days = _clean_trial_days(values["trial_days"])
    if "position" in values:
        plan.position = _clean_position(values["position"])
    if "is_active" in values:
        plan.is_active = bool(values["is_active"])


def merchant_plan_create(*, actor: Any, code: str, **values: Any) -> MerchantPlan:
    """Create a plan. A paid plan gets its Stripe Price when Stripe is configured (else on the
    first subscription)."""
    unknown = set(values) - set(_PLAN_FIELDS)
    if unknown:
        raise TypeError(f"unknown plan fields {sorted(unknown)}")
    for required in ("name", "price", "currency", "platform_fee_rate"):
        if values.get(required) in (None, ""):
            raise field_error(_camel(required), "This field is required.", Code.REQUIRED)
    plan = MerchantPlan(code=clean_code(code), trial_days=14)
    _apply_fields(plan, values)
    with transaction.atomic():
        try:
            with transaction.atomic():
                plan.save()
        except IntegrityError as error:
            raise field_error("code", "Another plan already uses this code.", Code.CODE_TAKEN) from error
        _sync_price(plan)
        audit_log(actor=actor, action="billing.merchant_plan.created", target=plan, **_audit_values(plan))
    return plan


def merchant_plan_update(*, actor: Any, plan: MerchantPlan, **values: Any) -> MerchantPlan:
    """Change a plan. A new price means a new Stripe Price (Prices are immutable); current
    subscribers keep the price they pay until they change plan."""
    unknown = set(values) - set(_PLAN_FIELDS)
    if unknown:
        raise TypeError(f"unknown plan fields {sorted(unknown)}")
    with transaction.atomic():
        plan = MerchantPlan.objects.select_for_update().get(pk=plan.pk)
        before = (plan.price, plan.currency, plan.interval)
        _apply_fields(plan, values)
        plan.save()
        if (plan.price, plan.currency, plan.interval) != before:
            _sync_price(plan)
        audit_log(actor=actor, action="billing.merchant_plan.updated", target=plan, **_audit_values(plan))
    return plan


def _sync_price(plan: MerchantPlan) -> None:
    from billing.services.stripe_sync import plan_price_sync
    from payments.stripe_client import stripe_is_configured

    if stripe_is_configured() or (plan.price == 0 and plan.stripe_price_id):
        plan_price_sync(plan)


def _audit_values(plan: MerchantPlan) -> dict[str, Any]:
    return {
        "code": plan.code,
        "price": str(plan.price),
        "currency": plan.currency,
        "product_quota": plan.product_quota,
        "platform_fee_rate": str(plan.platform_fee_rate),
        "trial_days": plan.trial_days,
        "is_active": plan.is_active,
    }


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


# --- reads ---------------------------------------------------------------------------------------


def free_plan() -> MerchantPlan:
    """The plan of a merchant without a live subscription (an unsaved one when the brand has no
    active free plan; see the module's docstring)."""
    plan = MerchantPlan.objects.filter(is_active=True, price=0).order_by("position", "pk").first()
    if plan is not None:
        return plan
    plans = MerchantPlan.objects.filter(is_active=True)
    if not plans.exists():
        return MerchantPlan(
            code="free",
            name="Free",
            price=Decimal(0),
            currency=brand_currency(),
            product_quota=None,
            platform_fee_rate=Decimal(0),
            trial_days=0,
        )
    highest_fee = plans.aggregate(highest=Max("platform_fee_rate"))["highest"] or Decimal(0)
    return MerchantPlan(
        code="none",
        name="No plan",
        price=Decimal(0),
        currency=brand_currency(),
        product_quota=0,
        platform_fee_rate=highest_fee,
        trial_days=0,
    )


def brand_currency() -> str:
    """The current brand's currency (what a plan with no price of its own is shown in)."""
    return str(getattr(tenant_connection().tenant, "currency", "") or "USD")


def subscription_is_entitled(subscription: MerchantSubscription, now: Any = None) -> bool:
    """Whether the subscription gives its plan now. Stripe ends a subscription itself (and tells
    us); a bank-transfer period simply runs out."""
    from billing.services.lifecycle import FAILING_STATUSES, in_grace

    if subscription.provider == PaymentProvider.BANK_TRANSFER:
        end = subscription.current_period_end
        return subscription.status in ENTITLED_STATUSES and end is not None and end > (now or timezone.now())
    if subscription.status in FAILING_STATUSES or (
        subscription.status == SubscriptionStatus.CANCELED and subscription.payment_failed_at is not None
    ):
        # Payments failing (or the subscription ended by dunning): the grace period only (a
        # failure not yet dated, its invoice.payment_failed still on its way, has just begun).
        return subscription.payment_failed_at is None or in_grace(subscription, now)
    return subscription.status in ENTITLED_STATUSES


def merchant_subscription_of(merchant: User) -> MerchantSubscription | None:
    return MerchantSubscription.objects.select_related("plan").filter(merchant=merchant).first()


def merchant_plan(merchant: User) -> MerchantPlan:
    """The plan the merchant is on now: the subscribed plan while the subscription is live,
    else the Free plan (no subscription, canceled, ended, awaiting its first payment)."""
    subscription = merchant_subscription_of(merchant)
    if subscription is not None and subscription_is_entitled(subscription):
        return subscription.plan
    return free_plan()


def platform_fee_rate(merchant: User) -> Decimal:
    """The platform's share of each of the merchant's sales, in percent (10 means 10 %)."""
    return merchant_plan(merchant).platform_fee_rate


def merchant_plans(*, include_inactive: bool = False) -> Any:
    plans = MerchantPlan.objects.all()
    return plans if include_inactive else plans.filter(is_active=True)
