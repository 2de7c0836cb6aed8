from __future__ import annotations

import strawberry
from strawberry.types import Info

from graphql_schema.brand.types import Brand
from graphql_schema.pagination import Connection, paginate
from graphql_schema.permissions import IsOperator
from tenants.selectors import brand_list, brand_snapshot


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
