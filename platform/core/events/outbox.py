"""Recording domain events in the outbox and dispatching them after commit.

``emit`` writes the event in the caller's transaction, runs the in-transaction handlers, and
schedules the after-commit dispatch. ``dispatch`` runs in its own transaction under the
event's row lock (``SKIP LOCKED``: the post-commit hook and the sweep never run it twice at
once); each handler runs in a savepoint, so one failing handler neither undoes the others
nor blocks them: only it is retried, with backoff, by ``outbox_sweep``. A handler's database
writes commit together with the row's bookkeeping: no handler runs twice for one event once
it succeeded (its side effects outside the database, like a live tick, may repeat if the
process dies between them and the commit — at least once).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from core.events.registry import REGISTRY, Event, Phase, validate_payload
from core.models import OutboxEvent
from core.tenancy import current_schema

logger = logging.getLogger(__name__)

# The sweep leaves an event alone this long after it was recorded: its own process is
# dispatching it right after commit.
DISPATCH_GRACE = dt.timedelta(seconds=60)
MAX_ATTEMPTS = 12  # 1 min, 2, 4 … ~34 h in all, then given up (last_error says why)


def emit(name: str, payload: Mapping[str, Any]) -> Event:
    """Record event ``name`` in the current transaction and brand schema (see ``core.events``)."""
    event_type = REGISTRY.event_type(name)
    clean = validate_payload(event_type, payload)
    schema_name = current_schema()
    after_commit = [s.key for s in REGISTRY.handlers(name, Phase.AFTER_COMMIT)]
    now = timezone.now()
    row = OutboxEvent.objects.create(
        name=name,
        version=event_type.version,
        payload=clean,
        occurred_at=now,
        pending_handlers=after_commit,
        dispatched_at=None if after_commit else now,
        next_attempt_at=now + DISPATCH_GRACE if after_commit else None,
    )
    event = _event(row, schema_name)
    for subscription in REGISTRY.handlers(name, Phase.IN_TRANSACTION):
        subscription.handler(event)
    if after_commit:
        event_id = row.id
        transaction.on_commit(lambda: dispatch(schema_name, event_id))
    return event


def _event(row: OutboxEvent, schema_name: str) -> Event:
    return Event(
        id=row.id,
        name=row.name,
        version=row.version,
        payload=row.payload,
        occurred_at=row.occurred_at,
        schema_name=schema_name,
    )


def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(minutes=2 ** min(attempts - 1, 11))


def dispatch(schema_name: str, event_id: uuid.UUID) -> bool:
    """Run the pending after-commit handlers of one event. False when there was nothing to do
    (already dispatched, or being dispatched by someone else right now)."""
    with schema_context(schema_name), transaction.atomic():
        row = (
            OutboxEvent.objects.select_for_update(skip_locked=True)
            .filter(pk=event_id, dispatched_at__isnull=True, next_attempt_at__isnull=False)
            .first()
        )
        if row is None:
            return False
        event = _event(row, schema_name)
        pending = set(row.pending_handlers)
        failed: list[str] = []
        errors: list[str] = []
        for subscription in REGISTRY.handlers(row.name, Phase.AFTER_COMMIT):
            if subscription.key not in pending:
                continue
            try:
                with transaction.atomic():
                    subscription.handler(event)
            except Exception as error:
                logger.exception("event %s %s: handler %s failed", row.name, row.id, subscription.key)
                failed.append(subscription.key)
                errors.append(f"{subscription.key}: {type(error).__name__}: {error}"[:500])
        # Handlers unknown to this process (removed in a deploy) are dropped, not retried forever.
        now = timezone.now()
        row.attempts += 1
        row.pending_handlers = failed
        if failed:
            row.last_error = "\n".join(errors)
            row.next_attempt_at = now + _backoff(row.attempts) if row.attempts < MAX_ATTEMPTS else None
        else:
            row.dispatched_at = now
            row.next_attempt_at = None
        row.save(
            update_fields=["attempts", "pending_handlers", "last_error", "next_attempt_at", "dispatched_at"]
        )
        return True


def outbox_sweep(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """In the current schema: dispatch events whose after-commit dispatch did not happen or
    failed and is due again; delete dispatched events past their retention. Returns how many
    events were dispatched."""
    now = now or timezone.now()
    schema_name = current_schema()
    due = list(
        OutboxEvent.objects.filter(dispatched_at__isnull=True, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    dispatched = sum(1 for event_id in due if dispatch(schema_name, event_id))
    retention = dt.timedelta(days=settings.OUTBOX_RETENTION_DAYS)
    stale = OutboxEvent.objects.filter(dispatched_at__lt=now - retention).values_list("pk", flat=True)[:5000]
    OutboxEvent.objects.filter(pk__in=list(stale)).delete()
    return dispatched
