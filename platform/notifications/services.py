"""Configuring messaging channels, testing them, and notifying a brand's subscribed channels.

Other apps call ``notify_brand(event, text, document)`` inside their own transaction: it only
enqueues one Celery task per enabled channel subscribed to the event, after commit and in the
brand's schema. Delivery, retries and failures happen in the task, never in the caller.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone

from core.audit import audit_log
from core.tasks import enqueue_on_commit
from notifications.connectors import (
    DeliveryError,
    Document,
    discord_send,
    telegram_send,
    whatsapp_send,
)
from notifications.error_codes import NotificationErrorCode as Code
from notifications.models import ChannelKind, NotificationChannel, NotificationEvent

logger = logging.getLogger(__name__)

TELEGRAM_TOKEN = re.compile(r"^[0-9]{3,20}:[A-Za-z0-9_-]{30,64}$")
# A numeric chat id (groups and channels are negative, e.g. -100…) or a public @channel name.
TELEGRAM_CHAT_ID = re.compile(r"^(-?[0-9]{1,20}|@[A-Za-z][A-Za-z0-9_]{4,31})$")
DISCORD_WEBHOOK_URL = re.compile(
    r"^https://(?:(?:ptb|canary)\.)?discord(?:app)?\.com/api(?:/v[0-9]+)?/webhooks/"
    r"(?P<id>[0-9]{17,20})/(?P<token>[A-Za-z0-9_-]{60,100})/?(?:\?.*)?$"
)
WHATSAPP_PHONE_NUMBER_ID = re.compile(r"^[0-9]{5,20}$")
WHATSAPP_TOKEN = re.compile(r"^EAA[A-Za-z0-9_-]{20,2000}$")
E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
# Documents travel inside the task message; invoices are far smaller than this.
MAX_DOCUMENT_BYTES = 8 * 1024 * 1024

TEST_MESSAGE = "Test message from {brand}: this channel will receive the notifications you chose."


def _phone(value: str) -> str:
    """E.164 from what people type: spaces, dots, dashes and brackets dropped; 00 → +."""
    compact = re.sub(r"[\s().-]", "", value)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    return compact


def _clean_events(events: Iterable[str], errors: dict[str, ValidationError]) -> list[str]:
    chosen = list(dict.fromkeys(str(event) for event in events))
    unknown = [event for event in chosen if event not in NotificationEvent.values]
    if unknown:
        errors["events"] = ValidationError(f"Unknown event: {', '.join(unknown)}.", code=Code.UNKNOWN_EVENT)
    elif not chosen:
        errors["events"] = ValidationError("Choose at least one event.", code=Code.REQUIRED)
    return chosen


def _check(
    errors: dict[str, ValidationError],
    field: str,
    value: str,
    *,
    pattern: re.Pattern[str],
    missing: str,
    invalid: str,
    code: str,
) -> None:
    """Record a REQUIRED or ``code`` error on ``field`` unless ``value`` matches ``pattern``."""
    if not value:
        errors[field] = ValidationError(missing, code=Code.REQUIRED)
    elif not pattern.match(value):
        errors[field] = ValidationError(invalid, code=code)


def _clean_telegram(
    channel: NotificationChannel | None, chat_id: str, bot_token: str, errors: dict[str, ValidationError]
) -> tuple[dict[str, str], str]:
    existing = channel.config if channel else {}
    chat_id = chat_id.strip() or existing.get("chat_id", "")
    secret = bot_token.strip() or (channel.secret if channel else "")
    _check(
        errors,
        "chat_id",
        chat_id,
        pattern=TELEGRAM_CHAT_ID,
        missing="Give the chat id or @channel name.",
        invalid="A chat id is a number (e.g. -1001234567890) or an @channel name.",
        code=Code.INVALID_CHAT_ID,
    )
    _check(
        errors,
        "bot_token",
        secret,
        pattern=TELEGRAM_TOKEN,
        missing="Give the bot token from @BotFather.",
        invalid="A bot token looks like 123456789:AAE… (digits, a colon, then 30+ characters).",
        code=Code.INVALID_TOKEN,
    )
    return {"chat_id": chat_id}, secret


def _clean_discord(
    channel: NotificationChannel | None, webhook_url: str, errors: dict[str, ValidationError]
) -> tuple[dict[str, str], str]:
    webhook_url = webhook_url.strip()
    if not webhook_url and channel is not None:
        return dict(channel.config), channel.secret
    _check(
        errors,
        "webhook_url",
        webhook_url,
        pattern=DISCORD_WEBHOOK_URL,
        missing="Paste the webhook URL from Discord.",
        invalid="A Discord webhook URL looks like https://discord.com/api/webhooks/<id>/<token>.",
        code=Code.INVALID_WEBHOOK_URL,
    )
    match = DISCORD_WEBHOOK_URL.match(webhook_url)
    return ({"webhook_id": match["id"]}, match["token"]) if match else ({}, "")


def _clean_whatsapp(
    channel: NotificationChannel | None,
    phone_number_id: str,
    recipient_phone: str,
    access_token: str,
    errors: dict[str, ValidationError],
) -> tuple[dict[str, str], str]:
    existing = channel.config if channel else {}
    phone_number_id = phone_number_id.strip() or existing.get("phone_number_id", "")
    recipient = _phone(recipient_phone) if recipient_phone.strip() else existing.get("recipient", "")
    secret = access_token.strip() or (channel.secret if channel else "")
    _check(
        errors,
        "phone_number_id",
        phone_number_id,
        pattern=WHATSAPP_PHONE_NUMBER_ID,
        missing="Give the sender's phone number id.",
        invalid="The phone number id is the number Meta shows in WhatsApp Manager (digits only).",
        code=Code.INVALID,
    )
    _check(
        errors,
        "recipient_phone",
        recipient,
        pattern=E164,
        missing="Give the phone number to notify.",
        invalid="Give the number in international format, e.g. +212612345678.",
        code=Code.INVALID_PHONE,
    )
    _check(
        errors,
        "access_token",
        secret,
        pattern=WHATSAPP_TOKEN,
        missing="Give a WhatsApp Cloud API access token.",
        invalid="An access token starts with EAA and has only letters and digits.",
        code=Code.INVALID_TOKEN,
    )
    return {"phone_number_id": phone_number_id, "recipient": recipient}, secret


def channel_configure(
    *,
    actor: Any,
    kind: str,
    events: Iterable[str],
    channel: NotificationChannel | None = None,
    enabled: bool = True,
    label: str = "",
    chat_id: str = "",
    bot_token: str = "",
    webhook_url: str = "",
    phone_number_id: str = "",
    recipient_phone: str = "",
    access_token: str = "",
) -> NotificationChannel:
    """Create a channel, or update ``channel``. On update, a setting left empty keeps its
    current value, so the admin never has to paste the secret again."""
    errors: dict[str, ValidationError] = {}
    if kind not in ChannelKind.values:
        raise ValidationError({"kind": ValidationError("Unknown channel kind.", code=Code.INVALID)})
    if channel is not None and channel.kind != kind:
        raise ValidationError(
            {
                "kind": ValidationError(
                    "A channel's kind cannot change; add a new one.", code=Code.KIND_IMMUTABLE
                )
            }
        )
    chosen_events = _clean_events(events, errors)
    label = label.strip()
    if len(label) > 80:
        errors["label"] = ValidationError("Keep the label under 80 characters.", code=Code.INVALID)
    if kind == ChannelKind.TELEGRAM:
        config, secret = _clean_telegram(channel, chat_id, bot_token, errors)
    elif kind == ChannelKind.DISCORD:
        config, secret = _clean_discord(channel, webhook_url, errors)
    else:
        config, secret = _clean_whatsapp(channel, phone_number_id, recipient_phone, access_token, errors)
    if errors:
        raise ValidationError(errors)

    created = channel is None
    secret_changed = channel is None or channel.secret != secret
    with transaction.atomic():
        if channel is None:
            channel = NotificationChannel(kind=kind)
        channel.label = label
        channel.enabled = enabled
        channel.config = config
        channel.secret = secret
        channel.events = chosen_events
        if secret_changed:
            channel.last_error, channel.last_error_at = "", None
        channel.save()
        audit_log(
            actor=actor,
            action="notification_channel.created" if created else "notification_channel.updated",
            target=channel,
            kind=kind,
            enabled=enabled,
            events=chosen_events,
            secret_changed=secret_changed,
        )
    return channel


def channel_delete(*, actor: Any, channel: NotificationChannel) -> None:
    with transaction.atomic():
        audit_log(actor=actor, action="notification_channel.deleted", target=channel, kind=channel.kind)
        channel.delete()


def deliver(channel: NotificationChannel, text: str, document: Document | None = None) -> str:
    """Send now, through the channel's provider. Returns the provider's message id; raises
    ``DeliveryError``."""
    config = channel.config
    if channel.kind == ChannelKind.TELEGRAM:
        return telegram_send(token=channel.secret, chat_id=config["chat_id"], text=text, document=document)
    if channel.kind == ChannelKind.DISCORD:
        return discord_send(
            webhook_id=config["webhook_id"], token=channel.secret, text=text, document=document
        )
    return whatsapp_send(
        token=channel.secret,
        phone_number_id=config["phone_number_id"],
        recipient=config["recipient"],
        text=text,
        document=document,
    )


def record_success(channel: NotificationChannel) -> None:
    NotificationChannel.objects.filter(pk=channel.pk).update(
        last_sent_at=timezone.now(), last_error="", last_error_at=None
    )


def record_failure(channel: NotificationChannel, message: str) -> None:
    NotificationChannel.objects.filter(pk=channel.pk).update(
        last_error=message[:500], last_error_at=timezone.now()
    )


def channel_test(*, actor: Any, channel: NotificationChannel, brand_name: str) -> str:
    """Send a test message now (the admin waits for the answer). Returns the provider's
    message id; a failure is a field error with the provider's explanation."""
    try:
        message_id = deliver(channel, TEST_MESSAGE.format(brand=brand_name))
    except DeliveryError as error:
        record_failure(channel, error.message)
        audit_log(actor=actor, action="notification_channel.test_failed", target=channel, error=error.message)
        if error.status == 429:
            wait = f" Try again in {round(error.retry_after)} s." if error.retry_after else ""
            raise ValidationError(
                {
                    NON_FIELD_ERRORS: ValidationError(
                        f"{error.message.rstrip('.')}.{wait}", code=Code.RATE_LIMITED
                    )
                }
            ) from error
        raise ValidationError(
            {NON_FIELD_ERRORS: ValidationError(error.message, code=Code.DELIVERY_FAILED)}
        ) from error
    record_success(channel)
    audit_log(actor=actor, action="notification_channel.tested", target=channel)
    return message_id


