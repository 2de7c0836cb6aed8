from __future__ import annotations

import strawberry
from graphql import GraphQLError

from accounts.services import client_ip
from graphql_schema.access import not_found, parse_id
from graphql_schema.context import Info
from graphql_schema.errors import handle_user_errors, keep_on_error
from graphql_schema.permissions import IsBrandAdminOrStaff
from graphql_schema.support.types import (
    ContactMessage,
    ContactMessageInput,
    ContactMessagePayload,
    ContactMessageSendPayload,
    ContactMessageStatus,
)
from support import models, services


@strawberry.type
class SupportMutation:
    @strawberry.mutation(description="Send a message to the brand from its contact form (no sign-in needed).")
    @handle_user_errors(ok=False)
    def contact_message_send(self, info: Info, input: ContactMessageInput) -> ContactMessageSendPayload:
        if info.context.is_root_host:
            raise GraphQLError(
                "The contact form belongs to a brand's site.", extensions={"code": "FORBIDDEN"}
            )
        request = info.context.request
        services.contact_message_send(
            name=input.name,
            email=input.email,
            subject=input.subject,
            message=input.message,
            locale=input.locale,
            ip=client_ip(request) if request is not None else "",
            user=info.context.user,
            website=input.website,
        )
        return ContactMessageSendPayload(ok=True, errors=[])

    @strawberry.mutation(
        permission_classes=[IsBrandAdminOrStaff],
        description="Mark a contact message answered or closed (brand admins and staff).",
    )
    @handle_user_errors
    def contact_message_status_set(
        self, info: Info, id: strawberry.ID, status: ContactMessageStatus
    ) -> ContactMessagePayload:
        contact = models.ContactMessage.objects.select_related("user").filter(pk=parse_id(id)).first()
        if contact is None:
            raise not_found("ContactMessage")
        keep_on_error(contact_message=lambda: ContactMessage.from_model(contact))
        changed = services.contact_message_status_set(
            actor=info.context.user, contact=contact, status=status.value
        )
        return ContactMessagePayload(contact_message=ContactMessage.from_model(changed), errors=[])
