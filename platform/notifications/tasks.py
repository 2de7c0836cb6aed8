"""Delivery of notifications (Celery, in the schema of the brand that enqueued them).

A delivery is retried on rate limits (waiting what the provider asked) and on the provider's
5xx or network errors (exponential back-off); a permanent failure, or the last retry, is
recorded on the channel as ``last_error``. Nothing is raised back: the caller's transaction
committed long ago, and one broken channel must not hold up the others.
"""

from __future__ import annotations

import logging

from celery import Task
from django.conf import settings
from django.core.cache import cache

from config.celery import app
from core.tenancy import current_schema
from notifications.connectors import DeliveryError
from notifications.models import NotificationChannel
from notifications.services import decode_document, deliver, record_failure, record_success

logger = logging.getLogger(__name__)

SENT_TTL_SECONDS = 24 * 3600


def retry_delay(error: DeliveryError, retries: int) -> float | None:
    """Seconds to wait before the next attempt, or None when waiting would exceed the cap."""
    cap = float(settings.NOTIFICATIONS_RETRY_MAX_SECONDS)
    if error.retry_after is not None:
        wait = max(float(error.retry_after), 0.0)
        return wait if wait <= cap else None
    return min(float(settings.NOTIFICATIONS_RETRY_BASE_SECONDS) * 2**retries, cap)


@app.task(bind=True, max_retries=None)
def deliver_notification_task(
    self: Task, channel_id: int, event: str, text: str, document: dict[str, str] | None = None
) -> None:
    channel = NotificationChannel.objects.filter(pk=channel_id).first()
    if channel is None or not channel.enabled or event not in channel.events:
        return  # deleted, switched off or unsubscribed since it was queued
    # A message redelivered after a successful send (worker lost before the ack) is not sent twice.
    sent_key = f"notification-sent:{self.request.id}"
    if self.request.id and cache.get(sent_key):
        return
    try:
        deliver(channel, text, decode_document(document))
    except DeliveryError as error:
        retries = int(self.request.retries or 0)
        delay = retry_delay(error, retries) if error.retryable else None
        if delay is not None and retries < int(settings.NOTIFICATIONS_MAX_RETRIES):
            logger.info(
                "notification %s to channel %s in %s: %s; retry %s in %.1f s",
                event,
                channel_id,
                current_schema(),
                error.message,
                retries + 1,
                delay,
            )
            raise self.retry(countdown=delay, exc=error) from error
        logger.warning(
            "notification %s to channel %s in %s failed: %s",
            event,
            channel_id,
            current_schema(),
            error.message,
        )
        record_failure(channel, error.message)
        return
    if self.request.id:
        cache.set(sent_key, 1, timeout=SENT_TTL_SECONDS)
    record_success(channel)
