"""Messages sent through the contact form of a brand's public site, read by its brand admins."""

from __future__ import annotations

from django.conf import settings
from django.db import models

NAME_MAX_LENGTH = 120
SUBJECT_MAX_LENGTH = 200
MESSAGE_MAX_LENGTH = 5000


class ContactMessageStatus(models.TextChoices):
    NEW = "new", "New"
    ANSWERED = "answered", "Answered"
    CLOSED = "closed", "Closed"


class ContactMessage(models.Model):
    name = models.CharField(max_length=NAME_MAX_LENGTH)
    email = models.EmailField(max_length=254)
    subject = models.CharField(max_length=SUBJECT_MAX_LENGTH)
    message = models.TextField(max_length=MESSAGE_MAX_LENGTH)
    locale = models.CharField(max_length=8, default="en")
    status = models.CharField(
        max_length=16, choices=ContactMessageStatus.choices, default=ContactMessageStatus.NEW
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # HMAC of the brand and the sender's IP (as the click lane hashes it): never the raw IP.
    ip_hash = models.CharField(max_length=32, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "-id"], name="support_msg_status_id")]

    def __str__(self) -> str:
        return f"contact message {self.pk} from {self.email} ({self.status})"
