"""Checkout: orders placed with their stock reserved, paid (vouchers, the conversion, the money in
the ledger), cancelled or expired (stock returned), refunded (commission and ledger reversed), and
vouchers redeemed by merchants.

Stock is reserved by one conditional ``UPDATE … SET stock = stock - n WHERE id = … AND stock >= n``
per line, in product-id order, inside the transaction that creates the order: concurrent buyers
queue on the product's row and the last unit goes to exactly one of them, and a refused line rolls
the whole order back. Prices are VAT-inclusive (see ``billing.services.invoices``).
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from affiliation.models import ConversionSource, Coupon
from affiliation.services.conversions import conversion_record, conversion_refund
from billing.models import Payment, PaymentProvider
from core.audit import audit_log
from core.errors import field_error
from core.events import publish_on_commit
from core.money import PRICE_ROUNDING, quantize
from core.tasks import enqueue_on_commit
from ledger.models import AccountKind, LedgerAccount
from ledger.services import ledger_account, ledger_post
from marketplace.models import (
    Order,
    OrderLine,
    OrderRefund,
    OrderStatus,
    Product,
    ProductStatus,
    Voucher,
    VoucherStatus,
)

logger = logging.getLogger(__name__)

ORDER_EVENT = "order.updated"
MAX_LINES = 20
# Crockford's base 32: no I, L, O, U, so codes survive being read aloud or typed from paper.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
VOUCHER_CODE_LENGTH = 12  # 60 random bits, shown as XXXX-XXXX-XXXX
ORDER_NUMBER_LENGTH = 10  # 50 random bits
PAID_STATUSES = (OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED)


class OrderErrorCode(StrEnum):
    REQUIRED = "REQUIRED"
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    PRODUCT_UNAVAILABLE = "PRODUCT_UNAVAILABLE"
    DEAL_EXPIRED = "DEAL_EXPIRED"
    QUANTITY_OUT_OF_RANGE = "QUANTITY_OUT_OF_RANGE"
    OUT_OF_STOCK = "OUT_OF_STOCK"
    CURRENCY_MISMATCH = "CURRENCY_MISMATCH"
    TOO_MANY_LINES = "TOO_MANY_LINES"
    UNKNOWN_COUPON = "UNKNOWN_COUPON"
    PROVIDER_UNAVAILABLE = "PROVIDER_UNAVAILABLE"
    ORDER_CANCELLED = "ORDER_CANCELLED"
    ALREADY_PAID = "ALREADY_PAID"
    NOT_PAID = "NOT_PAID"
    REFUND_TOO_LARGE = "REFUND_TOO_LARGE"
    VOUCHER_NOT_FOUND = "VOUCHER_NOT_FOUND"
    VOUCHER_REDEEMED = "VOUCHER_REDEEMED"
    VOUCHER_VOID = "VOUCHER_VOID"


Code = OrderErrorCode


def _random_code(length: int) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def new_order_number() -> str:
    return f"ORD-{_random_code(ORDER_NUMBER_LENGTH)}"


def new_voucher_code() -> str:
    raw = _random_code(VOUCHER_CODE_LENGTH)
    return "-".join(raw[index : index + 4] for index in range(0, VOUCHER_CODE_LENGTH, 4))


def normalize_voucher_code(code: str) -> str:
    """What people type: lower case, spaces, missing dashes, O for 0 and I/L for 1."""
    compact = "".join(character for character in code.upper() if character.isalnum())
    compact = compact.translate(str.maketrans("OIL", "011"))
    return "-".join(compact[index : index + 4] for index in range(0, len(compact), 4))


def conversion_order_id(order: Order, position: int) -> str:
    """The engine's order id of one order line: one conversion per line, so that each carries its
    product's ``offer_ref`` (per-product commission rules) and is refunded line by line."""
    return f"{order.number}:{position}"


def reservation_until(provider: str, now: dt.datetime | None = None) -> dt.datetime:
    now = now or timezone.now()
    if provider == PaymentProvider.BANK_TRANSFER:
        return now + dt.timedelta(hours=settings.ORDER_BANK_TRANSFER_RESERVATION_HOURS)
    return now + dt.timedelta(minutes=settings.ORDER_RESERVATION_MINUTES)


