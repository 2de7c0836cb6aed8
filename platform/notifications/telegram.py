"""Users' own Telegram chats with the brand's bot: linking by deep link, and what is sent there.

A bot may only write to someone who started it. So linking is Telegram's deep-link flow:

1. the user asks for a link (``telegram_link_start``): a one-time token (its hash stored, 30
   minutes) in ``https://t.me/<bot>?start=<token>``;
2. Telegram opens the chat with the bot; "Start" sends ``/start <token>``;
3. Telegram posts that update to the brand's webhook (``telegram_webhook_view``), which it
   authenticates with the ``X-Telegram-Bot-Api-Secret-Token`` header we gave ``setWebhook``;
   ``telegram_update_handle`` spends the token and links the chat id to the user.

The bot is the brand's Telegram channel (the admins' alert bot, ``NotificationChannel``): its
username and webhook are set up the first time a user asks for a link (``getMe``,
``setWebhook``), and again whenever the token changes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from core.audit import audit_log
from core.errors import field_error
from core.tasks import enqueue_on_commit
from core.tenancy import current_schema, tenant_connection
from notifications.connectors import DeliveryError, telegram_call
from notifications.error_codes import NotificationErrorCode as Code
from notifications.models import Delivery, MessagingLink, Method, NotificationChannel, TelegramLinkToken
from notifications.selectors import telegram_channel
from tenants.selectors import brand_base_url

LINK_TTL = dt.timedelta(minutes=30)
# "/start <payload>": Telegram allows A-Z, a-z, 0-9, _ and - in a start payload, up to 64.
START = re.compile(r"^/start(?:@\w+)?\s+(?P<token>[A-Za-z0-9_-]{16,64})$")
LINKED_TEXT = {
    "en": "Linked: you will get the notifications you chose in {brand} here.",
    "fr": "C'est lié : vous recevrez ici les notifications choisies dans {brand}.",
}
EXPIRED_TEXT = {
    "en": "This link has expired or was already used. Ask for a new one in your notification settings.",
    "fr": "Ce lien a expiré ou a déjà servi. Demandez-en un nouveau dans vos réglages de notifications.",
}


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def webhook_secret(channel: NotificationChannel) -> str:
    """What Telegram sends back in ``X-Telegram-Bot-Api-Secret-Token``: derived from the
    server's secret, the brand, the channel and its bot token (a new token, a new secret)."""
    message = f"telegram-webhook:{current_schema()}:{channel.pk}:{channel.secret}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def webhook_url(channel: NotificationChannel) -> str:
    tenant = tenant_connection().tenant
    return f"{brand_base_url(tenant)}{reverse('telegram-webhook', args=[channel.pk])}"


def telegram_bot_prepare(channel: NotificationChannel) -> str:
    """The bot's username, asking Telegram once; points the bot's webhook at this brand."""
    config = dict(channel.config)
    if not config.get("bot_username"):
        me = telegram_call(token=channel.secret, method="getMe", payload={})
        config["bot_username"] = str(me["username"])
    url = webhook_url(channel)
    if config.get("webhook_url") != url:
        telegram_call(
            token=channel.secret,
            method="setWebhook",
            payload={"url": url, "secret_token": webhook_secret(channel), "allowed_updates": ["message"]},
        )
        config["webhook_url"] = url
    if config != channel.config:
        NotificationChannel.objects.filter(pk=channel.pk).update(config=config)
        channel.config = config
    return str(config["bot_username"])


@dataclass(frozen=True)
class TelegramLinkStart:
    url: str
    expires_at: dt.datetime


def telegram_link_start(*, user: User) -> TelegramLinkStart:
    """A one-time deep link that links the chat which starts the bot with it to ``user``."""
    channel = telegram_channel()
    if channel is None:
        raise field_error("method", "This brand has no Telegram bot yet.", Code.CHANNEL_NOT_CONFIGURED)
    try:
        bot = telegram_bot_prepare(channel)
    except DeliveryError as error:
        raise field_error(
            "method", f"Telegram is not reachable: {error.message}", Code.DELIVERY_FAILED
        ) from error
    token = secrets.token_urlsafe(24)
    expires_at = timezone.now() + LINK_TTL
    TelegramLinkToken.objects.create(user=user, token_hash=_token_hash(token), expires_at=expires_at)
    return TelegramLinkStart(url=f"https://t.me/{bot}?start={token}", expires_at=expires_at)


def _reply(chat_id: Any, text: str) -> dict[str, Any]:
    """An answer to the webhook request that Telegram runs as a Bot API call."""
    return {"method": "sendMessage", "chat_id": chat_id, "text": text}


def telegram_update_handle(update: dict[str, Any]) -> dict[str, Any] | None:
    """Act on one update the brand's bot received. ``/start <token>`` in a private chat links
    that chat; anything else is ignored. Returns a Bot API call to answer with, if any."""
    message = update.get("message")
    if not isinstance(message, dict):
        return None
    chat = message.get("chat") or {}
    sender = message.get("from") or {}
    match = START.match(str(message.get("text") or "").strip())
    if chat.get("type") != "private" or match is None or "id" not in chat:
        return None
    tenant = tenant_connection().tenant
    language = tenant.language if tenant.language in LINKED_TEXT else "en"
    now = timezone.now()
    with transaction.atomic():
        token = (
            TelegramLinkToken.objects.select_for_update()
            .select_related("user")
            .filter(token_hash=_token_hash(match["token"]), used_at__isnull=True, expires_at__gt=now)
            .first()
        )
        if token is None or not token.user.is_active:
            return _reply(chat["id"], EXPIRED_TEXT[language])
        token.used_at = now
        token.save(update_fields=["used_at"])
        chat_id = str(chat["id"])
        # One person, one chat: a chat linked to another account of this brand moves here.
        MessagingLink.objects.filter(method=Method.TELEGRAM, chat_id=chat_id).exclude(
            user=token.user
        ).delete()
        link, _ = MessagingLink.objects.update_or_create(
            user=token.user,
            method=Method.TELEGRAM,
            defaults={"chat_id": chat_id, "username": str(sender.get("username") or "").lower()},
        )
        audit_log(actor=token.user, action="notification_link.created", target=link, method=Method.TELEGRAM)
    return _reply(chat["id"], LINKED_TEXT[language].format(brand=tenant.name))


def telegram_update_authentic(channel: NotificationChannel, header: str) -> bool:
    return hmac.compare_digest(header.encode(), webhook_secret(channel).encode())


def invoice_send_by_messaging(
    *,
    contact_channel: str,
    contact: str,
    payer_id: int | None,
    key: str,
    text: str,
    document: tuple[str, bytes, str],
) -> bool:
    """Send a customer's invoice to the Telegram chat they chose at checkout. The chat is the
    payer's linked one, else the one linked by a user with the @username they gave. False
    when they did not choose Telegram, or never started the brand's bot (a bot cannot write
    first). ``key`` makes a redelivered task send once."""
    from notifications.services import encode_document
    from notifications.tasks import user_message_task

    if contact_channel != Method.TELEGRAM or telegram_channel() is None:
        return False
    links = MessagingLink.objects.filter(method=Method.TELEGRAM)
    link = links.filter(user_id=payer_id).first() if payer_id is not None else None
    username = contact.strip().lstrip("@").lower()
    if link is None and username:
        link = links.filter(username=username).order_by("-linked_at").first()
    if link is None:
        return False
    with transaction.atomic():
        _, created = Delivery.objects.get_or_create(key=f"{key}:telegram")
        if created:
            enqueue_on_commit(
                user_message_task, link.user_id, str(Method.TELEGRAM), text, encode_document(document)
            )
    return True
