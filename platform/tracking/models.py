"""Clicks, written in batches by the stream drain (tracking.ingest), never in the request."""

from __future__ import annotations

from django.db import models

from affiliation.models import Link
from core.agents import DeviceType
from core.ids import new_time_ordered_id


class Click(models.Model):
    """One counted GET of ``/r/<code>``. The primary key is the click id handed to the
    browser (cookie) and to the target (query parameter): a UUIDv7, ordered by time."""

    id = models.UUIDField(primary_key=True, default=new_time_ordered_id, editable=False)
    link = models.ForeignKey(Link, on_delete=models.CASCADE, related_name="clicks", db_index=False)
    affiliate_id = models.BigIntegerField()
    program_id = models.BigIntegerField()
    created_at = models.DateTimeField()
    ip_hash = models.CharField(max_length=32)
    is_unique = models.BooleanField(default=False)
    user_agent = models.CharField(max_length=512, blank=True)
    referrer = models.CharField(max_length=500, blank=True)
    referrer_host = models.CharField(max_length=253, blank=True)
    country = models.CharField(max_length=2, blank=True)
    device_type = models.CharField(max_length=10, choices=DeviceType.choices, default=DeviceType.OTHER)
    browser = models.CharField(max_length=60, blank=True)
    os = models.CharField(max_length=60, blank=True)
    sub_ids = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["link", "created_at"], name="tracking_click_link_time"),
            models.Index(fields=["affiliate_id", "created_at"], name="tracking_click_affiliate_time"),
        ]

    def __str__(self) -> str:
        return str(self.id)


class UniqueClickKey(models.Model):
    """The first click of an (IP hash, link, hour) claims its key: later ones are not unique."""

    link_id = models.BigIntegerField()
    ip_hash = models.CharField(max_length=32)
    hour = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["link_id", "ip_hash", "hour"], name="tracking_unique_click_key")
        ]

    def __str__(self) -> str:
        return f"{self.link_id}/{self.ip_hash}/{self.hour:%Y-%m-%dT%H}"
