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

from accounts.selectors import user_contacts
from config.celery import app
from core.emails import send_brand_email
from core.tenancy import current_schema, tenant_connection
from notifications.centre import notifications_purge
from notifications.connectors import DeliveryError, telegram_send
from notifications.models import MessagingLink, Method, NotificationChannel
from notifications.selectors import telegram_channel
from notifications.services import decode_document, deliver, record_failure, record_success
from tenants.selectors import brand_base_url, brand_list

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


# --- The notification centre --------------------------------------------------------------------

OPEN_LABEL = {"en": "Open", "fr": "Ouvrir"}


@app.task(autoretry_for=(OSError,), max_retries=5, retry_backoff=True)
def notification_email_task(user_id: int, subject: str, text: str, path: str = "") -> None:
    """Email one notification to a user (claimed once per event by ``notify_event``)."""
    contact = user_contacts([user_id]).get(user_id)
    if contact is None or not contact[1]:
        return
    tenant = tenant_connection().tenant
    action_url = f"{brand_base_url(tenant)}{path}" if path else ""
    language = tenant.language if tenant.language in OPEN_LABEL else "en"
    body = f"{text}\n\n{action_url}\n" if action_url else f"{text}\n"
    send_brand_email(
        to=[contact[0]],
        subject=f"{subject} ({tenant.name})",
        text=body,
        html_body_context={"action_url": action_url, "action_label": OPEN_LABEL[language]},
    )


@app.task(bind=True, max_retries=None)
def user_message_task(
    self: Task, user_id: int, method: str, text: str, document: dict[str, str] | None = None
) -> None:
    """Send ``text`` (and a document) to the chat ``user_id`` linked, through the brand's bot.
    Retried like the brand's channel messages; a chat unlinked since is skipped."""
    link = MessagingLink.objects.filter(user_id=user_id, method=method).first()
    channel = telegram_channel() if method == Method.TELEGRAM else None
    if link is None or channel is None:
        return  # unlinked, or the brand switched its bot off, since it was queued
    try:
        telegram_send(
            token=channel.secret, chat_id=link.chat_id, text=text, document=decode_document(document)
        )
    except DeliveryError as error:
        retries = int(self.request.retries or 0)
        delay = retry_delay(error, retries) if error.retryable else None
        if delay is not None and retries < int(settings.NOTIFICATIONS_MAX_RETRIES):
            raise self.retry(countdown=delay, exc=error) from error
        logger.warning(
            "message to user %s by %s in %s failed: %s", user_id, method, current_schema(), error.message
        )


@app.task
def notifications_purge_task() -> None:
    """Beat job (public): purge old send claims, read notifications and link tokens per brand."""
    for schema_name in brand_list().values_list("schema_name", flat=True):
        notifications_brand_purge_task.apply_async(headers={"_schema_name": schema_name})


@app.task
def notifications_brand_purge_task() -> None:
    deleted = notifications_purge()
    if any(deleted.values()):
        logger.info("notifications purged in %s: %s", current_schema(), deleted)
