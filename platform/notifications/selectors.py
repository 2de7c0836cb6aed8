from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from notifications.models import (
    ChannelKind,
    MessagingLink,
    Method,
    Notification,
    NotificationChannel,
    NotificationPreference,
)


def channel_list() -> QuerySet[NotificationChannel]:
    return NotificationChannel.objects.all()


def channel_get(channel_id: int) -> NotificationChannel | None:
    return NotificationChannel.objects.filter(pk=channel_id).first()


# --- The notification centre --------------------------------------------------------------------


def notifications_of(user_id: int, *, unread_only: bool = False) -> QuerySet[Notification]:
    notifications = Notification.objects.filter(user_id=user_id)
    return notifications.filter(read_at__isnull=True) if unread_only else notifications


def unread_count(user_id: int) -> int:
    return Notification.objects.filter(user_id=user_id, read_at__isnull=True).count()


def preferences_of(user_id: int) -> dict[tuple[str, str], bool]:
    """The user's choices that differ from the defaults: (kind, method) -> enabled."""
    rows = NotificationPreference.objects.filter(user_id=user_id).values_list("kind", "method", "enabled")
    return {(kind, method): enabled for kind, method, enabled in rows}


def preferences_for(user_ids: list[int], kind: str) -> dict[int, dict[str, bool]]:
    """For one kind: user id -> {method: enabled} of the users' own choices, in one query."""
    choices: dict[int, dict[str, bool]] = {}
    rows = NotificationPreference.objects.filter(user_id__in=user_ids, kind=kind).values_list(
        "user_id", "method", "enabled"
    )
    for user_id, method, enabled in rows:
        choices.setdefault(user_id, {})[method] = enabled
    return choices


def messaging_links_of(user_ids: list[int]) -> dict[int, dict[str, MessagingLink]]:
    links: dict[int, dict[str, MessagingLink]] = {}
    for link in MessagingLink.objects.filter(user_id__in=user_ids):
        links.setdefault(link.user_id, {})[link.method] = link
    return links


def telegram_channel() -> NotificationChannel | None:
    """The brand's Telegram bot: the first enabled Telegram channel (its token speaks for the
    brand; users link their own chat with it)."""
    return NotificationChannel.objects.filter(kind=ChannelKind.TELEGRAM, enabled=True).order_by("pk").first()


@dataclass(frozen=True)
class MethodSetting:
    method: str
    enabled: bool
    available: bool  # offered, and for messaging: a chat is linked


@dataclass(frozen=True)
class KindSettings:
    kind: str
    label: str
    methods: list[MethodSetting]


@dataclass(frozen=True)
class NotificationSettings:
    kinds: list[KindSettings]
    linked: dict[str, str]  # method -> the chat's @username or id, for linked methods
    telegram_available: bool  # the brand has a Telegram bot users may link


def notification_settings_of(user: Any, language: str) -> NotificationSettings:
    """Every kind the user's role receives, each method with its effective choice. Three
    queries whatever the number of kinds."""
    from notifications.kinds import kinds_for_role

    choices = preferences_of(user.pk)
    links = messaging_links_of([user.pk]).get(user.pk, {})
    kinds = []
    for kind in kinds_for_role(user.role):
        methods = []
        for method, default in kind.defaults.items():
            linked = method in links or method in (Method.IN_APP, Method.EMAIL)
            enabled = choices.get((kind.name, method), default) and linked
            methods.append(MethodSetting(method=method, enabled=enabled, available=linked))
        kinds.append(
            KindSettings(kind=kind.name, label=kind.label.get(language, kind.label["en"]), methods=methods)
        )
    return NotificationSettings(
        kinds=kinds,
        linked={
            method: (f"@{link.username}" if link.username else link.chat_id) for method, link in links.items()
        },
        telegram_available=telegram_channel() is not None,
    )