def _publish(order: Order) -> None:
    publish_on_commit(
        topic=f"orders.{order.customer_id}",
        message_type=ORDER_EVENT,
        payload={"id": order.pk, "number": order.number, "status": order.status},
    )


# --- placing -----------------------------------------------------------------------------------


def parse_click_id(value: str | None) -> uuid.UUID | None:
    """The ``afp_click`` cookie's value, if it is a click id at all (cookies are user input)."""
    try:
        return uuid.UUID(str(value or "").strip())
    except ValueError:
        return None


def _live(now: dt.datetime) -> Q:
    return Q(status=ProductStatus.ACTIVE) & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))


def _clean_items(
    items: Sequence[tuple[Product | int, int]], now: dt.datetime
) -> list[tuple[int, Product, int]]:
    """(index of the first occurrence, product, quantity) per distinct product, validated."""
    if not items:
        raise field_error("items", "Add at least one deal to the order.", Code.REQUIRED)
    wanted: dict[int, tuple[int, int]] = {}
    for index, (item, quantity) in enumerate(items):
        product_id = item.pk if isinstance(item, Product) else int(item)
        first, total = wanted.get(product_id, (index, 0))
        wanted[product_id] = (first, total + int(quantity))
    if len(wanted) > MAX_LINES:
        raise field_error("items", f"An order holds at most {MAX_LINES} deals.", Code.TOO_MANY_LINES)
    products = Product.objects.in_bulk(list(wanted))
    errors: dict[str, ValidationError] = {}
    cleaned: list[tuple[int, Product, int]] = []
    currency = None
    for product_id, (index, quantity) in wanted.items():
        product = products.get(product_id)
        where = f"items.{index}"
        if product is None or product.status != ProductStatus.ACTIVE:
            errors[f"{where}.productId"] = ValidationError(
                "This deal is not on sale.", code=Code.PRODUCT_UNAVAILABLE
            )
            continue
        if product.expires_at is not None and product.expires_at <= now:
            errors[f"{where}.productId"] = ValidationError(
                f"“{product.title}” expired on {product.expires_at:%Y-%m-%d %H:%M} UTC.",
                code=Code.DEAL_EXPIRED,
            )
            continue
        if not product.min_per_purchase <= quantity <= product.max_per_purchase:
            errors[f"{where}.quantity"] = ValidationError(
                f"Buy between {product.min_per_purchase} and {product.max_per_purchase}"
                f" of “{product.title}”.",
                code=Code.QUANTITY_OUT_OF_RANGE,
            )
            continue
        if product.stock is not None and product.stock < quantity:
            errors[f"{where}.quantity"] = ValidationError(
                f"Only {product.stock} of “{product.title}” left.", code=Code.OUT_OF_STOCK
            )
            continue
        currency = currency or product.currency
        if product.currency != currency:
            errors[f"{where}.productId"] = ValidationError(
                f"Pay for {currency} and {product.currency} deals in separate orders.",
                code=Code.CURRENCY_MISMATCH,
            )
            continue
        cleaned.append((index, product, quantity))
    if errors:
        raise ValidationError(errors)
    return cleaned


def _reserve(
    lines: Iterable[tuple[int, Product, int]], now: dt.datetime, *, on_sale_only: bool = True
) -> None:
    """Take the stock of every line, in product-id order (no deadlock between two orders sharing
    products), each by a conditional UPDATE; raise (rolling the caller's transaction back) on the
    first line that cannot be served any more. Unlimited stock (null) stays null."""
    for index, product, quantity in sorted(lines, key=lambda line: line[1].pk):
        products = Product.objects.filter(_live(now)) if on_sale_only else Product.objects.all()
        taken = (
            products.filter(pk=product.pk)
            .filter(Q(stock__isnull=True) | Q(stock__gte=quantity))
            .update(stock=F("stock") - quantity)
        )
        if taken != 1:
            current = Product.objects.filter(pk=product.pk).values("stock", "status").first()
            if current and current["status"] == ProductStatus.ACTIVE and current["stock"] is not None:
                left = current["stock"]
                message = (
                    f"Only {left} of “{product.title}” left." if left else f"“{product.title}” sold out."
                )
                raise field_error(f"items.{index}.quantity", message, Code.OUT_OF_STOCK)
            raise field_error(
                f"items.{index}.productId", "This deal is not on sale.", Code.PRODUCT_UNAVAILABLE
            )


