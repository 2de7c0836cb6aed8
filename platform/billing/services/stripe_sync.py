"""Keeping the brand's rows in step with Stripe: Prices of paid plans, customers, and the state
of subscriptions (merchant plans and memberships alike).

Stripe objects are handled as plain dicts (webhook payloads are JSON; API answers go through
``plain``), read with tolerance for both API shapes: since 2025-03-31 the billing period lives
on the subscription items and an invoice names its subscription under
``parent.subscription_details``; older versions had them at the top level.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import stripe
from django.utils import timezone

from accounts.models import User
from billing.models import Membership, MembershipPlan, MerchantPlan, MerchantSubscription, SubscriptionStatus
from billing.services.lifecycle import failure_state_track, merchant_plan_state_sync
from payments.models import PaymentProvider
from payments.stripe_client import (
    JSON,
    brand_metadata,
    object_id,
    plain,
    provider_error,
    request_options,
    stripe_client,
    stripe_route_record,
    timestamp,
    to_minor_units,
)

logger = logging.getLogger(__name__)

PURPOSE_MERCHANT_PLAN = "merchant_plan"
PURPOSE_MEMBERSHIP = "membership"

# Stripe's subscription statuses, as the platform's.
STATUS_FROM_STRIPE = {
    "incomplete": SubscriptionStatus.INCOMPLETE,
    "incomplete_expired": SubscriptionStatus.CANCELED,
    "trialing": SubscriptionStatus.TRIALING,
    "active": SubscriptionStatus.ACTIVE,
    "past_due": SubscriptionStatus.PAST_DUE,
    "unpaid": SubscriptionStatus.UNPAID,
    # A trial that ended without a payment method: nothing is owed, nothing is given.
    "paused": SubscriptionStatus.INCOMPLETE,
    "canceled": SubscriptionStatus.CANCELED,
}


def _is_missing(error: stripe.StripeError) -> bool:
    return isinstance(error, stripe.InvalidRequestError) and error.code == "resource_missing"


# --- prices --------------------------------------------------------------------------------------

PricedPlan = MerchantPlan | MembershipPlan


def _plan_kind(plan: PricedPlan) -> str:
    return PURPOSE_MERCHANT_PLAN if isinstance(plan, MerchantPlan) else PURPOSE_MEMBERSHIP


def plan_price_sync(plan: PricedPlan) -> str:
    """The id of a Stripe Price matching the plan's amount, currency and interval, created if
    needed ("" for a free plan).

    Prices are immutable in Stripe: a change of price creates a new Price on the same Product and
    archives the old one, which stays on the subscriptions that use it until they change plan.
    The idempotency key names the Price being replaced, so a replayed request returns the same
    new Price, and 299 → 399 → 299 still creates a third one (the first is archived).
    """
    client = stripe_client()
    kind = _plan_kind(plan)
    current: JSON | None = None
    if plan.stripe_price_id:
        try:
            current = plain(client.v1.prices.retrieve(plan.stripe_price_id))
        except stripe.StripeError as error:
            if not _is_missing(error):  # a Price deleted on Stripe's side is simply replaced
                raise provider_error(error) from error
    try:
        if plan.price <= 0:
            if current is not None and current.get("active"):
                client.v1.prices.update(current["id"], params={"active": False})
            if plan.stripe_price_id:
                plan.stripe_price_id = ""
                plan.save(update_fields=["stripe_price_id"])
            return ""
        units = to_minor_units(plan.price, plan.currency)
        currency = plan.currency.lower()
        if (
            current is not None
            and current.get("active")
            and current.get("unit_amount") == units
            and current.get("currency") == currency
            and (current.get("recurring") or {}).get("interval") == plan.interval
        ):
            return str(current["id"])
        replaced = plan.stripe_price_id or "first"
        if current is not None:
            product_id = object_id(current.get("product"))
        else:
            product = client.v1.products.create(
                params={
                    "name": plan.name,
                    "metadata": brand_metadata(kind=kind, plan_code=plan.code),
                },
                options=request_options(kind, "product", plan.pk, replaced),
            )
            product_id = product.id
        price = client.v1.prices.create(
            params={
                "product": product_id,
                "currency": currency,
                "unit_amount": units,
                "recurring": {"interval": plan.interval},
                "nickname": plan.name,
                "metadata": brand_metadata(kind=kind, plan_code=plan.code, plan_id=plan.pk),
            },
            options=request_options(kind, "price", plan.pk, replaced, units, currency, plan.interval),
        )
        if current is not None and current.get("active"):
            client.v1.prices.update(current["id"], params={"active": False})
    except stripe.StripeError as error:
        raise provider_error(error) from error
    plan.stripe_price_id = price.id
    plan.save(update_fields=["stripe_price_id"])
    return str(price.id)


# --- customers -----------------------------------------------------------------------------------


def known_customer_id(user: User) -> str:
    """The Stripe customer already made for this user (a merchant's plan or a member's
    memberships), or ""."""
    subscription = MerchantSubscription.objects.filter(merchant=user).exclude(stripe_customer_id="").first()
    if subscription is not None:
        return subscription.stripe_customer_id
    membership = Membership.objects.filter(member=user).exclude(stripe_customer_id="").order_by("-pk").first()
    return membership.stripe_customer_id if membership is not None else ""


def customer_ensure(user: User) -> str:
    """The user's Stripe customer, created once (keyed on the user; replaced if Stripe no longer
    has it) and routed to this brand."""
    client = stripe_client()
    existing = known_customer_id(user)
    try:
        if existing:
            try:
                customer = plain(client.v1.customers.retrieve(existing))
            except stripe.StripeError as error:
                if not _is_missing(error):
                    raise
            else:
                if not customer.get("deleted"):
                    stripe_route_record(existing, "customer")
                    return existing
        created = client.v1.customers.create(
            params={
                "email": user.email,
                "name": user.full_name or user.email,
                "metadata": brand_metadata(user_id=user.pk),
            },
            options=request_options("customer", user.pk, existing or "first"),
        )
    except stripe.StripeError as error:
        raise provider_error(error) from error
    stripe_route_record(created.id, "customer")
    return str(created.id)


# --- subscription state --------------------------------------------------------------------------


@dataclass(frozen=True)
class StripeSubscription:
    """What the platform reads of a Stripe subscription."""

    id: str
    customer: str
    status: SubscriptionStatus
    stripe_status: str
    item_id: str
    price_id: str
    price_metadata: dict[str, str]
    unit_amount: int | None
    currency: str
    interval: str
    current_period_start: dt.datetime | None
    current_period_end: dt.datetime | None
    trial_end: dt.datetime | None
    cancel_at_period_end: bool
    canceled_at: dt.datetime | None
    metadata: dict[str, str]

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> StripeSubscription:
        items = ((raw.get("items") or {}).get("data")) or []
        item: Mapping[str, Any] = items[0] if items else {}
        price: Mapping[str, Any] = item.get("price") or {}
        recurring = price.get("recurring") or {}
        cancel_at = raw.get("cancel_at")
        period_end = item.get("current_period_end") or raw.get("current_period_end")
        return cls(
            id=str(raw["id"]),
            customer=object_id(raw.get("customer")),
            status=STATUS_FROM_STRIPE.get(str(raw.get("status")), SubscriptionStatus.INCOMPLETE),
            stripe_status=str(raw.get("status") or ""),
            item_id=str(item.get("id") or ""),
            price_id=object_id(price) if isinstance(price, Mapping) else str(price),
            price_metadata=dict(price.get("metadata") or {}) if isinstance(price, Mapping) else {},
            unit_amount=price.get("unit_amount") if isinstance(price, Mapping) else None,
            currency=str(price.get("currency") or "").upper() if isinstance(price, Mapping) else "",
            interval=str(recurring.get("interval") or ""),
            current_period_start=timestamp(
                item.get("current_period_start") or raw.get("current_period_start")
            ),
            current_period_end=timestamp(period_end),
            trial_end=timestamp(raw.get("trial_end")),
            # Newer API versions may express "at period end" as cancel_at == the period's end.
            cancel_at_period_end=bool(raw.get("cancel_at_period_end"))
            or bool(cancel_at and period_end and int(cancel_at) == int(period_end)),
            canceled_at=timestamp(raw.get("canceled_at") or raw.get("ended_at")),
            metadata=dict(raw.get("metadata") or {}),
        )


SubscriptionRow = MerchantSubscription | Membership
RowT = TypeVar("RowT", MerchantSubscription, Membership)


def subscription_row_for(subscription: StripeSubscription, *, lock: bool = False) -> SubscriptionRow | None:
    """The local row a Stripe subscription belongs to: by its id, else (a subscription Checkout
    just created, whose id we do not know yet) by the row named in its metadata, if that row is
    still waiting for one."""
    for model in (MerchantSubscription, Membership):
        rows = model.objects.select_for_update() if lock else model.objects.all()
        row = rows.filter(stripe_subscription_id=subscription.id).first()
        if row is not None:
            return row
    purpose = subscription.metadata.get("purpose")
    if purpose == PURPOSE_MERCHANT_PLAN:
        merchant_subscriptions = (
            MerchantSubscription.objects.select_for_update() if lock else MerchantSubscription.objects
        )
        return merchant_subscriptions.filter(
            merchant_id=_int(subscription.metadata.get("merchant_id")), stripe_subscription_id__isnull=True
        ).first()
    if purpose == PURPOSE_MEMBERSHIP:
        memberships = Membership.objects.select_for_update() if lock else Membership.objects
        return memberships.filter(
            pk=_int(subscription.metadata.get("membership_id")), stripe_subscription_id__isnull=True
        ).first()
    return None


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _plan_of(row: SubscriptionRow, subscription: StripeSubscription) -> MerchantPlan | MembershipPlan:
    """The plan a subscription's price belongs to (a plan change made in the customer portal
    shows up here); the row's plan when the price is not one of ours."""
    model: type[MerchantPlan] | type[MembershipPlan] = (
        MerchantPlan if isinstance(row, MerchantSubscription) else MembershipPlan
    )
    code = subscription.price_metadata.get("plan_code")
    plan = None
    if code:
        plan = model.objects.filter(code=code).first()
    if plan is None and subscription.price_id:
        plan = model.objects.filter(stripe_price_id=subscription.price_id).first()
    return plan or row.plan


