from __future__ import annotations

import strawberry

from graphql_schema.access import is_brand_admin
from graphql_schema.context import Info
from graphql_schema.orders.types import Order, OrderStatusEnum, Sale, Voucher, VoucherStatusEnum
from graphql_schema.pagination import Connection, paginate
from graphql_schema.permissions import IsBrandAdmin, IsBrandMember, IsMerchantOrBrandAdmin
from marketplace.selectors import order_visible_to, orders_visible_to, sales_of, vouchers_of


@strawberry.type
class OrderQuery:
    @strawberry.field(permission_classes=[IsBrandMember], description="My orders, newest first.")
    def my_orders(
        self, info: Info, status: OrderStatusEnum | None = None, first: int = 20, after: str | None = None
    ) -> Connection[Order]:
        orders = orders_visible_to(info.context.user)
        if status is not None:
            orders = orders.filter(status=status.value)
        return paginate(orders, first=first, after=after, to_nodes=Order.from_models, descending=True)

    @strawberry.field(
        permission_classes=[IsBrandAdmin], description="Every order of the brand, newest first."
    )
    def orders(
        self, info: Info, status: OrderStatusEnum | None = None, first: int = 20, after: str | None = None
    ) -> Connection[Order]:
        orders = orders_visible_to(info.context.user, everyone=True)
        if status is not None:
            orders = orders.filter(status=status.value)
        return paginate(orders, first=first, after=after, to_nodes=Order.from_models, descending=True)

    @strawberry.field(
        permission_classes=[IsBrandMember], description="One of my orders (any order for brand admins)."
    )
    def order(self, info: Info, number: str) -> Order | None:
        order = order_visible_to(info.context.user, number)
        return Order.from_models([order])[0] if order is not None else None

    @strawberry.field(permission_classes=[IsBrandMember], description="My vouchers, newest first.")
    def my_vouchers(
        self, info: Info, status: VoucherStatusEnum | None = None, first: int = 50, after: str | None = None
    ) -> Connection[Voucher]:
        vouchers = vouchers_of(info.context.user)
        if status is not None:
            vouchers = vouchers.filter(status=status.value)
        return paginate(vouchers, first=first, after=after, to_nodes=Voucher.from_models, descending=True)

    @strawberry.field(
        permission_classes=[IsMerchantOrBrandAdmin],
        description="My paid order lines, newest first (every merchant's for brand admins).",
    )
    def merchant_sales(self, info: Info, first: int = 50, after: str | None = None) -> Connection[Sale]:
        sales = sales_of(info.context.user, everyone=is_brand_admin(info))
        return paginate(sales, first=first, after=after, to_node=Sale.from_model, descending=True)