def _release(order: Order) -> None:
    """Give the stock of a cancelled order back, in product-id order."""
    for product_id, quantity in sorted(order.lines.values_list("product_id", "quantity")):
        Product.objects.filter(pk=product_id, stock__isnull=False).update(stock=F("stock") + quantity)


def order_place(
    *,
    customer: User,
    items: Sequence[tuple[Product | int, int]],
    provider: str,
    click_id: str | uuid.UUID | None = None,
    coupon_code: str = "",
    idempotency_key: str | None = None,
    email: str = "",
) -> Order:
    """Place an order awaiting payment and reserve its stock, all or nothing.

    ``click_id`` is the ``afp_click`` cookie (attribution once paid); an unusable value is
    ignored, as a cookie is not the customer's to fix. A replay with the same
    ``idempotency_key`` (per customer) returns the first order.
    """
    from billing.services.plans import platform_fee_rate

    key = (
        f"{customer.pk}:{idempotency_key.strip()[:60]}"
        if idempotency_key and idempotency_key.strip()
        else None
    )
    if key is not None:
        existing = Order.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return existing
    if provider not in (PaymentProvider.STRIPE, PaymentProvider.BANK_TRANSFER):
        raise field_error("provider", "Pay by card or by bank transfer.", Code.PROVIDER_UNAVAILABLE)
    email = (email or customer.email).strip().lower()
    try:
        validate_email(email)
    except ValidationError as error:
        raise field_error("email", "Enter the email your vouchers go to.", Code.INVALID) from error
    coupon_code = coupon_code.strip()[:40]
    if coupon_code and not Coupon.objects.filter(code__iexact=coupon_code).exists():
        raise field_error("couponCode", "Unknown coupon code.", Code.UNKNOWN_COUPON)
    now = timezone.now()
    lines = _clean_items(items, now)
    rates: dict[int, Decimal] = {}
    try:
        with transaction.atomic():
            _reserve(lines, now)
            currency = lines[0][1].currency
            order = Order.objects.create(
                number=new_order_number(),
                customer=customer,
                email=email,
                currency=currency,
                total=Decimal(0),
                refunded_amount=Decimal(0),
                payment_provider=provider,
                click_id=parse_click_id(str(click_id) if click_id else None),
                coupon_code=coupon_code,
                idempotency_key=key,
                reserved_until=reservation_until(provider, now),
            )
            rows = []
            for _, product, quantity in sorted(lines, key=lambda line: line[0]):
                if product.merchant_id not in rates:
                    rates[product.merchant_id] = platform_fee_rate(product.merchant)
                rate = rates[product.merchant_id]
                line_total = quantize(product.price * quantity, currency)
                rows.append(
                    OrderLine(
                        order=order,
                        product=product,
                        merchant_id=product.merchant_id,
                        title=product.title,
                        unit_price=product.price,
                        quantity=quantity,
                        line_total=line_total,
                        platform_fee_rate=rate,
                        platform_fee=quantize(line_total * rate / 100, currency, PRICE_ROUNDING),
                        refunded_amount=Decimal(0),
                    )
                )
            OrderLine.objects.bulk_create(rows)
            order.total = sum((row.line_total for row in rows), Decimal(0))
            order.platform_fee = sum((row.platform_fee for row in rows), Decimal(0))
            order.save(update_fields=["total", "platform_fee"])
            audit_log(
                actor=customer,
                action="order.placed",
                target=order,
                total=str(order.total),
                currency=currency,
                provider=provider,
            )
            _publish(order)
    except IntegrityError:
        # The same idempotency key placed concurrently: the other one won, and this transaction
        # (its stock included) was rolled back.
        if key is None:
            raise
        return Order.objects.get(idempotency_key=key)
    return order


