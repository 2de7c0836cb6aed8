"""Outbound webhooks: a brand's endpoints, one delivery per (endpoint, event), its attempts.

The shape follows Saleor's ``Webhook`` / ``EventDelivery`` / ``EventDeliveryAttempt``; the
delivery keeps its own copy of the event (name, version, payload, time), so a replay sends
the same body long after the outbox row is gone, and the ``webhook-id`` (the event id) is
the same on every attempt and every replay.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class DisabledReason(models.TextChoices):
    NONE = "", "Enabled"
    ADMIN = "admin", "Disabled by an admin"
    FAILING = "failing", "Disabled after failing deliveries"


class WebhookEndpoint(models.Model):
    """Where a brand's integrator receives events. The signing secret (``whsec_`` + base64 of
    24 random bytes) is stored encrypted (``webhooks.signing``) and shown once; after a
    rotation the previous secret still signs (a second signature) until
    ``previous_secret_expires_at``, so receivers can switch without losing messages."""

    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    all_events = models.BooleanField(default=False)
    event_types = models.JSONField(default=list, blank=True)  # names of public catalogue events
    secret_encrypted = models.TextField()
    secret_hint = models.CharField(max_length=16)  # "whsec_" + 4 characters, to tell secrets apart
    previous_secret_encrypted = models.TextField(blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    is_enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=16, choices=DisabledReason.choices, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    # The first failed attempt since the last success: the auto-disable rule reads it.
    failing_since = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.url

    def wants(self, event_name: str) -> bool:
        return self.all_events or event_name in self.event_types


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCESS = "success", "Delivered"
    FAILED = "failed", "Failed"


class WebhookDelivery(models.Model):
    """One event for one endpoint. ``next_attempt_at`` is when the next automatic attempt is
    due (null once delivered or given up); a worker claims the delivery by pushing it forward
    by a lease, so two workers never attempt it at once."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.UUIDField()  # the webhook-id header
    event_name = models.CharField(max_length=64)
    event_version = models.PositiveSmallIntegerField(default=1)
    payload = models.JSONField()
    occurred_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempt_count = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event_id"], name="webhooks_delivery_once_per_event")
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="webhooks_delivery_due_idx",
                condition=models.Q(status="pending"),
            ),
            models.Index(fields=["endpoint", "-id"], name="webhooks_delivery_log_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_name} {self.event_id} → {self.endpoint_id}"


class AttemptTrigger(models.TextChoices):
    AUTOMATIC = "automatic", "Automatic"
    REPLAY = "replay", "Replay"


class WebhookDeliveryAttempt(models.Model):
    """One POST: what came back (status code, the first kilobyte of the body) or what went
    wrong before a response (refused target, timeout, connection error), and how long it took."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempts")
    created_at = models.DateTimeField(default=timezone.now)
    trigger = models.CharField(
        max_length=16, choices=AttemptTrigger.choices, default=AttemptTrigger.AUTOMATIC
    )
    is_success = models.BooleanField(default=False)
    response_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)  # at most RESPONSE_EXCERPT_BYTES, decoded leniently
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    target_ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"attempt {self.pk} of delivery {self.delivery_id}"
