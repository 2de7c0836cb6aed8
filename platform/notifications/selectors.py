from __future__ import annotations

from django.db.models import QuerySet

from notifications.models import NotificationChannel


def channel_list() -> QuerySet[NotificationChannel]:
    return NotificationChannel.objects.all()


def channel_get(channel_id: int) -> NotificationChannel | None:
    return NotificationChannel.objects.filter(pk=channel_id).first()
