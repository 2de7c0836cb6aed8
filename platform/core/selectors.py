"""Reads of the audit log (``core.audit`` writes it)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db.models import Q, QuerySet

from core.audit import SECURITY_ACTION_PREFIXES
from core.models import AuditEvent


@dataclass(frozen=True, kw_only=True)
class AuditFilter:
    """Every field narrows; None means any. ``action`` is exact, or a prefix when it ends with
    ``*`` (``user.*``). ``start`` is inclusive, ``end`` exclusive."""

    actor_id: int | None = None
    actor_email: str | None = None
    action: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    subject_id: int | None = None
    start: dt.datetime | None = None
    end: dt.datetime | None = None


def audit_events(*, audit_filter: AuditFilter) -> QuerySet[AuditEvent]:
    """The current schema's audit events matching ``audit_filter`` (a brand's on its host,
    the platform's in the public schema); callers order and page them."""
    events = AuditEvent.objects.all()
    if audit_filter.actor_id is not None:
        events = events.filter(actor_id=audit_filter.actor_id)
    if audit_filter.actor_email:
        events = events.filter(actor_email__icontains=audit_filter.actor_email.strip())
    if audit_filter.action:
        action = audit_filter.action.strip()
        events = (
            events.filter(action__startswith=action[:-1])
            if action.endswith("*")
            else events.filter(action=action)
        )
    if audit_filter.target_type:
        events = events.filter(target_type__iexact=audit_filter.target_type.strip())
    if audit_filter.target_id:
        events = events.filter(target_id=audit_filter.target_id.strip())
    if audit_filter.subject_id is not None:
        events = events.filter(subject_id=audit_filter.subject_id)
    if audit_filter.start is not None:
        events = events.filter(created_at__gte=audit_filter.start)
    if audit_filter.end is not None:
        events = events.filter(created_at__lt=audit_filter.end)
    return events


def security_events_of(*, user_id: int) -> QuerySet[AuditEvent]:
    """The security events about one user of the current schema (sign-ins, failures,
    sessions, second factor, tokens, passwords, admin actions on the account)."""
    families = reduce(or_, (Q(action__startswith=prefix) for prefix in SECURITY_ACTION_PREFIXES))
    return AuditEvent.objects.filter(families, subject_id=user_id)
