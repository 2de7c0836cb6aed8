from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from graphql import GraphQLError

from core.events import group_name
from graphql_schema.brand.types import Brand
from graphql_schema.context import Info
from tenants.services import BRAND_TOPIC, BRAND_UPDATED_EVENT


@strawberry.type
class BrandSubscription:
    @strawberry.subscription(description="The brand's new values each time a brand admin changes them.")
    async def brand_updated(self, info: Info) -> AsyncGenerator[Brand, None]:
        context = info.context
        if context.is_root_host:
            raise GraphQLError(
                "brandUpdated is served on a brand's host.", extensions={"code": "NOT_A_BRAND_HOST"}
            )
        group = group_name(context.tenant.schema_name, BRAND_TOPIC)
        async with context.ws.listen_to_channel(BRAND_UPDATED_EVENT, groups=[group]) as messages:
            async for message in messages:
                yield Brand.from_snapshot(message["payload"])
