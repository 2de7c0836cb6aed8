from __future__ import annotations

import strawberry
from django.core.exceptions import ValidationError
from graphql import GraphQLError
from strawberry.types import Info

from accounts.services import client_ip
from graphql_schema.access import not_found, parse_id
from graphql_schema.errors import user_errors
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
    def contact_message_send(self, info: Info, input: ContactMessageInput) -> ContactMessageSendPayload:
        if info.context.is_root_host:
            raise GraphQLError(
                "The contact form belongs to a brand's site.", extensions={"code": "FORBIDDEN"}
            )
        request = info.context.request
        try:
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
        except ValidationError as error:
            return ContactMessageSendPayload(ok=False, errors=user_errors(error))
        return ContactMessageSendPayload(ok=True, errors=[])

    @strawberry.mutation(
        permission_classes=[IsBrandAdminOrStaff],
        description="Mark a contact message answered or closed (brand admins and staff).",
    )
    def contact_message_status_set(
        self, info: Info, id: strawberry.ID, status: ContactMessageStatus
    ) -> ContactMessagePayload:
        contact = models.ContactMessage.objects.select_related("user").filter(pk=parse_id(id)).first()
        if contact is None:
            raise not_found("ContactMessage")
        try:
            contact = services.contact_message_status_set(
                actor=info.context.user, contact=contact, status=status.value
            )
        except ValidationError as error:
            return ContactMessagePayload(
                contact_message=ContactMessage.from_model(contact), errors=user_errors(error)
            )
        return ContactMessagePayload(contact_message=ContactMessage.from_model(contact), errors=[])
