from __future__ import annotations

import datetime as dt
from enum import Enum

import strawberry

from graphql_schema.errors import UserError
from support import models


@strawberry.enum(description="Where a contact message stands in the brand admins' inbox.")
class ContactMessageStatus(Enum):
    NEW = "new"
    ANSWERED = "answered"
    CLOSED = "closed"


@strawberry.type(description="A message sent through the contact form of the brand's site.")
class ContactMessage:
    id: strawberry.ID
    name: str
    email: str
    subject: str
    message: str
    locale: str
    status: ContactMessageStatus
    created_at: dt.datetime
    user_email: str | None = strawberry.field(description="The sender's account, when signed in.")

    @classmethod
    def from_model(cls, contact: models.ContactMessage) -> ContactMessage:
        return cls(
            id=strawberry.ID(str(contact.pk)),
            name=contact.name,
            email=contact.email,
            subject=contact.subject,
            message=contact.message,
            locale=contact.locale,
            status=ContactMessageStatus(contact.status),
            created_at=contact.created_at,
            user_email=contact.user.email if contact.user is not None else None,
        )


@strawberry.input
class ContactMessageInput:
    name: str
    email: str
    subject: str
    message: str
    locale: str = "en"
    website: str = strawberry.field(
        default="", description="Leave empty: a field hidden from people, which only bots fill in."
    )


@strawberry.type
class ContactMessageSendPayload:
    ok: bool = strawberry.field(description="True when the message was received.")
    errors: list[UserError]


@strawberry.type
class ContactMessagePayload:
    contact_message: ContactMessage | None
    errors: list[UserError]
