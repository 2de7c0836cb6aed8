from __future__ import annotations

import strawberry

from core.tenancy import tenant_connection
from graphql_schema.access import not_found, parse_id
from graphql_schema.context import Info
from graphql_schema.errors import handle_user_errors, keep_on_error, refreshed
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
    @handle_user_errors
    def notification_channel_configure(
        self, info: Info, input: NotificationChannelConfigureInput
    ) -> NotificationChannelPayload:
        channel = _channel_or_error(input.id) if input.id is not None else None
        keep_on_error(
            channel=lambda: NotificationChannel.from_model(channel) if channel and channel.pk else None,
        )
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
        return NotificationChannelPayload(channel=NotificationChannel.from_model(channel), errors=[])

    @strawberry.mutation(permission_classes=[IsBrandAdmin], description="Remove a channel.")
    @handle_user_errors
    def notification_channel_delete(self, info: Info, id: strawberry.ID) -> NotificationChannelDeletePayload:
        channel = _channel_or_error(id)
        services.channel_delete(actor=info.context.user, channel=channel)
        return NotificationChannelDeletePayload(deleted_id=id, errors=[])

    @strawberry.mutation(
        permission_classes=[IsBrandAdmin],
        description="Send a test message now; a failure comes back with the provider's explanation.",
    )
    @handle_user_errors
    def notification_channel_test(self, info: Info, id: strawberry.ID) -> NotificationChannelTestPayload:
        channel = _channel_or_error(id)
        keep_on_error(channel=lambda: NotificationChannel.from_model(refreshed(channel)))
        message_id = services.channel_test(
            actor=info.context.user, channel=channel, brand_name=tenant_connection().tenant.name
        )
        channel.refresh_from_db()
        return NotificationChannelTestPayload(
            channel=NotificationChannel.from_model(channel), message_id=message_id, errors=[]
        )
