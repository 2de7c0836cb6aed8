"""Recording conversions (postbacks, the API, the marketplace, Stripe) and their refunds."""

from __future__ import annotations

import calendar
import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from affiliation.clicks import click_facts
from affiliation.error_codes import AffiliationErrorCode as Code
from affiliation.models import (
    Affiliate,
    Commission,
    CommissionKind,
    Conversion,
    ConversionRefund,
    ConversionSource,
    ConversionStatus,
    Coupon,
    Link,
    OfferRule,
    Program,
    RecurringMode,
    RefundKind,
)
from affiliation.offers import offer_owner
from affiliation.rules import Rule, commission_lines, reversal_amount
from affiliation.screening import HOLD, REJECT, ConversionFacts, conversion_screen
from affiliation.services.affiliates import upline_ids
from affiliation.services.commissions import commission_reverse, commissions_create
from core.audit import audit_log
from core.errors import field_error
from core.events import emit
from core.money import minor_unit_exponent

# Amount columns hold 16 digits before the point; anything near that is a mistake, not a sale.
MAX_AMOUNT = Decimal(10) ** 12
# Sources whose amount the caller declares: capped by the program's maximum order value. The
# platform's own orders and Stripe invoices carry amounts that were actually paid.
DECLARED_SOURCES = frozenset({ConversionSource.API, ConversionSource.POSTBACK})
NOT_YOUR_OFFER_MESSAGE = "This sale is not for one of your offers."


@dataclass(frozen=True)
class ConversionResult:
    conversion: Conversion
    created: bool  # False: this (source, order id) was already recorded; nothing changed
    commissions: list[Commission]


@dataclass(frozen=True)
class RefundResult:
    conversion: Conversion
    created: bool  # False: this refund id was already applied; nothing changed


@dataclass(frozen=True)
class Attribution:
    program: Program
    affiliate: Affiliate
    link: Link | None = None
    click_id: uuid.UUID | None = None
    coupon: Coupon | None = None
    click_at: dt.datetime | None = None
    first_payment: Conversion | None = None  # set for a renewal of a subscription


