"""Messaging connectors a brand admin may switch on: Telegram, Discord, WhatsApp.

A brand without a channel row sends nothing. The secret (bot token, webhook token, access
token) is stored to be used by the workers and is never returned by the API, which shows
only its last four characters.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models


class ChannelKind(models.TextChoices):
    TELEGRAM = "telegram", "Telegram"
    DISCORD = "discord", "Discord"
    WHATSAPP = "whatsapp", "WhatsApp"


class NotificationEvent(models.TextChoices):
    """What a channel can subscribe to. The values are the ``event`` of ``notify_brand``."""

    PAYMENT_CONFIRMED = "payment.confirmed", "Payment confirmed"
    INVOICE_CREATED = "invoice.created", "Invoice created"
    WITHDRAWAL_REQUESTED = "withdrawal.requested", "Withdrawal requested"
    MANUAL_PAYMENT_SUBMITTED = "manual_payment.submitted", "Manual payment submitted"
    CONTACT_RECEIVED = "contact.received", "Contact message received"


class NotificationChannel(models.Model):
    kind = models.CharField(max_length=16, choices=ChannelKind.choices)
    label = models.CharField(max_length=80, blank=True)
    enabled = models.BooleanField(default=True)
    # Non-secret settings: Telegram {"chat_id"}, Discord {"webhook_id"},
    # WhatsApp {"phone_number_id", "recipient"} (the recipient in E.164).
    config = models.JSONField(default=dict)
    # Telegram bot token, Discord webhook token or WhatsApp access token. Never sent to clients.
    secret = models.CharField(max_length=2048)
    events = ArrayField(models.CharField(max_length=40, choices=NotificationEvent.choices), default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.kind} channel {self.pk} ({'on' if self.enabled else 'off'})"

    @property
    def secret_hint(self) -> str:
        """What the API shows of the secret: its last four characters."""
        return f"…{self.secret[-4:]}" if self.secret else ""


# --- The notification centre: per-user notifications, preferences and linked chats ------------


class Method(models.TextChoices):
    """How a user may be told (pretix calls these notification methods)."""

    IN_APP = "in_app", "In the app"
    EMAIL = "email", "Email"
    TELEGRAM = "telegram", "Telegram"
    WHATSAPP = "whatsapp", "WhatsApp"


class Notification(models.Model):
    """One thing that happened, told to one user in the app. ``event_id`` is the domain event
    (``core.OutboxEvent``) it came from: one notification per user per event, however many times
    the event is dispatched."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=64)  # the event's name, e.g. "commission.created"
    event_id = models.UUIDField()
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)  # a path in the web app
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "event_id"], name="notifications_once_per_user_event"),
        ]
        indexes = [
            models.Index(fields=["user", "-id"], name="notifications_user_newest"),
            models.Index(
                fields=["user"], condition=models.Q(read_at__isnull=True), name="notifications_user_unread"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user_id}"


class NotificationPreference(models.Model):
    """A user's choice for one kind on one method, where it differs from the kind's default
    (``notifications.kinds``). No row: the default applies."""

    user = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=64)
    method = models.CharField(max_length=16, choices=Method.choices)
    enabled = models.BooleanField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "method"], name="notifications_preference_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.method}={'on' if self.enabled else 'off'}"


class MessagingLink(models.Model):
    """A user's own chat with the brand's bot (Telegram), where their messages go. Made by the
    user starting the bot with a one-time token (``TelegramLinkToken``)."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="messaging_links")
    method = models.CharField(max_length=16, choices=Method.choices)
    chat_id = models.CharField(max_length=40)
    username = models.CharField(max_length=64, blank=True)  # Telegram @username, lowercased, no @
    linked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "method"], name="notifications_one_link_per_method"),
        ]

    def __str__(self) -> str:
        return f"{self.method} link of {self.user_id}"


class TelegramLinkToken(models.Model):
    """The one-time token of a ``https://t.me/<bot>?start=<token>`` deep link. Only its hash is
    kept; it links the chat that sends ``/start <token>`` before ``expires_at``, once."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"telegram link token of {self.user_id}"


class Delivery(models.Model):
    """A message handed to a channel other than the app (email, Telegram, WhatsApp), keyed so
    that an event dispatched twice, or an invoice task redelivered, sends once."""

    key = models.CharField(max_length=120, unique=True)  # e.g. "<event id>:<user id>:email"
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.key
