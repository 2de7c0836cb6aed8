"""Member subscriptions with referral (the ambassador model).

A brand sells membership plans to its customers; each plan may be linked to a partner
program. Whoever referred the member is fixed when the membership is taken: the click of the
``afp_click`` cookie (click → link → affiliate, within the program's cookie window) or a
coupon. Every paid period of a referred membership is a conversion through the affiliate
engine: the first with the click (or coupon), the renewals by ``subscription_ref`` (the Stripe
subscription id, or ``membership-<id>`` for bank transfers), so the engine pays the program's
recurring commission (N months or for life) down the cascade. One conversion per Stripe invoice
or per bank-transfer payment, idempotent.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import stripe
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from affiliation.models import Affiliate, AffiliateStatus, Conversion, ConversionSource, Coupon, Program
from affiliation.services.conversions import conversion_record, conversion_refund
from billing.models import Membership, MembershipPlan, SubscriptionStatus
from billing.services.plans import (
    ENTITLED_STATUSES,
    clean_code,
    clean_currency,
    clean_interval,
    clean_name,
    clean_price,
)
from billing.services.plans import (
    BillingErrorCode as Code,
)
from billing.services.stripe_sync import (
    JSON,
    PURPOSE_MEMBERSHIP,
    customer_ensure,
    object_id,
    plain,
    plan_price_sync,
    provider_error,
)
from billing.services.subscriptions import (
    OPEN_PAYMENT_STATUSES,
    PayerDetails,
    add_interval,
    brand_url,
    card_payments_check,
)
from core.audit import audit_log
from core.errors import field_error
from core.tenancy import current_schema
from payments.models import Payment, PaymentProvider, PaymentPurpose
from payments.services.payments import bank_transfer_instructions, payment_start_bank_transfer
from payments.stripe_client import (
    brand_metadata,
    from_minor_units,
    request_options,
    stripe_client,
    stripe_is_configured,
    stripe_route_record,
)
from tracking.models import Click

if TYPE_CHECKING:
    from payments.services.payments import BankTransferInstructions

logger = logging.getLogger(__name__)

_PLAN_FIELDS = ("name", "description", "price", "currency", "interval", "program", "is_active")


# --- plans ---------------------------------------------------------------------------------------


def _apply_fields(plan: MembershipPlan, values: dict[str, Any]) -> None:
    if "name" in values:
        plan.name = clean_name(values["name"])
    if "description" in values:
        description = str(values["description"] or "").strip()
        if len(description) > 5000:
            raise field_error("description", "At most 5,000 characters.", Code.INVALID)
        plan.description = description
    if "currency" in values:
        plan.currency = clean_currency(values["currency"])
    if "price" in values or "currency" in values:
        plan.price = clean_price(values.get("price", plan.price), plan.currency, allow_zero=False)
    if "interval" in values:
        plan.interval = clean_interval(values["interval"])
    if "program" in values:
        plan.program = values["program"]
    if "is_active" in values:
        plan.is_active = bool(values["is_active"])
    program: Program | None = plan.program
    if program is not None and program.currency != plan.currency:
        raise field_error(
            "currency",
            f"The program “{program.name}” pays commissions in {program.currency}: price the plan in it too.",
            Code.CURRENCY_MISMATCH,
        )


def membership_plan_create(*, actor: Any, code: str, **values: Any) -> MembershipPlan:
    unknown = set(values) - set(_PLAN_FIELDS)
    if unknown:
        raise TypeError(f"unknown membership plan fields {sorted(unknown)}")
    for required in ("name", "price", "currency"):
        if values.get(required) in (None, ""):
            raise field_error(required, "This field is required.", Code.REQUIRED)
    plan = MembershipPlan(code=clean_code(code))
    _apply_fields(plan, values)
    with transaction.atomic():
        try:
            with transaction.atomic():
                plan.save()
        except IntegrityError as error:
            raise field_error(
                "code", "Another membership plan already uses this code.", Code.CODE_TAKEN
            ) from error
        if stripe_is_configured():
            plan_price_sync(plan)
        audit_log(actor=actor, action="billing.membership_plan.created", target=plan, **_audit_values(plan))
    return plan


def membership_plan_update(*, actor: Any, plan: MembershipPlan, **values: Any) -> MembershipPlan:
    """Change a plan; a new price is a new Stripe Price (members keep theirs until they rejoin)."""
    unknown = set(values) - set(_PLAN_FIELDS)
    if unknown:
        raise TypeError(f"unknown membership plan fields {sorted(unknown)}")
    with transaction.atomic():
        plan = (
            MembershipPlan.objects.select_for_update(of=("self",)).select_related("program").get(pk=plan.pk)
        )
        before = (plan.price, plan.currency, plan.interval)
        _apply_fields(plan, values)
        plan.save()
        if (plan.price, plan.currency, plan.interval) != before and stripe_is_configured():
            plan_price_sync(plan)
        audit_log(actor=actor, action="billing.membership_plan.updated", target=plan, **_audit_values(plan))
    return plan


def _audit_values(plan: MembershipPlan) -> dict[str, Any]:
    return {
        "code": plan.code,
        "price": str(plan.price),
        "currency": plan.currency,
        "interval": plan.interval,
        "program": plan.program_id,
        "is_active": plan.is_active,
    }


# --- the referrer --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Referral:
    referrer: Affiliate | None
    click_id: uuid.UUID | None
    coupon_code: str


def membership_referral(
    *, plan: MembershipPlan, member: User, click_id: str = "", coupon_code: str = ""
) -> Referral:
    """Who referred the member to ``plan``: the click (its link's affiliate, in the plan's
    program, within the cookie window), else the coupon. Nobody refers themselves; a click or
    coupon of another program, or an unknown one, refers nobody (the member still joins)."""
    program = plan.program
    click_uuid: uuid.UUID | None = None
    if click_id:
        try:
            click_uuid = uuid.UUID(str(click_id).strip())
        except ValueError:
            click_uuid = None
    coupon_code = str(coupon_code or "").strip()[:40]
    if program is None:
        return Referral(referrer=None, click_id=None, coupon_code="")
    if click_uuid is not None:
        click = Click.objects.select_related("link__affiliate").filter(pk=click_uuid).first()
        if click is not None:
            window_start = timezone.now() - dt.timedelta(days=program.cookie_window_days)
            affiliate = click.link.affiliate
            if (
                click.link.program_id == program.pk
                and click.created_at >= window_start
                and _may_refer(affiliate, member)
            ):
                return Referral(referrer=affiliate, click_id=click_uuid, coupon_code=coupon_code)
            click_uuid = None
        # else: not drained into Postgres yet; the first payment's conversion attributes it
    if coupon_code:
        coupon = (
            Coupon.objects.select_related("affiliate")
            .filter(code__iexact=coupon_code, affiliate__program=program)
            .first()
        )
        if coupon is not None and _may_refer(coupon.affiliate, member):
            return Referral(referrer=coupon.affiliate, click_id=click_uuid, coupon_code=coupon.code)
        if click_uuid is None:
            raise field_error("couponCode", "This coupon is not valid for this membership.", Code.INVALID)
    return Referral(referrer=None, click_id=click_uuid, coupon_code="")


def _may_refer(affiliate: Affiliate, member: User) -> bool:
    return affiliate.status == AffiliateStatus.APPROVED and affiliate.user_id != member.pk


# --- joining -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class JoinResult:
    membership: Membership
    checkout_url: str = ""
    bank_transfer: BankTransferInstructions | None = None


def membership_join(
    *,
    member: User,
    plan: MembershipPlan,
    provider: str,
    click_id: str = "",
    coupon_code: str = "",
    payer: PayerDetails | None = None,
) -> JoinResult:
    """Take a membership, paid by card (Stripe Checkout, ``mode=subscription``) or by bank
    transfer (one period at a time; paying again renews)."""
    if not plan.is_active:
        raise field_error("planCode", "This membership is not offered any more.", Code.PLAN_INACTIVE)
    if provider not in (PaymentProvider.STRIPE, PaymentProvider.BANK_TRANSFER):
        raise field_error(
            "provider", "Pay by card (Stripe) or by bank transfer.", Code.PROVIDER_NOT_AVAILABLE
        )
    existing = (
        Membership.objects.filter(member=member, plan=plan)
        .exclude(status=SubscriptionStatus.CANCELED)
        .order_by("-pk")
        .first()
    )
    if (
        existing is not None
        and existing.provider == PaymentProvider.STRIPE
        and (existing.status in ENTITLED_STATUSES or existing.stripe_subscription_id)
    ):
        raise field_error("planCode", "You already have this membership.", Code.ALREADY_SUBSCRIBED)
    if (
        existing is not None
        and existing.provider == PaymentProvider.BANK_TRANSFER
        and provider == PaymentProvider.STRIPE
        and existing.status in ENTITLED_STATUSES
        and existing.current_period_end is not None
        and existing.current_period_end > timezone.now()
    ):
        raise field_error(
            "provider",
            f"Your membership is paid until {existing.current_period_end:%Y-%m-%d}; "
            "switch to card after that.",
            Code.ALREADY_SUBSCRIBED,
        )
    referral = membership_referral(plan=plan, member=member, click_id=click_id, coupon_code=coupon_code)
    if provider == PaymentProvider.STRIPE:
        return _join_stripe(member=member, plan=plan, existing=existing, referral=referral)
    return _join_bank_transfer(
        member=member, plan=plan, existing=existing, referral=referral, payer=payer or PayerDetails()
    )


def _membership_ready(
    *, member: User, plan: MembershipPlan, existing: Membership | None, referral: Referral, provider: str
) -> Membership:
    """The membership row to pay for: a new one, or the one the member started before (its
    referrer stays the one fixed the first time)."""
    if existing is not None:
        membership = Membership.objects.select_for_update().get(pk=existing.pk)
        if membership.status not in ENTITLED_STATUSES:
            membership.provider = provider
        if membership.referrer_id is None and membership.click_id is None and not membership.coupon_code:
            membership.referrer = referral.referrer
            membership.click_id = referral.click_id
            membership.coupon_code = referral.coupon_code
        membership.save()
        return membership
    membership = Membership.objects.create(
        member=member,
        plan=plan,
        status=SubscriptionStatus.INCOMPLETE,
        provider=provider,
        referrer=referral.referrer,
        click_id=referral.click_id,
        coupon_code=referral.coupon_code,
    )
    audit_log(
        actor=member,
        action="billing.membership.started",
        target=membership,
        plan=plan.code,
        referrer=referral.referrer.pk if referral.referrer else None,
        click_id=str(referral.click_id or ""),
        coupon=referral.coupon_code,
    )
    return membership


def _join_stripe(
    *, member: User, plan: MembershipPlan, existing: Membership | None, referral: Referral
) -> JoinResult:
    card_payments_check()
    price_id = plan_price_sync(plan)
    customer_id = customer_ensure(member)
    with transaction.atomic():
        membership = _membership_ready(
            member=member, plan=plan, existing=existing, referral=referral, provider=PaymentProvider.STRIPE
        )
        membership.stripe_customer_id = customer_id
        membership.save(update_fields=["stripe_customer_id", "updated_at"])
    metadata = brand_metadata(purpose=PURPOSE_MEMBERSHIP, membership_id=membership.pk, plan_code=plan.code)
    subscription_data: JSON = {"metadata": metadata, "description": plan.name}
    try:
        session = stripe_client().v1.checkout.sessions.create(
            params={  # type: ignore[arg-type]
                "mode": "subscription",
                "customer": customer_id,
                "client_reference_id": f"{current_schema()}-membership-{membership.pk}",
                "line_items": [{"price": price_id, "quantity": 1}],
                "subscription_data": subscription_data,
                "metadata": metadata,
                "success_url": brand_url(settings.STRIPE_CHECKOUT_SUCCESS_PATH)
                + "?session_id={CHECKOUT_SESSION_ID}",
                "cancel_url": brand_url(settings.STRIPE_CHECKOUT_CANCEL_PATH),
            },
            options=request_options("membership-checkout", membership.pk, membership.updated_at.timestamp()),
        )
    except stripe.StripeError as error:
        raise provider_error(error) from error
    stripe_route_record(session.id, "checkout.session")
    return JoinResult(membership=membership, checkout_url=str(session.url or ""))


def _join_bank_transfer(
    *,
    member: User,
    plan: MembershipPlan,
    existing: Membership | None,
    referral: Referral,
    payer: PayerDetails,
) -> JoinResult:
    with transaction.atomic():
        membership = _membership_ready(
            member=member,
            plan=plan,
            existing=existing,
            referral=referral,
            provider=PaymentProvider.BANK_TRANSFER,
        )
        pending = Payment.objects.filter(membership=membership, status__in=OPEN_PAYMENT_STATUSES).first()
        if pending is not None:
            return JoinResult(membership=membership, bank_transfer=bank_transfer_instructions(pending))
        start, end = _next_period(membership, timezone.now())
        instructions = payment_start_bank_transfer(
            payer=member,
            payer_name=payer.name or member.full_name,
            payer_email=payer.email or member.email,
            contact_channel=payer.contact_channel,
            contact=payer.contact,
            membership=membership,
            amount=plan.price,
            currency=plan.currency,
            period_start=start,
            period_end=end,
        )
    return JoinResult(membership=membership, bank_transfer=instructions)


def _next_period(membership: Membership, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    end = membership.current_period_end
    renewing = membership.status in ENTITLED_STATUSES and end is not None and end > now
    start = end if renewing and end is not None else now
    return start, add_interval(start, membership.plan.interval)


# --- payments ------------------------------------------------------------------------------------


def membership_subscription_ref(membership: Membership) -> str:
    """What ties a membership's payments together in the engine (renewals follow the first)."""
    if membership.provider == PaymentProvider.STRIPE and membership.stripe_subscription_id:
        return membership.stripe_subscription_id
    return f"membership-{membership.pk}"


