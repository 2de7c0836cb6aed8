"""The notification centre: telling users what happened, on the methods they chose.

``notify_event`` is what the after-commit subscribers (``notifications.subscribers``) call for a
domain event: it asks the event's kind (``notifications.kinds``) who is told and what they
read, then, per recipient and per method their preferences leave on:

- in the app: a ``Notification`` row (one per user per event: a second dispatch finds it) and a
  live message on the user's topic (``notifications.user.<id>`` in the brand's groups) carrying
  the notification and the new unread count, so the socket queries nothing;
- by email: the brand's themed email, by Celery;
- by Telegram or WhatsApp: to the chat the user linked, through the brand's connector, by Celery.

Every send outside the app is claimed first with a ``Delivery`` row keyed by event, user and
method, in the dispatch's transaction: dispatched twice, an event sends once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.selectors import user_contacts
from core.errors import field_error
from core.events import Event, publish_on_commit
from core.tasks import enqueue_on_commit
from core.tenancy import current_schema, tenant_connection
from notifications.error_codes import NotificationErrorCode as Code
from notifications.kinds import KINDS, NotificationKind, Recipient
from notifications.models import (
    Delivery,
    MessagingLink,
    Method,
    Notification,
    NotificationPreference,
    TelegramLinkToken,
)
from notifications.selectors import messaging_links_of, preferences_for, unread_count
from tenants.models import Tenant

FEED_EVENT = "notification.feed"
MESSAGING = (Method.TELEGRAM, Method.WHATSAPP)


def notification_topic(user_id: int) -> str:
    return f"notifications.user.{user_id}"


def notification_snapshot(notification: Notification) -> dict[str, Any]:
    """A notification as plain JSON: what the live message carries and the API shows."""
    return {
        "id": notification.pk,
        "kind": notification.kind,
        "event_id": str(notification.event_id),
        "title": notification.title,
        "body": notification.body,
        "url": notification.url,
        "created_at": notification.created_at.isoformat(),
        "read_at": notification.read_at.isoformat() if notification.read_at else None,
    }


def _publish(user_id: int, notification: Notification | None) -> None:
    publish_on_commit(
        topic=notification_topic(user_id),
        message_type=FEED_EVENT,
        payload={
            "notification": notification_snapshot(notification) if notification is not None else None,
            "unread_count": unread_count(user_id),
        },
    )


def method_enabled(kind: NotificationKind, method: str, choices: dict[str, bool]) -> bool:
    """The user's choice, else the kind's default; a method the kind does not offer is off."""
    if method not in kind.defaults:
        return False
    return choices.get(method, kind.defaults[method])


def brand_language() -> str:
    """The current brand's language (en or fr). The outbox dispatches under ``schema_context``,
    whose tenant is a bare stand-in without settings: then the brand row is read."""
    language = getattr(tenant_connection().tenant, "language", None)
    if language is None:
        brand = Tenant.objects.filter(schema_name=current_schema())
        language = brand.values_list("language", flat=True).first()
    return language if language in ("en", "fr") else "en"


def _claim(key: str) -> bool:
    """True the first time ``key`` is claimed (in the caller's transaction)."""
    _, created = Delivery.objects.get_or_create(key=key)
    return created


def notify_event(event: Event) -> int:
    """Notify the recipients of ``event`` per their preferences. Returns how many in-app
    notifications were created (0 when they existed already)."""
    from notifications.tasks import notification_email_task, user_message_task

    kind = KINDS[event.name]
    recipients: dict[int, Recipient] = {}
    for recipient in kind.recipients(event):
        recipients.setdefault(recipient.user_id, recipient)
    if not recipients:
        return 0
    user_ids = list(recipients)
    contacts = user_contacts(user_ids)
    choices = preferences_for(user_ids, kind.name)
    links = messaging_links_of(user_ids)
    language = brand_language()
    created_count = 0
    for user_id, recipient in recipients.items():
        email, active = contacts.get(user_id, ("", False))
        if not active:
            continue
        mine = choices.get(user_id, {})
        message = kind.render(event, recipient, language)
        if method_enabled(kind, Method.IN_APP, mine):
            notification, created = Notification.objects.get_or_create(
                user_id=user_id,
                event_id=event.id,
                defaults={
                    "kind": kind.name,
                    "title": message.title,
                    "body": message.body,
                    "url": message.url,
                },
            )
            if created:
                created_count += 1
                _publish(user_id, notification)
        if method_enabled(kind, Method.EMAIL, mine) and email and _claim(f"{event.id}:{user_id}:email"):
            enqueue_on_commit(notification_email_task, user_id, message.title, message.text(), message.url)
        for method in MESSAGING:
            if (
                method_enabled(kind, method, mine)
                and method in links.get(user_id, {})
                and _claim(f"{event.id}:{user_id}:{method}")
            ):
                enqueue_on_commit(user_message_task, user_id, str(method), message.text())
    return created_count


# --- reading and preferences --------------------------------------------------------------------


def notifications_mark_read(*, user: User, notification_ids: list[int] | None = None) -> int:
    """Mark the given notifications of ``user`` read (all of them with ``None``). Ids of other
    users' notifications are ignored. Returns the unread count left; tells the user's other
    sockets."""
    with transaction.atomic():
        unread = Notification.objects.filter(user=user, read_at__isnull=True)
        if notification_ids is not None:
            unread = unread.filter(pk__in=notification_ids)
        changed = unread.update(read_at=timezone.now())
        if changed:
            _publish(user.pk, None)
        return unread_count(user.pk)


@transaction.atomic
def notification_preference_set(
    *, user: User, kind: str, method: str, enabled: bool
) -> NotificationPreference:
    """Turn one kind on or off on one method for ``user``. Messaging needs a linked chat."""
    notification_kind = KINDS.get(kind)
    if notification_kind is None or user.role not in notification_kind.roles:
        raise field_error("kind", "Unknown notification kind.", Code.UNKNOWN_EVENT)
    if method not in notification_kind.defaults:
        raise field_error("method", "This notification is not offered on that method.", Code.INVALID)
    if (
        enabled
        and method in MESSAGING
        and not MessagingLink.objects.filter(user=user, method=method).exists()
    ):
        raise field_error("method", "Link your account first.", Code.NOT_LINKED)
    preference, _ = NotificationPreference.objects.update_or_create(
        user=user, kind=kind, method=method, defaults={"enabled": enabled}
    )
    return preference


@transaction.atomic
def messaging_link_remove(*, user: User, method: str) -> None:
    """Unlink a chat; the kinds sent there stop (their preferences are switched off)."""
    if method not in MESSAGING:
        raise field_error("method", "Only Telegram and WhatsApp are linked.", Code.INVALID)
    MessagingLink.objects.filter(user=user, method=method).delete()
    NotificationPreference.objects.filter(user=user, method=method).update(enabled=False)


def notifications_purge(*, now: dt.datetime | None = None) -> dict[str, int]:
    """In the current brand: forget send claims once their event can no longer be dispatched
    again (the outbox keeps events ``OUTBOX_RETENTION_DAYS``), read notifications older than
    ``NOTIFICATIONS_READ_RETENTION_DAYS``, and link tokens spent or expired a day ago."""
    now = now or timezone.now()
    claims = dt.timedelta(days=settings.OUTBOX_RETENTION_DAYS + 1)
    read = dt.timedelta(days=settings.NOTIFICATIONS_READ_RETENTION_DAYS)
    day = dt.timedelta(days=1)
    deleted = {
        "deliveries": Delivery.objects.filter(created_at__lt=now - claims).delete()[0],
        "notifications": Notification.objects.filter(read_at__lt=now - read).delete()[0],
        "link_tokens": TelegramLinkToken.objects.filter(expires_at__lt=now - day).delete()[0],
    }
    return deleted
