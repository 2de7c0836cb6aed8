from __future__ import annotations

import strawberry

from graphql_schema.brand.types import Brand
from graphql_schema.console.types import IpBlock
from graphql_schema.context import Info
from graphql_schema.pagination import Connection, paginate
from graphql_schema.permissions import IsOperator
from tenants.models import Tenant, TenantKind
from tenants.selectors import brand_list, brand_snapshot, ip_block_list


@strawberry.type
class ConsoleQuery:
    @strawberry.field(
        permission_classes=[IsOperator],
        description="Every brand of the platform, newest first (operators only).",
    )
    def brands(self, info: Info, first: int = 50, after: str | None = None) -> Connection[Brand]:
        return paginate(
            brand_list().prefetch_related("domains"),
            first=first,
            after=after,
            to_node=lambda tenant: Brand.from_snapshot(brand_snapshot(tenant)),
            descending=True,  # the brand an operator just created comes first
        )

    @strawberry.field(
        permission_classes=[IsOperator],
        description="Blocked IP addresses and networks, newest first; of one brand with brandId (operators).",
    )
    def ip_blocks(
        self, info: Info, brand_id: strawberry.ID | None = None, first: int = 50, after: str | None = None
    ) -> Connection[IpBlock]:
        tenant = None
        if brand_id is not None:
            tenant = Tenant.objects.filter(pk=_int_or_none(brand_id), kind=TenantKind.BRAND).first()
            if tenant is None:
                return paginate(ip_block_list().none(), first=first, after=after, to_node=IpBlock.from_model)
        return paginate(
            ip_block_list(tenant=tenant),
            first=first,
            after=after,
            to_node=IpBlock.from_model,
            descending=True,
        )


def _int_or_none(value: str) -> int | None:
    return int(value) if str(value).isdigit() else None
