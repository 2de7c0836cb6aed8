"""The notification centre's API: my notifications, unread count, preferences, linked chats,
and the live feed (``notificationFeed``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncGenerator
from enum import Enum
from typing import Any

import strawberry

from core.events import group_name
from core.tenancy import run_in_tenant
from graphql_schema.context import Info
from graphql_schema.errors import UserError, handle_user_errors, keep_on_error
from graphql_schema.pagination import Connection, paginate
from graphql_schema.permissions import IsBrandUser
from notifications import centre, telegram
from notifications.centre import FEED_EVENT, brand_language, notification_topic
from notifications.models import Notification as NotificationModel
from notifications.selectors import NotificationSettings as Settings
from notifications.selectors import notification_settings_of, notifications_of, unread_count


@strawberry.enum(description="How a user may be notified.")
class NotificationMethod(Enum):
    IN_APP = "in_app"
    EMAIL = "email"
    TELEGRAM = "telegram"
    WHATSAPP = "whatsapp"


@strawberry.type(description="Something that happened, told to me in the app.")
class Notification:
    id: strawberry.ID
    kind: str = strawberry.field(description="The domain event it came from, e.g. commission.created.")
    title: str
    body: str
    url: str = strawberry.field(description="Where to look in the web app (a path).")
    created_at: dt.datetime
    read_at: dt.datetime | None

    @classmethod
    def from_model(cls, row: NotificationModel) -> Notification:
        return cls(
            id=strawberry.ID(str(row.pk)),
            kind=row.kind,
            title=row.title,
            body=row.body,
            url=row.url,
            created_at=row.created_at,
            read_at=row.read_at,
        )

    @classmethod
    def from_snapshot(cls, data: dict[str, Any]) -> Notification:
        """From the live message: no database read."""
        return cls(
            id=strawberry.ID(str(data["id"])),
            kind=data["kind"],
            title=data["title"],
            body=data["body"],
            url=data["url"],
            created_at=dt.datetime.fromisoformat(data["created_at"]),
            read_at=dt.datetime.fromisoformat(data["read_at"]) if data["read_at"] else None,
        )


@strawberry.type(description="A change of my notifications: a new one, or my unread count after reading.")
class NotificationFeedUpdate:
    notification: Notification | None = strawberry.field(
        description="The new notification; null when I read some."
    )
    unread_count: int


@strawberry.type
class NotificationMethodSetting:
    method: NotificationMethod
    enabled: bool
    available: bool = strawberry.field(description="False for messaging until I link a chat.")


@strawberry.type
class NotificationKindSettings:
    kind: str
    label: str
    methods: list[NotificationMethodSetting]


@strawberry.type(description="What I am notified of, and how.")
class NotificationSettings:
    kinds: list[NotificationKindSettings]
    telegram_available: bool = strawberry.field(description="The brand has a Telegram bot I can link.")
    telegram_chat: str | None = strawberry.field(description="My linked Telegram chat (@username), if any.")
    whatsapp_number: str | None = strawberry.field(
        description="My linked WhatsApp number, if any (linking by verified number is not offered yet)."
    )

    @classmethod
    def from_settings(cls, settings: Settings) -> NotificationSettings:
        return cls(
            kinds=[
                NotificationKindSettings(
                    kind=kind.kind,
                    label=kind.label,
                    methods=[
                        NotificationMethodSetting(
                            method=NotificationMethod(m.method), enabled=m.enabled, available=m.available
                        )
                        for m in kind.methods
                    ],
                )
                for kind in settings.kinds
            ],
            telegram_available=settings.telegram_available,
            telegram_chat=settings.linked.get("telegram"),
            whatsapp_number=settings.linked.get("whatsapp"),
        )


@strawberry.input
class NotificationPreferenceSetInput:
    kind: str
    method: NotificationMethod
    enabled: bool


@strawberry.type
class NotificationSettingsPayload:
    settings: NotificationSettings
    errors: list[UserError]


@strawberry.type
class NotificationsMarkReadPayload:
    unread_count: int
    errors: list[UserError]


@strawberry.type
class TelegramLinkStartPayload:
    url: str | None = strawberry.field(
        description="https://t.me/<bot>?start=<one-time token>: open it and press Start."
    )
    expires_at: dt.datetime | None
    errors: list[UserError]


def _settings(user: Any) -> NotificationSettings:
    return NotificationSettings.from_settings(notification_settings_of(user, brand_language()))


def _ids(ids: list[strawberry.ID]) -> list[int]:
    return [int(value) for value in ids if str(value).isdigit()]


@strawberry.type
class NotificationCentreQuery:
    @strawberry.field(permission_classes=[IsBrandUser], description="My notifications, newest first.")
    def notifications(
        self, info: Info, first: int = 20, after: str | None = None, unread_only: bool = False
    ) -> Connection[Notification]:
        return paginate(
            notifications_of(info.context.user.pk, unread_only=unread_only),
            first=first,
            after=after,
            to_node=Notification.from_model,
            descending=True,
        )

    @strawberry.field(
        permission_classes=[IsBrandUser], description="How many of my notifications are unread."
    )
    def notification_unread_count(self, info: Info) -> int:
        return unread_count(info.context.user.pk)

    @strawberry.field(permission_classes=[IsBrandUser], description="What I am notified of, and how.")
    def notification_settings(self, info: Info) -> NotificationSettings:
        return _settings(info.context.user)


@strawberry.type
class NotificationCentreMutation:
    @strawberry.mutation(permission_classes=[IsBrandUser], description="Mark some of my notifications read.")
    @handle_user_errors
    def notifications_mark_read(self, info: Info, ids: list[strawberry.ID]) -> NotificationsMarkReadPayload:
        keep_on_error(unread_count=lambda: unread_count(info.context.user.pk))
        left = centre.notifications_mark_read(user=info.context.user, notification_ids=_ids(ids))
        return NotificationsMarkReadPayload(unread_count=left, errors=[])

    @strawberry.mutation(permission_classes=[IsBrandUser], description="Mark all my notifications read.")
    @handle_user_errors
    def notifications_mark_all_read(self, info: Info) -> NotificationsMarkReadPayload:
        keep_on_error(unread_count=lambda: unread_count(info.context.user.pk))
        left = centre.notifications_mark_read(user=info.context.user)
        return NotificationsMarkReadPayload(unread_count=left, errors=[])

    @strawberry.mutation(
        permission_classes=[IsBrandUser], description="Turn one kind of notification on or off on one method."
    )
    @handle_user_errors
    def notification_preference_set(
        self, info: Info, input: NotificationPreferenceSetInput
    ) -> NotificationSettingsPayload:
        user = info.context.user
        keep_on_error(settings=lambda: _settings(user))
        centre.notification_preference_set(
            user=user, kind=input.kind, method=input.method.value, enabled=input.enabled
        )
        return NotificationSettingsPayload(settings=_settings(user), errors=[])

    @strawberry.mutation(
        permission_classes=[IsBrandUser],
        description="A one-time Telegram deep link (30 minutes): starting the brand's bot with it "
        "links my chat.",
    )
    @handle_user_errors
    def telegram_link_start(self, info: Info) -> TelegramLinkStartPayload:
        link = telegram.telegram_link_start(user=info.context.user)
        return TelegramLinkStartPayload(url=link.url, expires_at=link.expires_at, errors=[])

    @strawberry.mutation(permission_classes=[IsBrandUser], description="Unlink my Telegram or WhatsApp chat.")
    @handle_user_errors
    def messaging_link_remove(self, info: Info, method: NotificationMethod) -> NotificationSettingsPayload:
        user = info.context.user
        keep_on_error(settings=lambda: _settings(user))
        centre.messaging_link_remove(user=user, method=method.value)
        return NotificationSettingsPayload(settings=_settings(user), errors=[])


@strawberry.type
class NotificationCentreSubscription:
    @strawberry.subscription(
        permission_classes=[IsBrandUser],
        description="My unread count now, then every new notification and every change of the count "
        "(reading on another device). The updates carry their data: nothing is re-read per update.",
    )
    async def notification_feed(self, info: Info) -> AsyncGenerator[NotificationFeedUpdate, None]:
        context = info.context
        user_id = context.user.pk
        group = group_name(context.tenant.schema_name, notification_topic(user_id))
        async with context.ws.listen_to_channel(FEED_EVENT, groups=[group]) as updates:
            yield NotificationFeedUpdate(
                notification=None, unread_count=await run_in_tenant(context.tenant, unread_count, user_id)
            )
            async for update in updates:
                payload = update["payload"]
                notification = payload["notification"]
                yield NotificationFeedUpdate(
                    notification=Notification.from_snapshot(notification) if notification else None,
                    unread_count=int(payload["unread_count"]),
                )
