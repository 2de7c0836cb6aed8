from __future__ import annotations

import strawberry

from graphql_schema.context import Info
from graphql_schema.notifications.types import NotificationChannel
from graphql_schema.pagination import Connection, paginate
from graphql_schema.permissions import IsBrandAdmin
from notifications.selectors import channel_list


@strawberry.type
class NotificationQuery:
    @strawberry.field(
        permission_classes=[IsBrandAdmin], description="The brand's messaging channels, oldest first."
    )
    def notification_channels(
        self, info: Info, first: int = 50, after: str | None = None
    ) -> Connection[NotificationChannel]:
        return paginate(channel_list(), first=first, after=after, to_node=NotificationChannel.from_model)
