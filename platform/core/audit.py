"""Recording audit events from services [pretix ``log_action``]."""

from __future__ import annotations

from typing import Any

from django.db import models

from core.models import AuditEvent


def audit_log(*, actor: Any, action: str, target: models.Model | None = None, **data: Any) -> AuditEvent:
    """Append an audit event in the current schema. ``actor`` is a user or None for the system."""
    return AuditEvent.objects.create(
        action=action,
        actor_id=getattr(actor, "pk", None),
        actor_email=getattr(actor, "email", "") or "",
        target_type=target._meta.label if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        data=data,
    )