def subscription_apply(row: SubscriptionRow, subscription: StripeSubscription, *, stamp: dt.datetime) -> None:
    """Write Stripe's state of the subscription on the row; ``stamp`` is the Stripe time that
    state is as of (an event's ``created``, or now for an object just fetched)."""
    first_link = row.stripe_subscription_id != subscription.id
    row.stripe_subscription_id = subscription.id
    if subscription.customer:
        row.stripe_customer_id = subscription.customer
    row.status = subscription.status
    row.current_period_start = subscription.current_period_start
    row.current_period_end = subscription.current_period_end
    row.trial_end = subscription.trial_end or row.trial_end
    row.cancel_at_period_end = (
        subscription.cancel_at_period_end and subscription.status != SubscriptionStatus.CANCELED
    )
    row.canceled_at = subscription.canceled_at if subscription.status == SubscriptionStatus.CANCELED else None
    row.stripe_updated_at = max(stamp, row.stripe_updated_at) if row.stripe_updated_at else stamp
    plan = _plan_of(row, subscription)
    row.plan = plan
    failure_state_track(row)
    row.save()
    if first_link:
        stripe_route_record(subscription.id, "subscription")
    if isinstance(row, MerchantSubscription):
        merchant_plan_state_sync(row)


def subscription_fetch_apply(row: SubscriptionRow, subscription_id: str) -> StripeSubscription:
    """Reconcile the row against the subscription's current state in Stripe."""
    try:
        raw = plain(stripe_client().v1.subscriptions.retrieve(subscription_id))
    except stripe.StripeError as error:
        raise provider_error(error) from error
    current = StripeSubscription.parse(raw)
    subscription_apply(row, current, stamp=timezone.now())
    return current


