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