def _add_months(moment: dt.datetime, months: int) -> dt.datetime:
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def parse_amount(value: Any, currency: str, field: str = "amount") -> Decimal:
    """A positive amount with no more decimals than the currency has (no silent rounding)."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError) as error:
        raise field_error(field, "Enter an amount like 49.90.", Code.INVALID) from error
    if not amount.is_finite() or amount <= 0:
        raise field_error(field, "Enter an amount above zero.", Code.INVALID)
    if amount >= MAX_AMOUNT:
        raise field_error(field, f"Amounts stop below {MAX_AMOUNT:,}.", Code.INVALID)
    if amount != amount.quantize(minor_unit_exponent(currency)):
        raise field_error(
            field, f"{currency} has no unit smaller than {minor_unit_exponent(currency)}.", Code.INVALID
        )
    return amount


def _attribute(
    *, click_id: str, coupon_code: str, subscription_ref: str, occurred_at: dt.datetime
) -> Attribution:
    """Who earns: the first payment's affiliate for a subscription renewal, else the click
    (within the program's cookie window), else the coupon."""
    if subscription_ref:
        first = (
            Conversion.objects.select_related("program", "affiliate__tier")
            .filter(subscription_ref=subscription_ref)
            .order_by("occurred_at", "pk")
            .first()
        )
        if first is not None:
            return Attribution(program=first.program, affiliate=first.affiliate, first_payment=first)
    if click_id:
        try:
            click_uuid = uuid.UUID(click_id)
        except ValueError as error:
            raise field_error("clickId", "This is not a click id.", Code.INVALID) from error
        click = click_facts(click_uuid)
        if click is None:
            raise field_error(
                "clickId",
                "Unknown click id. Clicks are recorded within seconds of the redirect: retry shortly.",
                Code.NOT_ATTRIBUTED,
            )
        program = click.link.program
        if click.created_at < occurred_at - dt.timedelta(days=program.cookie_window_days):
            raise field_error(
                "clickId",
                f"The click is older than the {program.cookie_window_days}-day window.",
                Code.OUTSIDE_WINDOW,
            )
        return Attribution(
            program=program,
            affiliate=click.link.affiliate,
            link=click.link,
            click_id=click_uuid,
            click_at=click.created_at,
        )
    if coupon_code:
        coupon = (
            Coupon.objects.select_related("affiliate__program", "affiliate__tier")
            .filter(code__iexact=coupon_code.strip())
            .first()
        )
        if coupon is None:
            raise field_error("couponCode", "Unknown coupon code.", Code.NOT_ATTRIBUTED)
        return Attribution(program=coupon.affiliate.program, affiliate=coupon.affiliate, coupon=coupon)
    raise field_error("clickId", "Give a click id or a coupon code.", Code.REQUIRED)


def _attributed_offer(attribution: Attribution) -> str:
    """The offer the affiliate was promoting: the clicked link's, the coupon's, or the first
    payment's for a subscription renewal ("" for program-wide links and coupons)."""
    if attribution.first_payment is not None:
        return attribution.first_payment.offer_ref
    if attribution.link is not None:
        return attribution.link.offer_ref
    if attribution.coupon is not None:
        return attribution.coupon.offer_ref
    return ""


def _merchant_offer(*, merchant: User, attribution: Attribution, offer_ref: str) -> str:
    """The offer a merchant records a sale of, which must be its own: the attributed offer
    (the clicked link's or the coupon's) must name a product it sells in the attributed program.
    Another merchant's offer answers exactly like a program-wide or unknown one."""
    field = "couponCode" if attribution.coupon is not None else "clickId"
    if attribution.first_payment is not None:
        field = "subscriptionRef"
    attributed = _attributed_offer(attribution)
    owner = offer_owner(attributed) if attributed else None
    first = attribution.first_payment
    if (
        owner is None
        or owner.merchant_id != merchant.pk
        or owner.program_id != attribution.program.pk
        or (offer_ref and offer_ref != attributed)
        or (first is not None and first.merchant_id != merchant.pk)
    ):
        raise field_error(field, NOT_YOUR_OFFER_MESSAGE, Code.NOT_YOUR_OFFER)
    return attributed


def _within_maximum(program: Program, sale: Decimal) -> None:
    if sale > program.max_order_value:
        raise field_error(
            "amount",
            f"This program accepts sales up to {program.max_order_value} {program.currency}; "
            "ask the brand to raise its maximum order value.",
            Code.AMOUNT_ABOVE_MAXIMUM,
        )


def _rule(program: Program, affiliate: Affiliate, offer_ref: str) -> Rule | None:
    """The rule paying the converting affiliate; None when sales earn nothing (per-click)."""
    offer_rule = OfferRule.objects.filter(program=program, offer_ref=offer_ref).first() if offer_ref else None
    if offer_rule is not None:
        if offer_rule.commission_kind == CommissionKind.PER_CLICK:
            return None
        return Rule(
            kind=offer_rule.commission_kind,
            rate=offer_rule.rate or Decimal(0),
            flat_amount=offer_rule.flat_amount or Decimal(0),
        )
    if program.commission_kind == CommissionKind.PER_CLICK:
        return None
    if program.commission_kind == CommissionKind.FLAT:
        return Rule(kind="flat", flat_amount=program.flat_amount)
    return Rule(kind="percentage", rate=affiliate.tier.rate)


def _earns_recurring(attribution: Attribution, occurred_at: dt.datetime) -> bool:
    first = attribution.first_payment
    if first is None:
        return True
    program = attribution.program
    if program.recurring_mode == RecurringMode.LIFETIME:
        return True
    if program.recurring_mode == RecurringMode.MONTHS:
        return occurred_at < _add_months(first.occurred_at, program.recurring_months)
    return False


def conversion_record(
    *,
    source: str,
    order_id: str,
    amount: Any,
    currency: str,
    click_id: str = "",
    coupon_code: str = "",
    offer_ref: str = "",
    subscription_ref: str = "",
    occurred_at: dt.datetime | None = None,
    merchant: User | None = None,
    actor: Any = None,
    buyer_email: str = "",
    buyer_ip: str = "",
) -> ConversionResult:
    """Record a sale and its commissions, once per (source, merchant, order id).

    ``merchant``: the merchant recording it, who may only record sales of its own offers (see
    ``_merchant_offer``); None for brand-wide callers (brand admins, postback keys, the
    platform). A replay of the same order by the same caller returns the recorded conversion
    and changes nothing. Other platform domains (marketplace orders, Stripe invoices) call
    this too. Declared amounts (API, postbacks) are capped by the program's maximum.

    ``buyer_email`` / ``buyer_ip``: who bought, when the caller knows (for the fraud rules of
    ``affiliation.screening``: self-purchase, same network as the affiliate). The screening's
    verdict may hold the commissions for review, or reject the sale (recorded, earning nothing).
    """
    order_id = str(order_id).strip()
    if source not in ConversionSource.values:
        raise field_error("source", "Unknown conversion source.", Code.INVALID)
    if not order_id or len(order_id) > 120:
        raise field_error("orderId", "Give the order id (at most 120 characters).", Code.REQUIRED)
    scope = {"source": source, "merchant_id": merchant.pk if merchant is not None else None}
    existing = Conversion.objects.filter(**scope, order_id=order_id).first()
    if existing is not None:
        return ConversionResult(existing, created=False, commissions=list(existing.commissions.all()))
    occurred_at = occurred_at or timezone.now()
    attribution = _attribute(
        click_id=click_id.strip(),
        coupon_code=coupon_code,
        subscription_ref=subscription_ref.strip(),
        occurred_at=occurred_at,
    )
    program = attribution.program
    offer_ref = offer_ref.strip()
    if merchant is not None:
        offer_ref = _merchant_offer(merchant=merchant, attribution=attribution, offer_ref=offer_ref)
    if currency != program.currency:
        raise field_error("currency", f"This program pays in {program.currency}.", Code.CURRENCY_MISMATCH)
    sale = parse_amount(amount, currency)
    if source in DECLARED_SOURCES:
        _within_maximum(program, sale)
    with transaction.atomic():
        try:
            with transaction.atomic():
                conversion = Conversion.objects.create(
                    source=source,
                    order_id=order_id,
                    merchant=merchant,
                    program=program,
                    affiliate=attribution.affiliate,
                    click_id=attribution.click_id,
                    coupon=attribution.coupon,
                    link=attribution.link,
                    offer_ref=offer_ref,
                    subscription_ref=subscription_ref.strip(),
                    amount=sale,
                    currency=currency,
                    occurred_at=occurred_at,
                )
        except IntegrityError:  # the same order recorded concurrently: it won
            existing = Conversion.objects.get(**scope, order_id=order_id)
            return ConversionResult(existing, created=False, commissions=list(existing.commissions.all()))
        verdict = conversion_screen(
            ConversionFacts(
                conversion=conversion,
                program=program,
                affiliate=attribution.affiliate,
                click_id=attribution.click_id,
                click_at=attribution.click_at,
                buyer_email=buyer_email.strip().lower(),
                buyer_ip=buyer_ip.strip(),
            )
        )
        if verdict.action == REJECT:
            conversion.status = ConversionStatus.REJECTED
            conversion.save(update_fields=["status"])
            audit_log(
                actor=actor,
                action="conversion.rejected",
                target=conversion,
                source=source,
                amount=str(sale),
                rules=",".join(verdict.codes),
            )
            return ConversionResult(conversion, created=True, commissions=[])
        held = verdict.action == HOLD
        if held:
            conversion.under_review = True
            conversion.save(update_fields=["under_review"])
        emit(
            "conversion.created",
            {
                "conversion_id": conversion.pk,
                "program_id": program.pk,
                "affiliate_id": attribution.affiliate.pk,
                "link_id": conversion.link_id,
                "source": source,
                "order_id": order_id,
                "amount": sale,
                "currency": currency,
                "occurred_at": occurred_at,
            },
        )
        commissions: list[Commission] = []
        rule = _rule(program, attribution.affiliate, offer_ref)
        if rule is not None and _earns_recurring(attribution, occurred_at):
            lines = commission_lines(
                sale_amount=sale,
                currency=currency,
                rule=rule,
                affiliate_id=attribution.affiliate.pk,
                upline_ids=upline_ids(attribution.affiliate, len(program.cascade_rates)),
                cascade_rates=program.cascade_rates,
            )
            commissions = commissions_create(
                conversion=conversion,
                lines=lines,
                kind=rule.kind,
                is_recurring=attribution.first_payment is not None,
                held=held,
            )
        audit_log(
            actor=actor, action="conversion.recorded", target=conversion, source=source, amount=str(sale)
        )
    return ConversionResult(conversion, created=True, commissions=commissions)


def conversion_refund(
    *,
    source: str,
    order_id: str,
    refund_id: str,
    amount: Any = None,
    kind: str = RefundKind.REFUND,
    merchant: User | None = None,
    recorded_by_merchant_id: int | None = None,
    actor: Any = None,
) -> RefundResult:
    """Refund (or charge back) all or part of a conversion, once per refund id. Every
    commission loses the same share, by reversal entries; balances return to the cent.

    ``merchant``: a merchant refunds only the conversions it recorded. Brand-wide callers
    (``merchant`` None) refund the brand's own conversions, or a merchant's when they name it
    with ``recorded_by_merchant_id``. Another merchant's order answers like a missing one."""
    refund_id = str(refund_id).strip() or str(order_id)
    merchant_id = merchant.pk if merchant is not None else recorded_by_merchant_id
    with transaction.atomic():
        conversion = (
            Conversion.objects.select_for_update()
            .filter(source=source, merchant_id=merchant_id, order_id=str(order_id).strip())
            .first()
        )
        if conversion is None:
            raise field_error("orderId", "No conversion has this order id.", Code.NOT_FOUND)
        if ConversionRefund.objects.filter(conversion=conversion, refund_id=refund_id).exists():
            return RefundResult(conversion, created=False)
        remaining = conversion.amount - conversion.refunded_amount
        refund = remaining if amount is None else parse_amount(amount, conversion.currency)
        if refund > remaining or remaining <= 0:
            raise field_error(
                "amount",
                f"At most {remaining} {conversion.currency} is left to refund.",
                Code.REFUND_TOO_LARGE,
            )
        refund_row = ConversionRefund.objects.create(
            conversion=conversion, refund_id=refund_id, kind=kind, amount=refund
        )
        conversion.refunded_amount += refund
        if conversion.status != ConversionStatus.REJECTED:  # a rejected sale stays rejected
            conversion.status = (
                ConversionStatus.REVERSED
                if conversion.refunded_amount == conversion.amount
                else ConversionStatus.PARTIALLY_REFUNDED
            )
        conversion.save(update_fields=["refunded_amount", "status"])
        emit(
            "conversion.refunded",
            {
                "conversion_id": conversion.pk,
                "program_id": conversion.program_id,
                "affiliate_id": conversion.affiliate_id,
                "order_id": conversion.order_id,
                "refund_id": refund_id,
                "kind": str(kind),
                "amount": refund,
                "total_refunded": conversion.refunded_amount,
                "currency": conversion.currency,
            },
        )
        for commission in (
            conversion.commissions.select_for_update().select_related("beneficiary").order_by("pk")
        ):
            take = reversal_amount(
                commission_amount=commission.amount,
                sale_amount=conversion.amount,
                refunded_total=conversion.refunded_amount,
                already_reversed=commission.reversed_amount,
                currency=conversion.currency,
            )
            if take > 0:
                commission_reverse(
                    commission=commission,
                    amount=take,
                    idempotency_key=f"commission:{commission.pk}:refund:{refund_row.pk}",
                )
        audit_log(
            actor=actor,
            action=f"conversion.{kind}",
            target=conversion,
            refund_id=refund_id,
            amount=str(refund),
        )
    return RefundResult(conversion, created=True)