def membership_payment_confirmed(payment: Payment) -> None:
    """A paid period: a bank transfer activates or extends the membership (Stripe states its own
    periods); a referred membership's payment becomes a conversion."""
    membership = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("plan__program")
        .get(pk=int(payment.membership_id or 0))
    )
    now = timezone.now()
    if payment.provider == PaymentProvider.BANK_TRANSFER:
        start, end = _next_period(membership, now)
        if start == now:
            membership.current_period_start = start
        membership.current_period_end = end
        membership.status = SubscriptionStatus.ACTIVE
        membership.cancel_at_period_end = False
        membership.canceled_at = None
        membership.save()
        payment.period_start, payment.period_end = start, end
        payment.save(update_fields=["period_start", "period_end", "updated_at"])
        audit_log(
            actor=payment.confirmed_by,
            action="billing.membership.period_paid",
            target=membership,
            payment=payment.reference,
            period_end=end.isoformat(),
        )
    membership_conversion_record(membership, payment)


def membership_conversion_record(membership: Membership, payment: Payment) -> str:
    """The engine's conversion of one paid period of a referred membership (once per Stripe
    invoice or bank-transfer payment). Attribution problems never fail the payment: they are
    audited and the payment stands, earning nobody a commission."""
    plan = membership.plan
    if plan.program_id is None or payment.amount <= 0:
        return "no program"
    subscription_ref = membership_subscription_ref(membership)
    first_recorded = Conversion.objects.filter(subscription_ref=subscription_ref).exists()
    if not first_recorded and membership.click_id is None and not membership.coupon_code:
        return "not referred"
    stripe_paid = payment.provider == PaymentProvider.STRIPE and bool(payment.stripe_invoice_id)
    source = ConversionSource.STRIPE if stripe_paid else ConversionSource.PLATFORM
    order_id = payment.stripe_invoice_id if stripe_paid else payment.reference
    occurred_at = (payment.period_start if stripe_paid else None) or payment.confirmed_at or timezone.now()
    attempts = [("", "")] if first_recorded else []
    if not first_recorded and membership.click_id is not None:
        attempts.append((str(membership.click_id), ""))
    if not first_recorded and membership.coupon_code:
        attempts.append(("", membership.coupon_code))
    reasons = []
    for click_id, coupon_code in attempts:
        try:
            with transaction.atomic():
                result = conversion_record(
                    source=source,
                    order_id=str(order_id),
                    amount=payment.amount,
                    currency=payment.currency,
                    click_id=click_id,
                    coupon_code=coupon_code,
                    offer_ref=f"membership:{plan.code}",
                    subscription_ref=subscription_ref,
                    occurred_at=occurred_at,
                )
        except ValidationError as error:
            reasons.append(",".join(str(item.code) for items in error.error_dict.values() for item in items))
            continue
        if membership.referrer_id is None:
            Membership.objects.filter(pk=membership.pk).update(referrer=result.conversion.affiliate)
        return f"conversion {result.conversion.pk} ({len(result.commissions)} commissions)"
    audit_log(
        actor=None,
        action="billing.membership.conversion_skipped",
        target=membership,
        payment=payment.reference,
        reasons=reasons,
    )
    logger.info(
        "membership %s payment %s earned no commission: %s", membership.pk, payment.reference, reasons
    )
    return f"not attributed ({'; '.join(reasons)})"


