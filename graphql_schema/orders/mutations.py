from __future__ import annotations

import strawberry
from django.core.exceptions import ValidationError
from strawberry.types import Info

from graphql_schema.affiliation.access import not_found, parse_id
from graphql_schema.errors import user_errors
from graphql_schema.orders.access import IsBrandMember
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
from graphql_schema.permissions import IsBrandAdmin, IsMerchantOrBrandAdmin
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
    def order_place(self, info: Info, input: OrderPlaceInput) -> OrderPlacePayload:
        try:
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
        except ValidationError as error:
            return OrderPlacePayload(
                order=None, checkout_url=None, bank_transfer=None, errors=user_errors(error)
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
    def order_cancel(self, info: Info, number: str) -> OrderPayload:
        order = order_visible_to(info.context.user, number)
        if order is None or order.customer_id != info.context.user.pk:
            raise not_found("Order")
        try:
            order = order_cancel_unpaid(order=order, actor=info.context.user)
        except ValidationError as error:
            order.refresh_from_db()
            return OrderPayload(order=Order.from_models([order])[0], errors=user_errors(error))
        return _order_payload(order)

    @strawberry.mutation(
        permission_classes=[IsBrandAdmin],
        description="Refund a paid order, all or part (an amount, or units of lines). Card payments are "
        "refunded through Stripe; the affiliate's commission is reversed.",
    )
    def order_refund(self, info: Info, input: OrderRefundInput) -> OrderPayload:
        order = order_visible_to(info.context.user, input.number)
        if order is None:
            raise not_found("Order")
        units = {parse_id(line.line_id): line.quantity for line in input.lines} if input.lines else None
        try:
            result = refund_services.order_refund(
                order=order,
                refund_id=input.refund_id,
                actor=info.context.user,
                amount=input.amount,
                lines=units,
                reason=input.reason,
            )
        except ValidationError as error:
            return OrderPayload(order=Order.from_models([order])[0], errors=user_errors(error))
        return _order_payload(result.order)

    @strawberry.mutation(
        permission_classes=[IsMerchantOrBrandAdmin],
        description="Mark a customer's voucher used (a voucher of another merchant is not found).",
    )
    def voucher_redeem(self, info: Info, code: str) -> VoucherRedeemPayload:
        try:
            voucher = services.voucher_redeem(actor=info.context.user, code=code)
        except ValidationError as error:
            return VoucherRedeemPayload(voucher=None, errors=user_errors(error))
        return VoucherRedeemPayload(voucher=Voucher.from_models([voucher])[0], errors=[])
