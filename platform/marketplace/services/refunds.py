"""Refunds of paid orders: full, by amount (lines in order) or by units of lines, once per refund
id. A refund voids the vouchers of fully refunded units, reverses the conversions (and so the
commissions) through the engine, and posts the reversing ledger entries, the platform fee given
back in proportion."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F

from affiliation.models import Conversion, ConversionSource
from affiliation.services.conversions import conversion_refund, parse_amount
from core.audit import audit_log
from core.errors import field_error
from core.money import PRICE_ROUNDING, quantize
from ledger.models import AccountKind
from ledger.services import ledger_post
from marketplace.models import (
    Order,
    OrderLine,
    OrderRefund,
    OrderStatus,
    Product,
    Voucher,
    VoucherStatus,
)
from marketplace.services.orders import (
    PAID_STATUSES,
    brand_account,
    conversion_order_id,
    merchant_account,
    order_publish,
)
from marketplace.services.orders import (
    OrderErrorCode as Code,
)
from payments.models import Payment, PaymentProvider, PaymentStatus
from payments.services.payments import payment_refund_record


@dataclass(frozen=True)
class LineRefund:
    line: OrderLine
    amount: Decimal
    units: int  # units this refund covers (vouchers voided up to that many)


@dataclass(frozen=True)
class RefundResult:
    order: Order
    refund: OrderRefund
    created: bool  # False: this refund id was already applied; nothing changed


def _remaining(line: OrderLine) -> Decimal:
    return line.line_total - line.refunded_amount


def refund_allocation(
    order: Order, lines: Sequence[OrderLine], *, amount: Any = None, units: Mapping[int, int] | None = None
) -> list[LineRefund]:
    """How a refund splits over the order's lines.

    By units (``{line id: units}``): those units at their unit price. By amount: the lines in
    order, each up to what is left of it. Neither: everything left. A unit is refunded (its voucher
    voided) once its whole price has come back.
    """
    if order.status not in PAID_STATUSES:
        raise field_error("order", "Only a paid order can be refunded.", Code.NOT_PAID)
    if units and amount is not None:
        raise field_error("amount", "Refund an amount or units of lines, not both.", Code.INVALID)
    allocation: list[LineRefund] = []
    if units:
        by_id = {line.pk: line for line in lines}
        for line_id, count in units.items():
            line = by_id.get(int(line_id))
            if line is None:
                raise field_error("lines", "This line is not part of the order.", Code.NOT_FOUND)
            left_units = line.quantity - line.refunded_quantity
            if not 1 <= int(count) <= left_units:
                raise field_error(
                    "lines",
                    f"Between 1 and {left_units} units of “{line.title}” can be refunded.",
                    Code.REFUND_TOO_LARGE,
                )
            money = min(quantize(line.unit_price * int(count), order.currency), _remaining(line))
            if money > 0:
                allocation.append(LineRefund(line=line, amount=money, units=int(count)))
        if not allocation:
            raise field_error("lines", "Nothing is left to refund on these lines.", Code.REFUND_TOO_LARGE)
        return allocation
    left = order.total - order.refunded_amount
    wanted = left if amount is None else parse_amount(amount, order.currency)
    if wanted <= 0 or wanted > left:
        raise field_error(
            "amount", f"At most {left} {order.currency} is left to refund.", Code.REFUND_TOO_LARGE
        )
    for line in lines:
        take = min(wanted, _remaining(line))
        if take <= 0:
            continue
        wanted -= take
        refunded_after = line.refunded_amount + take
        covered = (
            line.quantity if refunded_after == line.line_total else int(refunded_after // line.unit_price)
        )
        allocation.append(LineRefund(line=line, amount=take, units=max(0, covered - line.refunded_quantity)))
        if wanted == 0:
            break
    return allocation


def line_fee_refunded(line: OrderLine, refunded_amount: Decimal, currency: str) -> Decimal:
    """The platform fee given back once ``refunded_amount`` of the line is refunded: its share,
    rounded half-up, and all of it once the line is fully refunded."""
    if line.line_total == 0:
        return Decimal(0)
    if refunded_amount == line.line_total:
        return line.platform_fee
    return quantize(line.platform_fee * refunded_amount / line.line_total, currency, PRICE_ROUNDING)


def _post_refund(order: Order, refund: OrderRefund, allocation: Sequence[LineRefund]) -> None:
    """The sale's postings in reverse for the refunded share of each line."""
    currency = order.currency
    merchant_shares: dict[int, Decimal] = defaultdict(Decimal)
    fees = Decimal(0)
    for part in allocation:
        line = part.line
        fee = line_fee_refunded(line, line.refunded_amount + part.amount, currency) - line_fee_refunded(
            line, line.refunded_amount, currency
        )
        merchant_shares[line.merchant_id] -= part.amount - fee
        fees -= fee
    postings = [(brand_account(AccountKind.CUSTOMER_PAYMENTS, currency), refund.amount)]
    postings += [
        (merchant_account(merchant_id, currency), share) for merchant_id, share in merchant_shares.items()
    ]
    postings.append((brand_account(AccountKind.PLATFORM_FEES, currency), fees))
    ledger_post(
        kind="order.refunded",
        idempotency_key=f"order:{order.number}:refund:{refund.refund_id}",
        postings=[(account, amount) for account, amount in postings if amount != 0],
        memo=order.number,
    )