def cancel_at_period_end_set(row: RowT, *, cancel: bool, key: str) -> RowT:
    """Cancel a subscription at the end of its paid period, or undo that. A card subscription
    changes in Stripe first and its answer is applied now (the webhook that follows finds it
    current); a bank-transfer one is simply not renewed. Returns the row, locked and saved in
    the caller's transaction (the caller opens it and audits)."""
    updated: JSON | None = None
    if row.provider == PaymentProvider.STRIPE and row.stripe_subscription_id:
        try:
            updated = plain(
                stripe_client().v1.subscriptions.update(
                    row.stripe_subscription_id,
                    params={"cancel_at_period_end": cancel},
                    options=request_options(
                        f"{key}-cancel" if cancel else f"{key}-resume", row.pk, row.updated_at.timestamp()
                    ),
                )
            )
        except stripe.StripeError as error:
            raise provider_error(error) from error
    locked = type(row).objects.select_for_update().get(pk=row.pk)
    if updated is not None:
        subscription_apply(locked, StripeSubscription.parse(updated), stamp=timezone.now())
    else:
        locked.cancel_at_period_end = cancel
        locked.canceled_at = timezone.now() if cancel else None
        locked.save(update_fields=["cancel_at_period_end", "canceled_at", "updated_at"])
    return locked
