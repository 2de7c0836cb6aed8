from __future__ import annotations

import strawberry

from graphql_schema.brand.types import Brand, Theme
from graphql_schema.context import Info
from tenants.selectors import brand_snapshot
from themes import available_themes


@strawberry.type
class BrandQuery:
    @strawberry.field(description="The brand served on this host; null on the root (operator) domain.")
    def brand(self, info: Info) -> Brand | None:
        if info.context.is_root_host:
            return None
        return Brand.from_snapshot(brand_snapshot(info.context.tenant))

    @strawberry.field(description="The themes a brand can use.")
    def themes(self) -> list[Theme]:
        return [Theme.from_tokens(tokens) for tokens in available_themes().values()]
