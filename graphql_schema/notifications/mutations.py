from __future__ import annotations

import strawberry
from django.core.exceptions import ValidationError
from strawberry.types import Info

from core.tenancy import tenant_connection
from graphql_schema.access import not_found, parse_id
from graphql_schema.errors import user_errors
from graphql_schema.notifications.types import (
    NotificationChannel,
    NotificationChannelConfigureInput,
    NotificationChannelDeletePayload,
    NotificationChannelPayload,
    NotificationChannelTestPayload,
)
from graphql_schema.permissions import IsBrandAdmin
from notifications import services
from notifications.models import NotificationChannel as ChannelModel
from notifications.selectors import channel_get


def _channel_or_error(id: strawberry.ID | None) -> ChannelModel:
    channel = channel_get(parse_id(id))
    if channel is None:
        raise not_found("Notification channel")
    return channel


@strawberry.type
class NotificationMutation:
    @strawberry.mutation(
        permission_classes=[IsBrandAdmin],
        description="Add or change a Telegram, Discord or WhatsApp channel and the events it receives.",
    )
    def notification_channel_configure(
        self, info: Info, input: NotificationChannelConfigureInput
    ) -> NotificationChannelPayload:
        channel = _channel_or_error(input.id) if input.id is not None else None
        try:
            channel = services.channel_configure(
                actor=info.context.user,
                kind=input.kind.value,
                events=[event.value for event in input.events],
                channel=channel,
                enabled=input.enabled,
                label=input.label,
                chat_id=input.chat_id,
                bot_token=input.bot_token,
                webhook_url=input.webhook_url,
                phone_number_id=input.phone_number_id,
                recipient_phone=input.recipient_phone,
                access_token=input.access_token,
            )
        except ValidationError as error:
            return NotificationChannelPayload(
                channel=NotificationChannel.from_model(channel) if channel and channel.pk else None,
                errors=user_errors(error),
            )
        return NotificationChannelPayload(channel=NotificationChannel.from_model(channel), errors=[])

    @strawberry.mutation(permission_classes=[IsBrandAdmin], description="Remove a channel.")
    def notification_channel_delete(self, info: Info, id: strawberry.ID) -> NotificationChannelDeletePayload:
        channel = _channel_or_error(id)
        services.channel_delete(actor=info.context.user, channel=channel)
        return NotificationChannelDeletePayload(deleted_id=id, errors=[])

    @strawberry.mutation(
        permission_classes=[IsBrandAdmin],
        description="Send a test message now; a failure comes back with the provider's explanation.",
    )
    def notification_channel_test(self, info: Info, id: strawberry.ID) -> NotificationChannelTestPayload:
        channel = _channel_or_error(id)
        try:
            message_id = services.channel_test(
                actor=info.context.user, channel=channel, brand_name=tenant_connection().tenant.name
            )
        except ValidationError as error:
            channel.refresh_from_db()
            return NotificationChannelTestPayload(
                channel=NotificationChannel.from_model(channel), message_id=None, errors=user_errors(error)
            )
        channel.refresh_from_db()
        return NotificationChannelTestPayload(
            channel=NotificationChannel.from_model(channel), message_id=message_id, errors=[]
        )
