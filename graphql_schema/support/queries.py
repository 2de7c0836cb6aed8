from __future__ import annotations

import strawberry

from graphql_schema.context import Info
from graphql_schema.pagination import Connection, paginate
from graphql_schema.permissions import IsBrandAdminOrStaff
from graphql_schema.support.types import ContactMessage, ContactMessageStatus
from support import selectors


@strawberry.type
class SupportQuery:
    @strawberry.field(
        permission_classes=[IsBrandAdminOrStaff],
        description="Messages from the contact form, newest first (brand admins and staff).",
    )
    def contact_messages(
        self,
        info: Info,
        status: ContactMessageStatus | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> Connection[ContactMessage]:
        messages = selectors.contact_messages(status=status.value if status is not None else None)
        return paginate(
            messages, first=first, after=after, to_node=ContactMessage.from_model, descending=True
        )
