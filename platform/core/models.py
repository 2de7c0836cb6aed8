from __future__ import annotations

from django.db import models


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
