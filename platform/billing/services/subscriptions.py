"""Merchant plans on Stripe Billing or by bank transfer.

Stripe: a merchant subscribes through Stripe Checkout (``mode=subscription``, the plan's trial
once per merchant), changes plan with prorations, cancels at the end of the period (and may
resume before it ends) and manages cards and invoices in Stripe's customer portal. The row's
state follows Stripe's events (see payments.webhooks); the answers of our own API calls are
applied at once, so the merchant sees the change without waiting for the webhook.

Stripe is never called while a row lock is held: a webhook about the same subscription may
arrive during the call (Stripe's delivery is asynchronous, the local fake's synchronous) and
must not wait for us.

Bank transfer: the plan is paid period by period through the payments service (purpose
MERCHANT_PLAN); ``subscription_payment_confirmed`` activates it once a brand admin confirms
the transfer, and a later payment for the same plan extends the period.
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import stripe
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from billing.models import (
    BillingInterval,
    MembershipPlan,
    MerchantPlan,
    MerchantSubscription,
    SubscriptionStatus,
)
from billing.services.plans import (
    ENTITLED_STATUSES,
    free_plan,
    subscription_is_entitled,
)
from billing.services.plans import (
    BillingErrorCode as Code,
)
from billing.services.stripe_sync import (
    JSON,
    PURPOSE_MERCHANT_PLAN,
    StripeSubscription,
    cancel_at_period_end_set,
    customer_ensure,
    known_customer_id,
    plain,
    plan_price_sync,
    provider_error,
    subscription_apply,
)
from core.audit import audit_log
from core.errors import field_error
from core.money import quantize
from core.tenancy import current_schema, tenant_connection
from ledger.models import AccountKind
from ledger.owners import BRAND
from ledger.services import ledger_account, ledger_transfer
from payments.models import Payment, PaymentProvider, PaymentPurpose, PaymentStatus
from payments.services.payments import bank_transfer_instructions, payment_start_bank_transfer
from payments.stripe_client import (
    brand_metadata,
    from_minor_units,
    request_options,
    stripe_client,
    stripe_is_configured,
    stripe_route_record,
)
from tenants.selectors import brand_base_url

if TYPE_CHECKING:
    from payments.services.payments import BankTransferInstructions

logger = logging.getLogger(__name__)

OPEN_PAYMENT_STATUSES = (PaymentStatus.PENDING, PaymentStatus.TRANSACTION_SUBMITTED, PaymentStatus.VERIFIED)


def add_interval(moment: dt.datetime, interval: str, times: int = 1) -> dt.datetime:
    """``moment`` plus ``times`` months or years, on the same day (clamped to the month's end)."""
    months = times * (12 if interval == BillingInterval.YEAR else 1)
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def monthly_price(plan: MerchantPlan | MembershipPlan) -> Decimal:
    """A comparable price: a yearly plan counts a twelfth per month."""
    return plan.price / 12 if plan.interval == BillingInterval.YEAR else plan.price


def brand_url(path: str) -> str:
    tenant = tenant_connection().tenant
    return f"{brand_base_url(tenant)}{path}"


def card_payments_check() -> None:
    """A user error, not a crash, where no Stripe account is configured."""
    if not stripe_is_configured():
        raise field_error("provider", "Card payments are not available.", Code.PROVIDER_NOT_AVAILABLE)


def _non_field(message: str, code: str) -> ValidationError:
    return ValidationError({NON_FIELD_ERRORS: ValidationError(message, code=code)})


# --- subscribing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SubscribeResult:
    """Stripe: ``checkout_url`` to send the merchant to. Bank transfer: the instructions (the
    payment, its reference and the brand's bank details). A free plan: active at once."""

    subscription: MerchantSubscription
    checkout_url: str = ""
    bank_transfer: BankTransferInstructions | None = None


@dataclass(frozen=True)
class PayerDetails:
    """Who pays a bank transfer, as the payer confirms it (checked by the payments service)."""

    name: str = ""
    email: str = ""
    contact_channel: str = ""
    contact: str = ""


def plan_subscribe(
    *, merchant: User, plan: MerchantPlan, provider: str, payer: PayerDetails | None = None
) -> SubscribeResult:
    """Start a subscription to ``plan``, paid by card through Stripe Checkout or by bank transfer.

    A merchant already on a live paid subscription changes plan with ``plan_change`` instead.
    """
    if not plan.is_active:
        raise field_error("planCode", "This plan is not offered any more.", Code.PLAN_INACTIVE)
    current = MerchantSubscription.objects.select_related("plan").filter(merchant=merchant).first()
    entitled = current is not None and subscription_is_entitled(current)
    if plan.price == 0:
        return _subscribe_free(merchant=merchant, plan=plan, current=current, entitled=entitled)
    if provider == PaymentProvider.STRIPE:
        return _subscribe_stripe(merchant=merchant, plan=plan, current=current, entitled=entitled)
    if provider == PaymentProvider.BANK_TRANSFER:
        return _subscribe_bank_transfer(
            merchant=merchant, plan=plan, current=current, entitled=entitled, payer=payer or PayerDetails()
        )
    raise field_error("provider", "Pay by card (Stripe) or by bank transfer.", Code.PROVIDER_NOT_AVAILABLE)


def _subscribe_free(
    *, merchant: User, plan: MerchantPlan, current: MerchantSubscription | None, entitled: bool
) -> SubscribeResult:
    if entitled and current is not None and current.plan.price > 0:
        raise field_error(
            "planCode",
            "Cancel your paid plan instead: you move to this plan when the period you paid ends.",
            Code.ALREADY_SUBSCRIBED,
        )
    if plan.pk == free_plan().pk and not entitled:
        raise field_error("planCode", "You are already on this plan.", Code.ALREADY_ON_PLAN)
    with transaction.atomic():
        subscription = _row_reset(
            merchant=merchant, plan=plan, provider=PaymentProvider.FREE, status=SubscriptionStatus.ACTIVE
        )
        subscription.current_period_start = timezone.now()
        subscription.save(update_fields=["current_period_start"])
        audit_log(actor=merchant, action="billing.plan.subscribed", target=subscription, plan=plan.code)
    return SubscribeResult(subscription=subscription)


def _row_reset(*, merchant: User, plan: MerchantPlan, provider: str, status: str) -> MerchantSubscription:
    """The merchant's subscription row, made to start over on ``plan`` (one row per merchant;
    a trial already used stays recorded in ``trial_end``)."""
    fields = {
        "plan": plan,
        "provider": provider,
        "status": status,
        "stripe_subscription_id": None,
        "current_period_start": None,
        "current_period_end": None,
        "cancel_at_period_end": False,
        "canceled_at": None,
        "stripe_updated_at": None,
    }
    subscription = MerchantSubscription.objects.select_for_update().filter(merchant=merchant).first()
    if subscription is None:
        try:
            with transaction.atomic():
                return MerchantSubscription.objects.create(merchant=merchant, **fields)
        except IntegrityError:
            subscription = MerchantSubscription.objects.select_for_update().get(merchant=merchant)
    for name, value in fields.items():
        setattr(subscription, name, value)
    subscription.save()
    return subscription


def _subscribe_stripe(
    *, merchant: User, plan: MerchantPlan, current: MerchantSubscription | None, entitled: bool
) -> SubscribeResult:
    if (
        entitled
        and current is not None
        and current.provider == PaymentProvider.STRIPE
        and current.status != SubscriptionStatus.CANCELED  # ended by dunning, in its grace period
    ):
        raise field_error("planCode", "You already have a plan: change it instead.", Code.ALREADY_SUBSCRIBED)
    if entitled and current is not None and current.provider == PaymentProvider.BANK_TRANSFER:
        raise field_error(
            "provider",
            "Your plan is paid by bank transfer until "
            f"{current.current_period_end:%Y-%m-%d}; switch to card payments after that date.",
            Code.ALREADY_SUBSCRIBED,
        )
    card_payments_check()
    price_id = plan_price_sync(plan)
    customer_id = customer_ensure(merchant)
    with transaction.atomic():
        subscription = _row_reset(
            merchant=merchant,
            plan=plan,
            provider=PaymentProvider.STRIPE,
            status=SubscriptionStatus.INCOMPLETE,
        )
        subscription.stripe_customer_id = customer_id
        subscription.save(update_fields=["stripe_customer_id"])
    trial_days = plan.trial_days if subscription.trial_end is None else 0  # one trial per merchant
    metadata = brand_metadata(purpose=PURPOSE_MERCHANT_PLAN, merchant_id=merchant.pk, plan_code=plan.code)
    subscription_data: JSON = {"metadata": metadata, "description": plan.name}
    if trial_days:
        subscription_data["trial_period_days"] = trial_days
    try:
        session = stripe_client().v1.checkout.sessions.create(
            params={  # type: ignore[arg-type]
                "mode": "subscription",
                "customer": customer_id,
                "client_reference_id": f"{current_schema()}-merchant-{merchant.pk}",
                "line_items": [{"price": price_id, "quantity": 1}],
                "subscription_data": subscription_data,
                "metadata": metadata,
                "success_url": brand_url(settings.STRIPE_CHECKOUT_SUCCESS_PATH)
                + "?session_id={CHECKOUT_SESSION_ID}",
                "cancel_url": brand_url(settings.STRIPE_CHECKOUT_CANCEL_PATH),
            },
            options=request_options(
                "plan-checkout", subscription.pk, plan.pk, subscription.updated_at.timestamp()
            ),
        )
    except stripe.StripeError as error:
        raise provider_error(error) from error
    stripe_route_record(session.id, "checkout.session")
    audit_log(
        actor=merchant,
        action="billing.plan.checkout_started",
        target=subscription,
        plan=plan.code,
        checkout_session=session.id,
        trial_days=trial_days,
    )
    return SubscribeResult(subscription=subscription, checkout_url=str(session.url or ""))


def _subscribe_bank_transfer(
    *,
    merchant: User,
    plan: MerchantPlan,
    current: MerchantSubscription | None,
    entitled: bool,
    payer: PayerDetails,
) -> SubscribeResult:
    if entitled and current is not None and current.provider == PaymentProvider.STRIPE:
        raise field_error(
            "provider",
            "Your plan is paid by card: cancel it first, then pay the next period by transfer.",
            Code.ALREADY_SUBSCRIBED,
        )
    with transaction.atomic():
        if entitled and current is not None:
            subscription = MerchantSubscription.objects.select_for_update().get(pk=current.pk)
        else:
            subscription = _row_reset(
                merchant=merchant,
                plan=plan,
                provider=PaymentProvider.BANK_TRANSFER,
                status=SubscriptionStatus.INCOMPLETE,
            )
        pending = Payment.objects.filter(
            merchant_subscription=subscription, status__in=OPEN_PAYMENT_STATUSES
        ).first()
        if pending is not None:
            if pending.merchant_plan_id == plan.pk:
                return SubscribeResult(
                    subscription=subscription, bank_transfer=bank_transfer_instructions(pending)
                )
            raise field_error(
                "planCode",
                f"A transfer for another plan is waiting ({pending.reference}): wait for it or cancel it.",
                Code.PAYMENT_PENDING,
            )
        now = timezone.now()
        amount = plan.price
        if entitled and subscription.plan_id != plan.pk:
            amount = _upgrade_amount(subscription, plan, now)
        start, end = _next_period(subscription, plan, now)
        instructions = payment_start_bank_transfer(
            payer=merchant,
            payer_name=payer.name or merchant.full_name,
            payer_email=payer.email or merchant.email,
            contact_channel=payer.contact_channel,
            contact=payer.contact,
            merchant_subscription=subscription,
            merchant_plan=plan,
            amount=amount,
            currency=plan.currency,
            period_start=start,
            period_end=end,
        )
        payment = instructions.payment  # for ``plan``: a switch of plans is paid before it happens
        audit_log(
            actor=merchant,
            action="billing.plan.bank_transfer_started",
            target=subscription,
            plan=plan.code,
            payment=payment.reference,
        )
    return SubscribeResult(subscription=subscription, bank_transfer=instructions)


def _upgrade_amount(subscription: MerchantSubscription, plan: MerchantPlan, now: dt.datetime) -> Decimal:
    """What a bank-transfer upgrade costs while a paid period runs: the new plan's price less the
    unused time already paid on the current plan (as Stripe prorates a card upgrade). The new
    plan starts a fresh period at confirmation. A downgrade waits for the paid time to run out."""
    current = subscription.plan
    if current.currency != plan.currency:
        raise field_error("planCode", f"Your plan is billed in {current.currency}.", Code.CURRENCY_MISMATCH)
    if monthly_price(plan) <= monthly_price(current):
        raise field_error(
            "planCode",
            f"Your {current.name} plan is paid until {subscription.current_period_end:%Y-%m-%d}: "
            "pay for the smaller plan once that period has ended.",
            Code.PLAN_CHANGE_AT_RENEWAL,
        )
    end = subscription.current_period_end or now
    period_seconds = Decimal((add_interval(now, current.interval) - now).total_seconds())
    remaining_seconds = Decimal(max((end - now).total_seconds(), 0))
    credit = min(current.price * remaining_seconds / period_seconds, plan.price)
    return quantize(plan.price - credit, plan.currency)


def _next_period(
    subscription: MerchantSubscription, plan: MerchantPlan, now: dt.datetime
) -> tuple[dt.datetime, dt.datetime]:
    """The period a bank-transfer payment for ``plan`` buys: a renewal of the same plan follows
    the current period; anything else starts now."""
    end = subscription.current_period_end
    renewing = (
        subscription.provider == PaymentProvider.BANK_TRANSFER
        and subscription.plan_id == plan.pk
        and subscription.status in ENTITLED_STATUSES
        and end is not None
        and end > now
    )
    start = end if renewing and end is not None else now
    return start, add_interval(start, plan.interval)


# --- changing, canceling, resuming ---------------------------------------------------------------


@dataclass(frozen=True)
class PlanChangeResult:
    """``amount_due_now``: what the upgrade's proration invoice charged (0 for a downgrade or
    during a trial); ``next_invoice_credit``: the unused time a downgrade credits on the next
    invoice (0 for an upgrade)."""

    subscription: MerchantSubscription
    is_upgrade: bool
    amount_due_now: Decimal
    next_invoice_credit: Decimal
    currency: str


def _live_stripe_subscription(merchant: User) -> MerchantSubscription:
    subscription = MerchantSubscription.objects.select_related("plan").filter(merchant=merchant).first()
    if subscription is None or not subscription_is_entitled(subscription):
        raise _non_field("You are on the Free plan: subscribe to a plan first.", Code.NOT_SUBSCRIBED)
    return subscription


def plan_change(*, merchant: User, plan: MerchantPlan) -> PlanChangeResult:
    """Move a live Stripe subscription to another plan, with prorations.

    An upgrade is invoiced at once (``proration_behavior=always_invoice``): the merchant gets
    the bigger quota now, so they pay the difference for the rest of the period now, as Stripe
    Billing merchants expect. A downgrade only creates the prorations
    (``create_prorations``): the unused time on the dearer plan becomes a credit on the next
    invoice, never a refund to a card. Moving to a free plan is a cancellation at period end.
    """
    if not plan.is_active:
        raise field_error("planCode", "This plan is not offered any more.", Code.PLAN_INACTIVE)
    subscription = _live_stripe_subscription(merchant)
    if subscription.plan_id == plan.pk:
        raise field_error("planCode", "You are already on this plan.", Code.ALREADY_ON_PLAN)
    if subscription.provider != PaymentProvider.STRIPE or not subscription.stripe_subscription_id:
        raise field_error(
            "planCode",
            "Plans paid by bank transfer change at renewal: pay the next period for the new plan.",
            Code.PROVIDER_NOT_AVAILABLE,
        )
    if plan.price == 0:
        cancelled = plan_cancel(merchant=merchant)
        return PlanChangeResult(
            subscription=cancelled,
            is_upgrade=False,
            amount_due_now=Decimal(0),
            next_invoice_credit=Decimal(0),
            currency=subscription.plan.currency,
        )
    if plan.currency != subscription.plan.currency:
        raise field_error(
            "planCode",
            f"Your subscription is billed in {subscription.plan.currency}.",
            Code.CURRENCY_MISMATCH,
        )
    is_upgrade = monthly_price(plan) > monthly_price(subscription.plan)
    price_id = plan_price_sync(plan)
    client = stripe_client()
    try:
        current = StripeSubscription.parse(
            plain(client.v1.subscriptions.retrieve(subscription.stripe_subscription_id))
        )
        updated = plain(
            client.v1.subscriptions.update(
                subscription.stripe_subscription_id,
                params={
                    "items": [{"id": current.item_id, "price": price_id}],
                    "proration_behavior": "always_invoice" if is_upgrade else "create_prorations",
                    "metadata": {"plan_code": plan.code},
                    "expand": ["latest_invoice"],
                },
                options=request_options(
                    "plan-change",
                    subscription.pk,
                    current.price_id,
                    price_id,
                    subscription.updated_at.timestamp(),
                ),
            )
        )
    except stripe.StripeError as error:
        raise provider_error(error) from error
    amount_due_now = Decimal(0)
    latest: Any = updated.get("latest_invoice")
    currency = plan.currency
    if is_upgrade and isinstance(latest, Mapping) and latest.get("billing_reason") == "subscription_update":
        amount_due_now = from_minor_units(
            int(latest.get("amount_paid") or latest.get("amount_due") or 0), currency
        )
    credit = Decimal(0)
    if not is_upgrade:
        credit = _pending_proration_credit(
            subscription.stripe_customer_id, subscription.stripe_subscription_id, currency
        )
    with transaction.atomic():
        locked = MerchantSubscription.objects.select_for_update().get(pk=subscription.pk)
        subscription_apply(locked, StripeSubscription.parse(updated), stamp=timezone.now())
        audit_log(
            actor=merchant,
            action="billing.plan.changed",
            target=locked,
            from_plan=subscription.plan.code,
            to_plan=plan.code,
            upgrade=is_upgrade,
            amount_due_now=str(amount_due_now),
        )
    return PlanChangeResult(
        subscription=locked,
        is_upgrade=is_upgrade,
        amount_due_now=amount_due_now,
        next_invoice_credit=credit,
        currency=currency,
    )


def _pending_proration_credit(customer_id: str, subscription_id: str, currency: str) -> Decimal:
    """The net credit waiting for the next invoice: the pending proration items of the
    subscription (unused time on the old price, less the remaining time on the new one)."""
    try:
        items = stripe_client().v1.invoice_items.list(
            params={"customer": customer_id, "pending": True, "limit": 100}
        )
    except stripe.StripeError as error:
        raise provider_error(error) from error
    total = 0
    for item in plain(items).get("data", []):
        parent = (item.get("parent") or {}).get("subscription_details") or {}
        if parent.get("subscription", subscription_id) == subscription_id and item.get("proration", True):
            total += int(item.get("amount") or 0)
    return -from_minor_units(total, currency) if total < 0 else Decimal(0)


def _set_cancel_at_period_end(*, merchant: User, cancel: bool) -> MerchantSubscription:
    subscription = _live_stripe_subscription(merchant)
    if subscription.plan.price == 0 and subscription.provider == PaymentProvider.FREE:
        if not cancel:
            raise _non_field("Your plan is not being canceled.", Code.NOT_CANCELED)
        with transaction.atomic():
            locked = MerchantSubscription.objects.select_for_update().get(pk=subscription.pk)
            locked.status = SubscriptionStatus.CANCELED
            locked.canceled_at = timezone.now()
            locked.save(update_fields=["status", "canceled_at", "updated_at"])
            audit_log(actor=merchant, action="billing.plan.canceled", target=locked)
        return locked
    if not cancel and not subscription.cancel_at_period_end:
        raise _non_field("Your plan is not being canceled.", Code.NOT_CANCELED)
    with transaction.atomic():
        locked = cancel_at_period_end_set(subscription, cancel=cancel, key="plan")
        audit_log(
            actor=merchant,
            action="billing.plan.canceled" if cancel else "billing.plan.resumed",
            target=locked,
        )
    return locked


def plan_cancel(*, merchant: User) -> MerchantSubscription:
    """Cancel at the end of the period: the plan stays until then, then the merchant is on Free."""
    return _set_cancel_at_period_end(merchant=merchant, cancel=True)


def plan_resume(*, merchant: User) -> MerchantSubscription:
    """Undo a cancellation before the period ends."""
    return _set_cancel_at_period_end(merchant=merchant, cancel=False)


def billing_portal_url(*, user: User) -> str:
    """A link to Stripe's customer portal (cards, invoices, cancellation) for the user's
    Stripe customer. Portal sessions take no metadata; they are short-lived and not routed."""
    card_payments_check()
    customer_id = known_customer_id(user)
    if not customer_id:
        raise _non_field("You have no card subscription to manage.", Code.NOT_SUBSCRIBED)
    try:
        session = stripe_client().v1.billing_portal.sessions.create(
            params={"customer": customer_id, "return_url": brand_url(settings.STRIPE_PORTAL_RETURN_PATH)},
            # A double click within the same second gets the same session.
            options=request_options("portal", user.pk, int(timezone.now().timestamp())),
        )
    except stripe.StripeError as error:
        raise provider_error(error) from error
    return str(session.url)


# --- payments ------------------------------------------------------------------------------------


def subscription_payment_confirmed(payment: Payment) -> None:
    """What a confirmed MERCHANT_PLAN or MEMBERSHIP payment does (the payments service calls it
    once per payment, in its transaction): a bank-transfer period activates or extends the
    subscription; the revenue is posted to the ledger (once per payment); a membership's
    payment earns its referrer the recurring commission."""
    if payment.purpose == PaymentPurpose.MERCHANT_PLAN:
        _merchant_plan_paid(payment)
    elif payment.purpose == PaymentPurpose.MEMBERSHIP:
        from billing.services.memberships import membership_payment_confirmed

        membership_payment_confirmed(payment)
    else:
        raise ValueError(f"payment {payment.reference} is not a subscription payment")
    subscription_revenue_post(payment)


def _merchant_plan_paid(payment: Payment) -> None:
    subscription = (
        MerchantSubscription.objects.select_for_update(of=("self",))
        .select_related("plan")
        .get(pk=int(payment.merchant_subscription_id or 0))
    )
    if payment.provider != PaymentProvider.BANK_TRANSFER:
        return  # Stripe states the subscription's periods itself (customer.subscription.* events)
    plan = payment.merchant_plan or subscription.plan
    now = timezone.now()
    start, end = _next_period(subscription, plan, now)
    extending = start != now
    subscription.plan = plan
    subscription.provider = PaymentProvider.BANK_TRANSFER
    subscription.status = SubscriptionStatus.ACTIVE
    if not extending:
        subscription.current_period_start = start
    subscription.current_period_end = end
    subscription.cancel_at_period_end = False
    subscription.canceled_at = None
    subscription.save()
    payment.period_start, payment.period_end = start, end
    payment.save(update_fields=["period_start", "period_end", "updated_at"])
    audit_log(
        actor=payment.confirmed_by,
        action="billing.plan.period_paid",
        target=subscription,
        payment=payment.reference,
        plan=plan.code,
        period_end=end.isoformat(),
    )


def subscription_revenue_post(payment: Payment) -> None:
    """Customer payments (brand) → subscription revenue (brand), once per payment (a Stripe
    invoice has one payment)."""
    if payment.amount <= 0:
        return
    key = payment.stripe_invoice_id or payment.reference
    ledger_transfer(
        kind="subscription.paid",
        idempotency_key=f"subscription-revenue:{key}",
        source=ledger_account(owner=BRAND, kind=AccountKind.CUSTOMER_PAYMENTS, currency=payment.currency),
        destination=ledger_account(
            owner=BRAND, kind=AccountKind.SUBSCRIPTION_REVENUE, currency=payment.currency
        ),
        amount=payment.amount,
        memo=payment.reference,
    )
