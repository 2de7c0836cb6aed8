"""GraphQL types of orders, their lines and vouchers, and merchants' sales."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from enum import Enum

import strawberry
from django.db.models import prefetch_related_objects

from graphql_schema.errors import UserError
from graphql_schema.money import Money, money, rate
from graphql_schema.payments.types import (
    BankTransferDetails,
    ContactChannelEnum,
    Payment,
    PaymentProviderEnum,
)
from marketplace import models
from payments.models import BillingSettings as BillingSettingsModel
from payments.services.invoices import billing_settings


@strawberry.enum(name="OrderStatus")
class OrderStatusEnum(Enum):
    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"
    PARTIALLY_REFUNDED = "partially_refunded"


@strawberry.enum(name="VoucherStatus")
class VoucherStatusEnum(Enum):
    VALID = "valid"
    REDEEMED = "redeemed"
    VOID = "void"


@strawberry.type(description="What the customer shows the merchant: one per unit bought.")
class Voucher:
    id: strawberry.ID
    code: str
    status: VoucherStatusEnum
    redeemed_at: dt.datetime | None
    order_number: str
    title: str = strawberry.field(description="The deal, as sold.")

    @classmethod
    def from_model(cls, voucher: models.Voucher, line: models.OrderLine, order: models.Order) -> Voucher:
        return cls(
            id=strawberry.ID(str(voucher.pk)),
            code=voucher.code,
            status=VoucherStatusEnum(voucher.status),
            redeemed_at=voucher.redeemed_at,
            order_number=order.number,
            title=line.title,
        )

    @classmethod
    def from_models(cls, vouchers: Sequence[models.Voucher]) -> list[Voucher]:
        """Vouchers loaded with ``select_related("line__order")``."""
        return [cls.from_model(voucher, voucher.line, voucher.line.order) for voucher in vouchers]


@strawberry.type
class OrderLine:
    id: strawberry.ID
    product_id: strawberry.ID
    title: str
    unit_price: Money = strawberry.field(description="VAT included.")
    quantity: int
    line_total: Money
    refunded_quantity: int
    refunded_amount: Money
    vouchers: list[Voucher] = strawberry.field(description="Once the order is paid.")


@strawberry.type
class Order:
    id: strawberry.ID
    number: str
    status: OrderStatusEnum
    email: str
    total: Money = strawberry.field(description="VAT included.")
    refunded_amount: Money
    payment_provider: PaymentProviderEnum
    coupon_code: str
    reserved_until: dt.datetime = strawberry.field(
        description="The stock is held until then; an unpaid order is cancelled after it."
    )
    created_at: dt.datetime
    paid_at: dt.datetime | None
    lines: list[OrderLine]
    payment: Payment | None = strawberry.field(description="The latest payment attempt.")

    @classmethod
    def from_model(cls, order: models.Order, settings: BillingSettingsModel | None = None) -> Order:
        """An order with ``lines__vouchers`` and ``payments`` prefetched (see ``from_models``)."""
        currency = order.currency
        payments = sorted(order.payments.all(), key=lambda payment: payment.pk)
        payment = payments[-1] if payments else None
        if payment is not None:
            payment.order = order
        return cls(
            id=strawberry.ID(str(order.pk)),
            number=order.number,
            status=OrderStatusEnum(order.status),
            email=order.email,
            total=money(order.total, currency),
            refunded_amount=money(order.refunded_amount, currency),
            payment_provider=PaymentProviderEnum(order.payment_provider),
            coupon_code=order.coupon_code,
            reserved_until=order.reserved_until,
            created_at=order.created_at,
            paid_at=order.paid_at,
            lines=[
                OrderLine(
                    id=strawberry.ID(str(line.pk)),
                    product_id=strawberry.ID(str(line.product_id)),
                    title=line.title,
                    unit_price=money(line.unit_price, currency),
                    quantity=line.quantity,
                    line_total=money(line.line_total, currency),
                    refunded_quantity=line.refunded_quantity,
                    refunded_amount=money(line.refunded_amount, currency),
                    vouchers=[
                        Voucher.from_model(voucher, line, order)
                        for voucher in sorted(line.vouchers.all(), key=lambda voucher: voucher.pk)
                    ],
                )
                for line in sorted(order.lines.all(), key=lambda line: line.pk)
            ],
            payment=Payment.from_model(payment, settings) if payment is not None else None,
        )

    @classmethod
    def from_models(cls, orders: Sequence[models.Order]) -> list[Order]:
        """A page of orders in a constant number of queries."""
        prefetch_related_objects(list(orders), "lines__vouchers", "payments")
        settings = billing_settings() if orders else None
        return [cls.from_model(order, settings) for order in orders]


@strawberry.type(description="A merchant's sale: one order line of theirs, paid.")
class Sale:
    id: strawberry.ID
    order_number: str
    paid_at: dt.datetime | None
    order_status: OrderStatusEnum
    product_id: strawberry.ID
    title: str
    quantity: int
    line_total: Money = strawberry.field(description="What the customer paid, VAT included.")
    platform_fee_rate: Decimal
    platform_fee: Money
    net: Money = strawberry.field(description="Yours: the line less the platform fee and refunds.")
    refunded_amount: Money
    vouchers_redeemed: int
    vouchers_valid: int

    @classmethod
    def from_model(cls, line: models.OrderLine) -> Sale:
        """A line with ``order`` selected and ``redeemed``/``valid`` counts annotated."""
        order = line.order
        currency = order.currency
        return cls(
            id=strawberry.ID(str(line.pk)),
            order_number=order.number,
            paid_at=order.paid_at,
            order_status=OrderStatusEnum(order.status),
            product_id=strawberry.ID(str(line.product_id)),
            title=line.title,
            quantity=line.quantity,
            line_total=money(line.line_total, currency),
            platform_fee_rate=rate(line.platform_fee_rate),
            platform_fee=money(line.platform_fee, currency),
            net=money(_net(line), currency),
            refunded_amount=money(line.refunded_amount, currency),
            vouchers_redeemed=int(getattr(line, "redeemed", 0)),
            vouchers_valid=int(getattr(line, "valid", 0)),
        )


def _net(line: models.OrderLine) -> Decimal:
    from marketplace.services.refunds import line_fee_refunded

    return (
        line.line_total
        - line.refunded_amount
        - (line.platform_fee - line_fee_refunded(line, line.refunded_amount, line.order.currency))
    )


@strawberry.input
class OrderItemInput:
    product_id: strawberry.ID
    quantity: int = 1


@strawberry.input
class OrderPlaceInput:
    items: list[OrderItemInput]
    provider: PaymentProviderEnum
    email: str = strawberry.field(default="", description="Where the vouchers go (default: my account's).")
    coupon_code: str = ""
    idempotency_key: str | None = strawberry.field(
        default=None, description="Send the same key when retrying: the first order comes back."
    )
    payer_name: str = strawberry.field(
        default="", description="Bank transfer: the name the transfer comes from."
    )
    payer_email: str = strawberry.field(default="", description="Bank transfer: where we reach you.")
    contact_channel: ContactChannelEnum | None = strawberry.field(
        default=None,
        description="Bank transfer: email (the default), Telegram, WhatsApp or Discord.",
    )
    contact: str = strawberry.field(
        default="",
        description="Bank transfer: an email (default: payerEmail), @username (Telegram), "
        "+E.164 number (WhatsApp) or username (Discord).",
    )


@strawberry.type
class OrderPlacePayload:
    order: Order | None
    checkout_url: str | None = strawberry.field(description="Card: send the customer there to pay.")
    bank_transfer: BankTransferDetails | None = strawberry.field(
        description="Bank transfer: the brand's bank details and the reference to quote."
    )
    errors: list[UserError]


@strawberry.type
class OrderPayload:
    order: Order | None
    errors: list[UserError]


@strawberry.input
class RefundLineInput:
    line_id: strawberry.ID
    quantity: int


@strawberry.input
class OrderRefundInput:
    number: str
    refund_id: str = strawberry.field(description="Your id of this refund: sending it again changes nothing.")
    amount: Decimal | None = strawberry.field(
        default=None,
        description="Refund this amount (lines in order); neither amount nor lines: everything left.",
    )
    lines: list[RefundLineInput] | None = strawberry.field(
        default=None, description="Or refund units of lines."
    )
    reason: str = ""


@strawberry.type
class VoucherRedeemPayload:
    voucher: Voucher | None
    errors: list[UserError]