def membership_charge_refunded(charge: Mapping[str, Any]) -> int:
    """``charge.refunded`` of a membership period paid by card: each refund of the charge takes
    back the referrer's commission on that period, through the engine (once per refund id, in
    proportion to the amount refunded). Returns how many refunds were newly applied; a period
    that earned nobody a commission has nothing to take back."""
    payment_intent = object_id(charge.get("payment_intent"))
    payment = Payment.objects.filter(
        provider=PaymentProvider.STRIPE,
        purpose=PaymentPurpose.MEMBERSHIP,
        transaction_id=payment_intent,
        stripe_invoice_id__isnull=False,
    ).first()
    if payment is None or not payment_intent:
        return 0
    refunds = (charge.get("refunds") or {}).get("data")
    if refunds is None:  # not included in the charge since API version 2022-11-15
        listed = stripe_client().v1.refunds.list(params={"payment_intent": payment_intent, "limit": 100})
        refunds = [plain(refund) for refund in listed.data]
    applied = 0
    for refund in sorted(refunds, key=lambda item: item.get("created") or 0):
        if refund.get("status") not in ("succeeded", "pending"):
            continue
        try:
            result = conversion_refund(
                source=ConversionSource.STRIPE,
                order_id=str(payment.stripe_invoice_id),
                refund_id=str(refund["id"]),
                amount=from_minor_units(refund["amount"], payment.currency),
            )
        except ValidationError as error:
            # Not referred (no conversion), or already fully refunded: nothing to take back.
            logger.info("membership refund %s of %s: %s", refund.get("id"), payment.reference, error)
            continue
        applied += int(result.created)
    if applied:
        audit_log(actor=None, action="membership.refunded", target=payment, refunds=applied)
    return applied


def membership_cancel_set(*, member: User, membership_id: int, cancel: bool) -> Membership:
    """Cancel my membership at the end of the paid period (``cancel``), or undo that before the
    period ends (see ``cancel_at_period_end_set``)."""
    from billing.services.stripe_sync import cancel_at_period_end_set

    membership = (
        Membership.objects.select_related("plan")
        .filter(pk=membership_id, member=member, status__in=ENTITLED_STATUSES)
        .first()
    )
    if membership is None:
        raise field_error("membershipId", "You have no such membership running.", Code.NOT_FOUND)
    if not cancel and not membership.cancel_at_period_end:
        raise field_error("membershipId", "This membership is not being canceled.", Code.NOT_CANCELED)
    with transaction.atomic():
        locked = cancel_at_period_end_set(membership, cancel=cancel, key="membership")
        audit_log(
            actor=member,
            action="billing.membership.canceled" if cancel else "billing.membership.resumed",
            target=locked,
        )
    return locked
