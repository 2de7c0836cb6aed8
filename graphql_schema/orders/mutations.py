from __future__ import annotations

import strawberry

from graphql_schema.access import not_found, parse_id
from graphql_schema.context import Info
from graphql_schema.errors import handle_user_errors, keep_on_error, refreshed
from graphql_schema.orders.types import (
    Order,
    OrderPayload,
    OrderPlaceInput,
    OrderPlacePayload,
    OrderRefundInput,
    Voucher,
    VoucherRedeemPayload,
)
from graphql_schema.payments.types import BankTransferDetails
from graphql_schema.permissions import IsBrandAdmin, IsBrandMember, IsMerchantOrBrandAdmin
from marketplace.selectors import order_visible_to
from marketplace.services import orders as services
from marketplace.services import refunds as refund_services
from marketplace.services.checkout import order_cancel_unpaid, order_checkout
from tracking.keys import CLICK_COOKIE


def _click_cookie(info: Info) -> str:
    """The affiliate click the browser carries (set by the redirect lane on the brand's host)."""
    request = info.context.request
    return str(request.COOKIES.get(CLICK_COOKIE, "")) if request is not None else ""


def _order_payload(order: services.Order) -> OrderPayload:
    return OrderPayload(order=Order.from_models([order])[0], errors=[])


@strawberry.type
class OrderMutation:
    @strawberry.mutation(
        permission_classes=[IsBrandMember],
        description="Buy deals: the stock is reserved and the payment starts (a Stripe Checkout URL, or the "
        "bank details and the reference to quote). The affiliate click cookie attributes the sale.",
    )
    @handle_user_errors
    def order_place(self, info: Info, input: OrderPlaceInput) -> OrderPlacePayload:
        result = order_checkout(
            customer=info.context.user,
            items=[(parse_id(item.product_id), item.quantity) for item in input.items],
            provider=input.provider.value,
            click_id=_click_cookie(info),
            coupon_code=input.coupon_code,
            idempotency_key=input.idempotency_key,
            email=input.email,
            payer_name=input.payer_name,
            payer_email=input.payer_email,
            contact_channel=input.contact_channel.value if input.contact_channel else "",
            contact=input.contact,
        )
        return OrderPlacePayload(
            order=Order.from_models([result.order])[0],
            checkout_url=result.checkout_url or None,
            bank_transfer=BankTransferDetails.from_instructions(result.bank_transfer)
            if result.bank_transfer
            else None,
            errors=[],
        )

    @strawberry.mutation(
        permission_classes=[IsBrandMember], description="Cancel my order while it awaits payment."
    )
    @handle_user_errors
    def order_cancel(self, info: Info, number: str) -> OrderPayload:
        order = order_visible_to(info.context.user, number)
        if order is None or order.customer_id != info.context.user.pk:
            raise not_found("Order")
        keep_on_error(order=lambda: Order.from_models([refreshed(order)])[0])
        cancelled = order_cancel_unpaid(order=order, actor=info.context.user)
        return _order_payload(cancelled)

    @strawberry.mutation(
        permission_classes=[IsBrandAdmin],
        description="Refund a paid order, all or part (an amount, or units of lines). Card payments are "
        "refunded through Stripe; the affiliate's commission is reversed.",
    )
    @handle_user_errors
    def order_refund(self, info: Info, input: OrderRefundInput) -> OrderPayload:
        order = order_visible_to(info.context.user, input.number)
        if order is None:
            raise not_found("Order")
        units = {parse_id(line.line_id): line.quantity for line in input.lines} if input.lines else None
        keep_on_error(order=lambda: Order.from_models([order])[0])
        result = refund_services.order_refund(
            order=order,
            refund_id=input.refund_id,
            actor=info.context.user,
            amount=input.amount,
            lines=units,
            reason=input.reason,
        )
        return _order_payload(result.order)

    @strawberry.mutation(
        permission_classes=[IsMerchantOrBrandAdmin],
        description="Mark a customer's voucher used (a voucher of another merchant is not found).",
    )
    @handle_user_errors
    def voucher_redeem(self, info: Info, code: str) -> VoucherRedeemPayload:
        voucher = services.voucher_redeem(actor=info.context.user, code=code)
        return VoucherRedeemPayload(voucher=Voucher.from_models([voucher])[0], errors=[])