def _void_vouchers(line: OrderLine, refunded_quantity: int) -> int:
    """Void valid vouchers until ``refunded_quantity`` of the line's units are void (redeemed ones
    were used: they stay redeemed)."""
    void = line.vouchers.filter(status=VoucherStatus.VOID).count()
    to_void = list(
        line.vouchers.filter(status=VoucherStatus.VALID)
        .order_by("pk")
        .values_list("pk", flat=True)[: max(0, refunded_quantity - void)]
    )
    return Voucher.objects.filter(pk__in=to_void, status=VoucherStatus.VALID).update(
        status=VoucherStatus.VOID
    )


def order_refund_apply(
    *,
    order: Order,
    refund_id: str,
    actor: Any,
    amount: Any = None,
    lines: Mapping[int, int] | None = None,
    reason: str = "",
) -> RefundResult:
    """Record a refund the money has already gone back for (a bank transfer sent back by the
    brand, a Stripe refund), once per ``refund_id``: the lines' refunded amounts, vouchers of fully
    refunded units voided, each line's conversion refunded through the engine (which reverses the
    commissions), and the sale's ledger postings reversed."""
    refund_id = str(refund_id).strip()[:120]
    if not refund_id:
        raise field_error("refundId", "Give the refund an id.", Code.REQUIRED)
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        existing = OrderRefund.objects.filter(order=locked, refund_id=refund_id).first()
        if existing is not None:
            return RefundResult(order=locked, refund=existing, created=False)
        order_lines = list(locked.lines.select_for_update().order_by("pk"))
        allocation = refund_allocation(locked, order_lines, amount=amount, units=lines)
        total = sum((part.amount for part in allocation), Decimal(0))
        refund = OrderRefund.objects.create(
            order=locked,
            refund_id=refund_id,
            amount=total,
            lines={str(part.line.pk): part.units for part in allocation},
            reason=reason.strip()[:500],
            actor=actor if getattr(actor, "pk", None) else None,
        )
        _post_refund(locked, refund, allocation)
        positions = {line.pk: position for position, line in enumerate(order_lines, start=1)}
        recorded = set(
            Conversion.objects.filter(
                source=ConversionSource.PLATFORM,
                order_id__in=[conversion_order_id(locked, positions[part.line.pk]) for part in allocation],
            ).values_list("order_id", flat=True)
        )
        for part in allocation:
            line = part.line
            line.refunded_amount += part.amount
            line.refunded_quantity = min(line.quantity, line.refunded_quantity + part.units)
            line.save(update_fields=["refunded_amount", "refunded_quantity"])
            voided = _void_vouchers(line, line.refunded_quantity)
            if voided:
                Product.objects.filter(pk=line.product_id, sold_count__gte=voided).update(
                    sold_count=F("sold_count") - voided
                )
            order_id = conversion_order_id(locked, positions[line.pk])
            if order_id in recorded:
                conversion_refund(
                    source=ConversionSource.PLATFORM,
                    order_id=order_id,
                    refund_id=f"{refund_id}",
                    amount=part.amount,
                    actor=actor,
                )
        locked.refunded_amount += total
        locked.status = (
            OrderStatus.REFUNDED if locked.refunded_amount == locked.total else OrderStatus.PARTIALLY_REFUNDED
        )
        locked.save(update_fields=["refunded_amount", "status"])
        paid_by = (
            Payment.objects.filter(order=locked, status__in=[PaymentStatus.CONFIRMED, PaymentStatus.REFUNDED])
            .order_by("pk")
            .first()
        )
        if paid_by is not None:
            payment_refund_record(
                payment=paid_by, amount=total, refunded_in_full=locked.status == OrderStatus.REFUNDED
            )
        audit_log(
            actor=actor,
            action="order.refunded",
            target=locked,
            refund_id=refund_id,
            amount=str(total),
            lines={str(part.line.pk): str(part.amount) for part in allocation},
        )
        order_publish(locked)
    return RefundResult(order=locked, refund=refund, created=True)


def order_refund(
    *,
    order: Order,
    refund_id: str,
    actor: Any,
    amount: Any = None,
    lines: Mapping[int, int] | None = None,
    reason: str = "",
) -> RefundResult:
    """Refund all or part of a paid order (by amount, or by units of lines), once per
    ``refund_id``.

    A card payment is refunded through Stripe first; the refund carries ``refund_id`` and the
    units in its metadata, so the ``charge.refunded`` webhook reporting it applies the same refund
    (once, whichever of the two gets here first). A bank transfer is sent back by the brand by
    hand, and only recorded here.
    """
    refund_id = str(refund_id).strip()[:120]
    existing = OrderRefund.objects.filter(order=order, refund_id=refund_id).first() if refund_id else None
    if existing is not None:
        return RefundResult(order=existing.order, refund=existing, created=False)
    if order.payment_provider == PaymentProvider.STRIPE and refund_id:
        from marketplace.services.checkout import payment_stripe_refund_create

        allocation = refund_allocation(order, list(order.lines.order_by("pk")), amount=amount, units=lines)
        payment_stripe_refund_create(
            order=order,
            amount=sum((part.amount for part in allocation), Decimal(0)),
            units={part.line.pk: part.units for part in allocation} if lines else None,
            refund_id=refund_id,
            reason=reason,
        )
    return order_refund_apply(
        order=order, refund_id=refund_id, actor=actor, amount=amount, lines=lines, reason=reason
    )
