"""Checkout: orders placed with their stock reserved, paid (vouchers, the conversion, the money in
the ledger), cancelled or expired (stock returned), refunded (commission and ledger reversed), and
vouchers redeemed by merchants.

Stock is reserved by one conditional ``UPDATE … SET stock = stock - n WHERE id = … AND stock >= n``
per line, in product-id order, inside the transaction that creates the order: concurrent buyers
queue on the product's row and the last unit goes to exactly one of them, and a refused line rolls
the whole order back. Prices are VAT-inclusive (see ``payments.services.invoices``).
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from accounts.models import Role, User
from affiliation.models import ConversionSource, Coupon
from affiliation.services.conversions import conversion_record
from billing.services.plans import platform_fee_rate
from core.audit import audit_log
from core.errors import field_error
from core.events import emit, publish_on_commit
from core.ids import CROCKFORD_ALPHABET
from core.money import PRICE_ROUNDING, quantize
from core.tasks import enqueue_on_commit
from ledger.models import AccountKind, LedgerAccount
from ledger.owners import BRAND, Owner
from ledger.services import ledger_account, ledger_post
from marketplace.models import (
    Order,
    OrderLine,
    OrderStatus,
    Product,
    ProductStatus,
    Voucher,
    VoucherStatus,
)
from payments.models import Payment, PaymentProvider, PaymentStatus

logger = logging.getLogger(__name__)

ORDER_EVENT = "order.updated"
MAX_LINES = 20
CODE_ALPHABET = CROCKFORD_ALPHABET
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


def order_publish(order: Order) -> None:
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
            order_publish(order)
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
        order_publish(locked)
    return locked


def orders_due_for_expiry(now: dt.datetime | None = None) -> list[int]:
    """Unpaid orders past their reservation whose payer has not told us they paid (a submitted or
    verified bank transfer waits for the brand admin's decision instead)."""
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


def brand_account(kind: AccountKind, currency: str) -> LedgerAccount:
    return ledger_account(owner=BRAND, kind=kind, currency=currency)


def merchant_account(merchant_id: int, currency: str) -> LedgerAccount:
    return ledger_account(
        owner=Owner.merchant(merchant_id), kind=AccountKind.MERCHANT_SALES, currency=currency
    )


def _post_sale(order: Order, lines: Sequence[OrderLine]) -> None:
    """Customer payments (brand) -total; each merchant +(its lines - fees); platform fees +fees."""
    currency = order.currency
    merchant_shares: dict[int, Decimal] = defaultdict(Decimal)
    fees = Decimal(0)
    for line in lines:
        merchant_shares[line.merchant_id] += line.line_total - line.platform_fee
        fees += line.platform_fee
    postings = [(brand_account(AccountKind.CUSTOMER_PAYMENTS, currency), -order.total)]
    postings += [
        (merchant_account(merchant_id, currency), share) for merchant_id, share in merchant_shares.items()
    ]
    postings.append((brand_account(AccountKind.PLATFORM_FEES, currency), fees))
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
                        buyer_email=order.email,
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
        emit(
            "order.paid",
            {
                "order_id": order.pk,
                "number": order.number,
                "customer_id": order.customer_id,
                "total": order.total,
                "currency": order.currency,
                "payment_id": payment.pk,
            },
        )
        order_publish(order)
    return order


# --- vouchers ------------------------------------------------------------------------------------


def voucher_redeem(*, actor: User, code: str) -> Voucher:
    """The merchant marks a voucher used (a brand admin may too). A voucher of another merchant
    answers like an unknown one; two concurrent redemptions redeem it once."""
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
