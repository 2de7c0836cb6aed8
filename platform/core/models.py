from __future__ import annotations

from django.db import models
from django.utils import timezone

from core.ids import new_time_ordered_id


class AuditEvent(models.Model):
    """Who did what, append-only.

    Lives in every schema: operators' actions in public, a brand's in its own. ``subject_id``
    is the user the event is about (the target when it is a user, else the actor): a user's
    "Security activity" is one indexed read of it. ``ip`` and ``user_agent`` come from the
    request being served when the event was recorded (``core.audit``), empty for tasks.
    """

    action = models.CharField(max_length=80, db_index=True)
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_email = models.CharField(max_length=254, blank=True)
    subject_id = models.BigIntegerField(null=True, blank=True)
    target_type = models.CharField(max_length=80, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["subject_id", "-id"], name="core_audit_subject_idx"),
            models.Index(fields=["actor_id", "-id"], name="core_audit_actor_idx"),
            models.Index(fields=["target_type", "target_id"], name="core_audit_target_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor_email or 'system'}"


class OutboxEvent(models.Model):
    """A domain event, written in the transaction of the change it records (``core.events``).

    After commit its after-commit handlers run (``pending_handlers`` lists those still to
    run); the sweep retries failures with backoff until ``next_attempt_at`` is null (given up:
    ``last_error`` says why). Kept ``OUTBOX_RETENTION_DAYS`` after dispatch: webhook replays
    and the delivery log read it.
    """

    id = models.UUIDField(primary_key=True, default=new_time_ordered_id, editable=False)
    name = models.CharField(max_length=64)
    version = models.PositiveSmallIntegerField()
    payload = models.JSONField()
    occurred_at = models.DateTimeField(default=timezone.now)
    pending_handlers = models.JSONField(default=list, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(dispatched_at__isnull=True),
                name="core_outbox_pending",
            ),
            models.Index(fields=["name", "-occurred_at"], name="core_outbox_name"),
            models.Index(fields=["dispatched_at"], name="core_outbox_dispatched"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.id}"
