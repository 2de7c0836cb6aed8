from __future__ import annotations

import datetime as dt
from enum import Enum

import strawberry

from graphql_schema.errors import UserError
from notifications import models


@strawberry.enum(description="A messaging service a brand can be notified on.")
class NotificationChannelKind(Enum):
    TELEGRAM = "telegram"
    DISCORD = "discord"
    WHATSAPP = "whatsapp"


@strawberry.enum(description="What a channel can be notified of.")
class NotificationEvent(Enum):
    PAYMENT_CONFIRMED = "payment.confirmed"
    INVOICE_CREATED = "invoice.created"
    WITHDRAWAL_REQUESTED = "withdrawal.requested"
    MANUAL_PAYMENT_SUBMITTED = "manual_payment.submitted"
    CONTACT_RECEIVED = "contact.received"


@strawberry.type(description="A Telegram chat, Discord webhook or WhatsApp number the brand is notified on.")
class NotificationChannel:
    id: strawberry.ID
    kind: NotificationChannelKind
    label: str
    enabled: bool
    events: list[NotificationEvent]
    chat_id: str | None = strawberry.field(description="Telegram: the chat id or @channel name.")
    webhook_id: str | None = strawberry.field(description="Discord: the webhook's id.")
    phone_number_id: str | None = strawberry.field(description="WhatsApp: the sender's phone number id.")
    recipient_phone: str | None = strawberry.field(description="WhatsApp: the number notified (E.164).")
    secret_hint: str = strawberry.field(
        description="The last four characters of the bot token, webhook token or access token; "
        "the secret itself is never returned."
    )
    created_at: dt.datetime
    updated_at: dt.datetime
    last_sent_at: dt.datetime | None
    last_error: str = strawberry.field(description="Why the last delivery failed; empty after a success.")
    last_error_at: dt.datetime | None

    @classmethod
    def from_model(cls, channel: models.NotificationChannel) -> NotificationChannel:
        config = channel.config
        return cls(
            id=strawberry.ID(str(channel.pk)),
            kind=NotificationChannelKind(channel.kind),
            label=channel.label,
            enabled=channel.enabled,
            events=[NotificationEvent(event) for event in channel.events],
            chat_id=config.get("chat_id"),
            webhook_id=config.get("webhook_id"),
            phone_number_id=config.get("phone_number_id"),
            recipient_phone=config.get("recipient"),
            secret_hint=channel.secret_hint,
            created_at=channel.created_at,
            updated_at=channel.updated_at,
            last_sent_at=channel.last_sent_at,
            last_error=channel.last_error,
            last_error_at=channel.last_error_at,
        )


@strawberry.input(
    description="Add a channel (no id) or change one (with its id). Only the kind's own settings "
    "apply; on a change, a setting left empty keeps its current value."
)
class NotificationChannelConfigureInput:
    kind: NotificationChannelKind
    events: list[NotificationEvent]
    id: strawberry.ID | None = None
    label: str = ""
    enabled: bool = True
    chat_id: str = strawberry.field(default="", description="Telegram: chat id or @channel name.")
    bot_token: str = strawberry.field(default="", description="Telegram: the bot token from @BotFather.")
    webhook_url: str = strawberry.field(default="", description="Discord: the webhook URL.")
    phone_number_id: str = strawberry.field(default="", description="WhatsApp: the sender's phone number id.")
    recipient_phone: str = strawberry.field(default="", description="WhatsApp: the number to notify.")
    access_token: str = strawberry.field(default="", description="WhatsApp: a Cloud API access token.")


@strawberry.type
class NotificationChannelPayload:
    channel: NotificationChannel | None
    errors: list[UserError]


@strawberry.type
class NotificationChannelDeletePayload:
    deleted_id: strawberry.ID | None
    errors: list[UserError]


@strawberry.type
class NotificationChannelTestPayload:
    channel: NotificationChannel
    message_id: str | None = strawberry.field(description="The provider's id of the test message.")
    errors: list[UserError]