# --- cancelling and expiring -------------------------------------------------------------------


def order_cancel(*, order: Order, actor: Any, reason: str) -> Order:
    """Cancel an order still awaiting payment and return its stock; a no-op on a cancelled one."""
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if locked.status == OrderStatus.CANCELLED:
            return locked
        if locked.status != OrderStatus.PENDING_PAYMENT:
            raise field_error(
                "order", f"A {locked.get_status_display().lower()} order cannot be cancelled.", Code.INVALID
            )
        locked.status = OrderStatus.CANCELLED
        locked.save(update_fields=["status"])
        _release(locked)
        audit_log(actor=actor, action="order.cancelled", target=locked, reason=reason[:200])
        _publish(locked)
    return locked


def orders_due_for_expiry(now: dt.datetime | None = None) -> list[int]:
    """Unpaid orders past their reservation whose payer has not told us they paid (a submitted or
    verified bank transfer waits for the brand admin's decision instead)."""
    from billing.models import PaymentStatus

    now = now or timezone.now()
    waiting = Payment.objects.filter(
        order=OuterRef("pk"), status__in=[PaymentStatus.TRANSACTION_SUBMITTED, PaymentStatus.VERIFIED]
    )
    return list(
        Order.objects.filter(status=OrderStatus.PENDING_PAYMENT, reserved_until__lte=now)
        .exclude(Exists(waiting))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _reserve_again(order: Order, now: dt.datetime) -> bool:
    """Take the stock of a cancelled order again (a payment that arrived after its expiry)."""
    lines = [(0, line.product, line.quantity) for line in order.lines.select_related("product")]
    try:
        with transaction.atomic():
            # Sold while on sale: a deal that has ended or been paused since still honours it.
            _reserve(lines, now, on_sale_only=False)
    except ValidationError:
        return False
    return True


# --- paid ----------------------------------------------------------------------------------------


def _vouchers_create(lines: Sequence[OrderLine]) -> list[Voucher]:
    for _attempt in range(3):
        vouchers = [
            Voucher(line=line, code=new_voucher_code()) for line in lines for _unit in range(line.quantity)
        ]
        try:
            with transaction.atomic():
                return Voucher.objects.bulk_create(vouchers)
        except IntegrityError:  # a code collided (2^-60 per pair): draw them again
            continue
    raise RuntimeError("could not draw unique voucher codes")


def _brand_account(kind: AccountKind, currency: str) -> LedgerAccount:
    return ledger_account(affiliate=None, kind=kind, currency=currency)


def _merchant_account(merchant_id: int, currency: str) -> LedgerAccount:
    return ledger_account(
        affiliate=None, merchant=User(pk=merchant_id), kind=AccountKind.MERCHANT_SALES, currency=currency
    )


def _post_sale(order: Order, lines: Sequence[OrderLine]) -> None:
    """Customer payments (brand) -total; each merchant +(its lines - fees); platform fees +fees."""
    currency = order.currency
    merchant_shares: dict[int, Decimal] = defaultdict(Decimal)
    fees = Decimal(0)
    for line in lines:
        merchant_shares[line.merchant_id] += line.line_total - line.platform_fee
        fees += line.platform_fee
    postings = [(_brand_account(AccountKind.CUSTOMER_PAYMENTS, currency), -order.total)]
    postings += [
        (_merchant_account(merchant_id, currency), share) for merchant_id, share in merchant_shares.items()
    ]
    postings.append((_brand_account(AccountKind.PLATFORM_FEES, currency), fees))
    postings = [(account, amount) for account, amount in postings if amount != 0]
    if postings:
        ledger_post(
            kind="order.paid",
            idempotency_key=f"order:{order.number}:paid",
            postings=postings,
            memo=order.number,
        )


class ClickNotYetRecordedError(Exception):
    """The order's click is still on its way from the redirect lane to Postgres: retry soon."""


@dataclass(frozen=True)
class ConversionOutcome:
    order_id: str
    recorded: bool
    reason: str = ""


def order_conversions_record(order: Order) -> list[ConversionOutcome]:
    """One conversion per paid line through the engine, attributed with the checkout's click
    (or coupon), idempotent per line. A click the drain has not stored yet raises
    ClickNotYetRecordedError (the task retries); other attribution failures are recorded as skipped:
    the sale stands, it just earns nobody a commission."""
    if order.click_id is None and not order.coupon_code:
        return []
    outcomes = []
    pending_click = False
    for position, line in enumerate(order.lines.select_related("product").order_by("pk"), start=1):
        if line.line_total <= 0:
            continue
        order_id = conversion_order_id(order, position)
        attempts = [(str(order.click_id or ""), order.coupon_code)]
        if order.click_id is not None and order.coupon_code:
            attempts.append(("", order.coupon_code))
        reason = ""
        for click_id, coupon_code in attempts:
            try:
                with transaction.atomic():
                    conversion_record(
                        source=ConversionSource.PLATFORM,
                        order_id=order_id,
                        amount=line.line_total,
                        currency=order.currency,
                        click_id=click_id,
                        coupon_code=coupon_code,
                        offer_ref=line.product.offer_ref,
                        occurred_at=order.created_at,
                    )
                reason = ""
                break
            except ValidationError as error:
                codes = [item.code for items in error.error_dict.values() for item in items]
                reason = ",".join(str(code) for code in codes)
                if click_id and "NOT_ATTRIBUTED" in codes:
                    pending_click = True
        outcomes.append(ConversionOutcome(order_id=order_id, recorded=not reason, reason=reason))
        if reason:
            audit_log(
                actor=None, action="order.conversion_skipped", target=order, line=position, reason=reason
            )
    if pending_click and any(not outcome.recorded for outcome in outcomes):
        raise ClickNotYetRecordedError(order.number)
    return outcomes


def order_paid(payment: Payment) -> Order:
    """The order of a confirmed payment becomes paid, once (under its row lock): a voucher per unit,
    sales counted, the money split in the ledger, a conversion per line through the engine.

    An order cancelled in the meantime (its reservation ran out while the payment was on its way)
    is reinstated when its stock can still be taken; otherwise ORDER_CANCELLED is raised and the
    caller refunds the payment, as it does for a second payment of a paid order (ALREADY_PAID).
    """
    now = timezone.now()
    with transaction.atomic():
        assert payment.order_id is not None
        order = Order.objects.select_for_update().get(pk=payment.order_id)
        if order.paid_at is not None:
            if order.payments.filter(confirmed_at__isnull=False).exclude(pk=payment.pk).exists():
                raise field_error(
                    "order", "This order was already paid by another payment.", Code.ALREADY_PAID
                )
            return order
        if order.status == OrderStatus.CANCELLED:
            if not _reserve_again(order, now):
                raise field_error(
                    "order", "The reservation ran out and the deal sold out.", Code.ORDER_CANCELLED
                )
            audit_log(actor=None, action="order.reinstated", target=order, payment=payment.reference)
        if payment.amount != order.total or payment.currency != order.currency:
            raise ValueError(f"payment {payment.reference} does not pay order {order.number}'s total")
        order.status = OrderStatus.PAID
        order.paid_at = now
        order.save(update_fields=["status", "paid_at"])
        lines = list(order.lines.order_by("pk"))
        _vouchers_create(lines)
        sold: dict[int, int] = defaultdict(int)
        for line in lines:
            sold[line.product_id] += line.quantity
        for product_id in sorted(sold):
            Product.objects.filter(pk=product_id).update(sold_count=F("sold_count") + sold[product_id])
        _post_sale(order, lines)
        try:
            order_conversions_record(order)
        except ClickNotYetRecordedError:
            from marketplace.tasks import order_conversions_task

            enqueue_on_commit(order_conversions_task, order.pk)
        audit_log(actor=None, action="order.paid", target=order, payment=payment.reference)
        _publish(order)
    return order


# --- refunds -------------------------------------------------------------------------------------


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
    if amount is None:
        wanted = left
    else:
        from affiliation.services.conversions import parse_amount

        wanted = parse_amount(amount, order.currency)
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
    postings = [(_brand_account(AccountKind.CUSTOMER_PAYMENTS, currency), refund.amount)]
    postings += [
        (_merchant_account(merchant_id, currency), share) for merchant_id, share in merchant_shares.items()
    ]
    postings.append((_brand_account(AccountKind.PLATFORM_FEES, currency), fees))
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
        from affiliation.models import Conversion

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
        if locked.status == OrderStatus.REFUNDED:
            from billing.models import PaymentStatus

            Payment.objects.filter(order=locked, status=PaymentStatus.CONFIRMED).update(
                status=PaymentStatus.REFUNDED, updated_at=timezone.now()
            )
        audit_log(
            actor=actor,
            action="order.refunded",
            target=locked,
            refund_id=refund_id,
            amount=str(total),
            lines={str(part.line.pk): str(part.amount) for part in allocation},
        )
        _publish(locked)
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
        from billing.services.checkout import payment_stripe_refund_create

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


# --- vouchers ------------------------------------------------------------------------------------


def voucher_redeem(*, actor: User, code: str) -> Voucher:
    """The merchant marks a voucher used (a brand admin may too). A voucher of another merchant
    answers like an unknown one; two concurrent redemptions redeem it once."""
    from accounts.models import Role

    normalized = normalize_voucher_code(code)
    vouchers = Voucher.objects.filter(code=normalized)
    if getattr(actor, "role", None) != Role.BRAND_ADMIN:
        vouchers = vouchers.filter(line__merchant=actor)
    now = timezone.now()
    with transaction.atomic():
        redeemed = vouchers.filter(status=VoucherStatus.VALID).update(
            status=VoucherStatus.REDEEMED, redeemed_at=now
        )
        voucher = vouchers.select_related("line__order").first()
        if voucher is None:
            raise field_error("code", "No voucher of yours has this code.", Code.VOUCHER_NOT_FOUND)
        if not redeemed:
            if voucher.status == VoucherStatus.VOID:
                raise field_error("code", "This voucher was refunded.", Code.VOUCHER_VOID)
            raise field_error(
                "code",
                f"This voucher was already used on {voucher.redeemed_at:%Y-%m-%d %H:%M} UTC.",
                Code.VOUCHER_REDEEMED,
            )
        audit_log(actor=actor, action="voucher.redeemed", target=voucher, order=voucher.line.order.number)
    return voucher


# --- reads ---------------------------------------------------------------------------------------


def _is_brand_admin(user: Any) -> bool:
    from accounts.models import Role

    return getattr(user, "role", None) == Role.BRAND_ADMIN


def orders_visible_to(user: User, *, everyone: bool = False) -> QuerySet[Order]:
    """The user's orders; every order for a brand admin asking for ``everyone``."""
    orders = Order.objects.all()
    if not (everyone and _is_brand_admin(user)):
        orders = orders.filter(customer=user)
    return orders


def order_visible_to(user: User, number: str) -> Order | None:
    """An order by number for its customer or a brand admin; None for anyone else."""
    order = Order.objects.filter(number=str(number).strip().upper()).first()
    if order is None or not (order.customer_id == user.pk or _is_brand_admin(user)):
        return None
    return order


def vouchers_of(customer: User) -> QuerySet[Voucher]:
    return Voucher.objects.select_related("line__order").filter(line__order__customer=customer)


def sales_of(merchant: User, *, everyone: bool = False) -> QuerySet[OrderLine]:
    """Paid lines of the merchant (of every merchant for a brand admin asking for ``everyone``),
    with their voucher counts."""
    lines = OrderLine.objects.select_related("order").filter(order__paid_at__isnull=False)
    if not (everyone and _is_brand_admin(merchant)):
        lines = lines.filter(merchant=merchant)
    return lines.annotate(
        redeemed=Count("vouchers", filter=Q(vouchers__status=VoucherStatus.REDEEMED)),
        valid=Count("vouchers", filter=Q(vouchers__status=VoucherStatus.VALID)),
    )