def encode_document(document: tuple[str, bytes, str]) -> dict[str, str]:
    filename, content, content_type = document
    if len(content) > MAX_DOCUMENT_BYTES:
        raise ValueError(f"document {filename!r} is {len(content)} bytes; the limit is {MAX_DOCUMENT_BYTES}")
    return {
        "filename": filename,
        "content_type": content_type,
        "content_b64": base64.b64encode(content).decode("ascii"),
    }


def decode_document(payload: dict[str, str] | None) -> Document | None:
    if payload is None:
        return None
    return Document(
        filename=payload["filename"],
        content=base64.b64decode(payload["content_b64"]),
        content_type=payload["content_type"],
    )


def notify_brand(event: str, text: str, document: tuple[str, bytes, str] | None = None) -> int:
    """Queue ``text`` (and an optional ``(filename, bytes, content_type)`` document) for every
    enabled channel of the current brand subscribed to ``event``. Sent after commit; returns
    how many channels were queued. A brand with no channel sends nothing."""
    from notifications.tasks import deliver_notification_task

    if event not in NotificationEvent.values:
        raise ValueError(f"unknown notification event {event!r}")
    payload = encode_document(document) if document is not None else None
    channel_ids = list(
        NotificationChannel.objects.filter(enabled=True, events__contains=[event]).values_list(
            "pk", flat=True
        )
    )
    for channel_id in channel_ids:
        enqueue_on_commit(deliver_notification_task, channel_id, event, text, payload)
    return len(channel_ids)
