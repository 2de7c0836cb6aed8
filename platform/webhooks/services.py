"""Outbound webhooks: endpoints (writes), deliveries, attempts, retries, replay, auto-disable.

Lifecycle of a delivery (Saleor's EventDelivery, Svix's schedule):

1. An event of the registry commits; ``deliveries_create`` (an after-commit subscriber) makes
   one delivery per enabled endpoint that wants it, once per (endpoint, event id), and queues
   the first attempt at once.
2. ``delivery_attempt`` claims the delivery (it pushes ``next_attempt_at`` forward by a lease
   in one UPDATE: a second worker, the sweep or a duplicate task find nothing to do), POSTs
   outside any transaction, then records the attempt.
3. A failure schedules the next attempt after ``WEBHOOKS_RETRY_SCHEDULE_SECONDS`` (the last
   delay repeats) while it stays within ``WEBHOOKS_RETRY_WINDOW_SECONDS`` of the event (3
   days), then the delivery is failed. Short delays are queued with a countdown; longer ones
   (and anything a dead worker left) are picked up by the minutely sweep.
4. Auto-disable: the endpoint remembers its first failure since its last success
   (``failing_since``); an attempt that fails when that is ``WEBHOOKS_DISABLE_AFTER_SECONDS``
   (3 days) ago disables the endpoint and emails the brand's admins. So an endpoint is
   disabled when nothing sent to it has succeeded for 3 days (Svix's rule, over 3 days rather
   than 5, as the issue asks), never for one bad hour. Pending deliveries of a disabled
   endpoint are failed when their turn comes; the admin re-enables it and replays.
5. Replay: a new attempt of the same delivery (same body, same ``webhook-id``), queued at once.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.audit import audit_log
from core.errors import field_error
from core.events import REGISTRY, Event
from core.tasks import enqueue_on_commit
from core.tenancy import current_schema
from webhooks import signing, transport
from webhooks.catalog import TEST_EVENT_TYPE
from webhooks.error_codes import WebhookErrorCode as Code
from webhooks.models import (
    AttemptTrigger,
    DeliveryStatus,
    DisabledReason,
    WebhookDelivery,
    WebhookDeliveryAttempt,
    WebhookEndpoint,
)

MAX_ENDPOINTS = 20
# A claimed delivery is left alone this long (well beyond one attempt's 15 s).
CLAIM_LEASE = dt.timedelta(seconds=120)
# A countdown task may wake a hair before the time it was scheduled for.
CLAIM_TOLERANCE = dt.timedelta(seconds=1)
PREVIOUS_SECRET_VALIDITY = dt.timedelta(hours=24)
TEST_EVENT_NAME = TEST_EVENT_TYPE.name


# --- endpoints ---------------------------------------------------------------------------------


def subscribable_event_names() -> list[str]:
    return sorted(name for name, event_type in REGISTRY.types.items() if event_type.public)


def _clean_url(url: str) -> str:
    url = url.strip()
    if len(url) > 2000:
        raise field_error("url", "This URL is too long.", Code.INVALID_URL)
    problem = transport.url_problem(url)
    if problem is not None:
        raise field_error("url", problem.message, problem.code)
    return url


def _clean_event_types(event_types: list[str], all_events: bool) -> list[str]:
    names = sorted(set(event_types))
    known = set(subscribable_event_names())
    unknown = [name for name in names if name not in known]
    if unknown:
        raise field_error(
            "event_types", f"Unknown event types: {', '.join(unknown)}.", Code.UNKNOWN_EVENT_TYPE
        )
    if not names and not all_events:
        raise field_error(
            "event_types", "Choose at least one event type, or all of them.", Code.NO_EVENT_TYPES
        )
    return [] if all_events else names


def endpoint_create(
    *, actor: Any, url: str, description: str = "", event_types: list[str], all_events: bool = False
) -> tuple[WebhookEndpoint, str]:
    """A new enabled endpoint and its signing secret (returned once, stored encrypted)."""
    url = _clean_url(url)
    names = _clean_event_types(event_types, all_events)
    if WebhookEndpoint.objects.count() >= MAX_ENDPOINTS:
        raise field_error(
            "url", f"A brand has at most {MAX_ENDPOINTS} webhook endpoints.", Code.LIMIT_REACHED
        )
    secret = signing.secret_new()
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            url=url,
            description=description.strip()[:200],
            all_events=all_events,
            event_types=names,
            secret_encrypted=signing.secret_encrypt(secret),
            secret_hint=secret[: signing.HINT_LENGTH],
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        audit_log(actor=actor, action="webhook_endpoint.created", target=endpoint, url=url)
    return endpoint, secret


def endpoint_update(
    *,
    actor: Any,
    endpoint: WebhookEndpoint,
    url: str | None = None,
    description: str | None = None,
    event_types: list[str] | None = None,
    all_events: bool | None = None,
    is_enabled: bool | None = None,
) -> WebhookEndpoint:
    """Change an endpoint; ``is_enabled=True`` re-enables one that was disabled (by an admin
    or after failures) and forgets its failures."""
    changed: list[str] = []
    if url is not None and url.strip() != endpoint.url:
        endpoint.url = _clean_url(url)
        changed.append("url")
    if description is not None:
        endpoint.description = description.strip()[:200]
        changed.append("description")
    if event_types is not None or all_events is not None:
        wanted_all = endpoint.all_events if all_events is None else all_events
        wanted = endpoint.event_types if event_types is None else event_types
        endpoint.event_types = _clean_event_types(wanted, wanted_all)
        endpoint.all_events = wanted_all
        changed += ["event_types", "all_events"]
    if is_enabled is not None and is_enabled != endpoint.is_enabled:
        endpoint.is_enabled = is_enabled
        endpoint.disabled_reason = DisabledReason.NONE if is_enabled else DisabledReason.ADMIN
        endpoint.disabled_at = None if is_enabled else timezone.now()
        endpoint.failing_since = None
        changed += ["is_enabled", "disabled_reason", "disabled_at", "failing_since"]
    if changed:
        with transaction.atomic():
            endpoint.save(update_fields=[*changed, "updated_at"])
            audit_log(actor=actor, action="webhook_endpoint.updated", target=endpoint, changed=changed)
    return endpoint


def endpoint_delete(*, actor: Any, endpoint: WebhookEndpoint) -> None:
    with transaction.atomic():
        audit_log(actor=actor, action="webhook_endpoint.deleted", target=endpoint, url=endpoint.url)
        endpoint.delete()


def endpoint_secret_rotate(*, actor: Any, endpoint: WebhookEndpoint) -> tuple[WebhookEndpoint, str]:
    """A new secret, returned once. The old one keeps signing beside it for 24 hours."""
    secret = signing.secret_new()
    with transaction.atomic():
        endpoint.previous_secret_encrypted = endpoint.secret_encrypted
        endpoint.previous_secret_expires_at = timezone.now() + PREVIOUS_SECRET_VALIDITY
        endpoint.secret_encrypted = signing.secret_encrypt(secret)
        endpoint.secret_hint = secret[: signing.HINT_LENGTH]
        endpoint.save(
            update_fields=[
                "previous_secret_encrypted",
                "previous_secret_expires_at",
                "secret_encrypted",
                "secret_hint",
                "updated_at",
            ]
        )
        audit_log(actor=actor, action="webhook_endpoint.secret_rotated", target=endpoint)
    return endpoint, secret


def endpoint_test_send(*, actor: Any, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Send a ``webhook.test`` event to this endpoint only (whatever event types it chose)."""
    if not endpoint.is_enabled:
        raise field_error("id", "Enable the endpoint first.", Code.ENDPOINT_DISABLED)
    now = timezone.now()
    with transaction.atomic():
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint,
            event_id=uuid.uuid4(),
            event_name=TEST_EVENT_NAME,
            event_version=TEST_EVENT_TYPE.version,
            payload={"endpoint_id": endpoint.pk, "message": "A test event sent from the webhooks page."},
            occurred_at=now,
            next_attempt_at=now,
        )
        audit_log(actor=actor, action="webhook_endpoint.test_sent", target=endpoint)
        _queue(delivery.pk)
    return delivery


# --- deliveries --------------------------------------------------------------------------------


def _queue(delivery_id: int, trigger: str = AttemptTrigger.AUTOMATIC, countdown: float = 0) -> None:
    """Queue an attempt after commit, in the current brand's schema (``core.tasks``' way, with
    a countdown for short retry delays)."""
    from webhooks.tasks import webhook_delivery_task  # tasks import this module

    schema_name = current_schema()

    def send() -> None:
        webhook_delivery_task.apply_async(
            args=(delivery_id, str(trigger)),
            countdown=countdown or None,
            headers={"_schema_name": schema_name},
        )

    transaction.on_commit(send)


def deliveries_create(event: Event) -> list[int]:
    """One delivery of ``event`` per enabled endpoint that wants it (idempotent: the event id is
    the delivery's key per endpoint), each queued for a first attempt after commit."""
    endpoints = [e for e in WebhookEndpoint.objects.filter(is_enabled=True) if e.wants(event.name)]
    if not endpoints:
        return []
    now = timezone.now()
    WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                endpoint=endpoint,
                event_id=event.id,
                event_name=event.name,
                event_version=event.version,
                payload=event.payload,
                occurred_at=event.occurred_at,
                next_attempt_at=now,
            )
            for endpoint in endpoints
        ],
        ignore_conflicts=True,
    )
    # Queue the ones still waiting (a re-run of this handler queues them again: harmless, the
    # claim lets one attempt through).
    pending = list(
        WebhookDelivery.objects.filter(
            event_id=event.id, endpoint__in=endpoints, status=DeliveryStatus.PENDING, attempt_count=0
        ).values_list("pk", flat=True)
    )
    for delivery_id in pending:
        _queue(delivery_id)
    return pending


def envelope(delivery: WebhookDelivery) -> str:
    """The body, the same bytes on every attempt: Standard Webhooks' ``type``/``timestamp``/``data``."""
    return json.dumps(
        {
            "type": delivery.event_name,
            "timestamp": delivery.occurred_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
            "data": delivery.payload,
        },
        separators=(",", ":"),
        sort_keys=True,
    )


def _secrets_in_use(endpoint: WebhookEndpoint, now: dt.datetime) -> list[str]:
    in_use = [signing.secret_decrypt(endpoint.secret_encrypted)]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret_encrypted and expires is not None and expires > now:
        in_use.append(signing.secret_decrypt(endpoint.previous_secret_encrypted))
    return in_use


def next_attempt_delay(
    *, attempt_count: int, first_attempt_at: dt.datetime, now: dt.datetime
) -> dt.timedelta | None:
    """After ``attempt_count`` failed attempts: how long until the next, or None (given up)."""
    schedule = list(settings.WEBHOOKS_RETRY_SCHEDULE_SECONDS)
    if not schedule:
        return None
    delay = dt.timedelta(seconds=schedule[min(attempt_count - 1, len(schedule) - 1)])
    window_end = first_attempt_at + dt.timedelta(seconds=settings.WEBHOOKS_RETRY_WINDOW_SECONDS)
    return delay if now + delay <= window_end else None


def _claim(delivery_id: int, now: dt.datetime) -> bool:
    return bool(
        WebhookDelivery.objects.filter(
            pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now + CLAIM_TOLERANCE
        ).update(next_attempt_at=now + CLAIM_LEASE)
    )


def delivery_attempt(
    *, delivery_id: int, trigger: str = AttemptTrigger.AUTOMATIC
) -> WebhookDeliveryAttempt | None:
    """Attempt one due delivery (the task's body). None when there was nothing to do: not due,
    already delivered or given up, claimed by another worker, or its endpoint is disabled."""
    now = timezone.now()
    if not _claim(delivery_id, now):
        return None
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None:  # its endpoint was deleted in between
        return None
    endpoint = delivery.endpoint
    if not endpoint.is_enabled:
        WebhookDelivery.objects.filter(pk=delivery_id).update(
            status=DeliveryStatus.FAILED, next_attempt_at=None
        )
        return None
    body = envelope(delivery)
    headers = signing.signature_headers(
        secrets_in_use=_secrets_in_use(endpoint, now),
        message_id=str(delivery.event_id),
        timestamp=now,
        body=body,
    )
    result = transport.post(url=endpoint.url, body=body, headers=headers)
    return _attempt_record(delivery_id=delivery_id, trigger=trigger, started=now, result=result)


def _attempt_record(
    *, delivery_id: int, trigger: str, started: dt.datetime, result: transport.PostResult
) -> WebhookDeliveryAttempt | None:
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().filter(pk=delivery_id).first()
        if delivery is None:  # the endpoint was deleted while the request was on its way
            return None
        # One place locks the endpoint: its failure clock and its disabling stay consistent
        # when deliveries of one endpoint finish at once.
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
        attempt = WebhookDeliveryAttempt.objects.create(
            delivery=delivery,
            created_at=started,
            trigger=trigger,
            is_success=result.is_success,
            response_status_code=result.status_code,
            response_body=result.body_excerpt,
            duration_ms=result.duration_ms,
            error=result.error[:500],
            target_ip=result.target_ip,
        )
        now = timezone.now()
        delivery.attempt_count += 1
        delivery.last_attempt_at = started
        if result.is_success:
            delivery.status = DeliveryStatus.SUCCESS
            delivery.next_attempt_at = None
            if endpoint.failing_since is not None:
                endpoint.failing_since = None
                endpoint.save(update_fields=["failing_since"])
        else:
            delay = next_attempt_delay(
                attempt_count=delivery.attempt_count, first_attempt_at=delivery.created_at, now=now
            )
            if delay is None:
                delivery.status = DeliveryStatus.FAILED
                delivery.next_attempt_at = None
            else:
                delivery.status = DeliveryStatus.PENDING
                delivery.next_attempt_at = now + delay
                if delay.total_seconds() <= settings.WEBHOOKS_RETRY_COUNTDOWN_MAX_SECONDS:
                    _queue(delivery.pk, countdown=delay.total_seconds())
            _endpoint_failure(endpoint, now)
        delivery.save(update_fields=["attempt_count", "last_attempt_at", "status", "next_attempt_at"])
    return attempt


def _endpoint_failure(endpoint: WebhookEndpoint, now: dt.datetime) -> None:
    if endpoint.failing_since is None:
        endpoint.failing_since = now
        endpoint.save(update_fields=["failing_since"])
        return
    if not endpoint.is_enabled:
        return
    if now - endpoint.failing_since >= dt.timedelta(seconds=settings.WEBHOOKS_DISABLE_AFTER_SECONDS):
        endpoint.is_enabled = False
        endpoint.disabled_reason = DisabledReason.FAILING
        endpoint.disabled_at = now
        endpoint.save(update_fields=["is_enabled", "disabled_reason", "disabled_at"])
        audit_log(actor=None, action="webhook_endpoint.disabled", target=endpoint, reason="failing")
        from webhooks.tasks import webhook_endpoint_disabled_email_task

        enqueue_on_commit(webhook_endpoint_disabled_email_task, endpoint.pk)


def delivery_replay(*, actor: Any, delivery: WebhookDelivery) -> WebhookDelivery:
    """Queue a new attempt of ``delivery`` now: the same body and ``webhook-id``."""
    if not delivery.endpoint.is_enabled:
        raise field_error("id", "Enable the endpoint before replaying.", Code.ENDPOINT_DISABLED)
    with transaction.atomic():
        now = timezone.now()
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.PENDING, next_attempt_at=now
        )
        audit_log(
            actor=actor, action="webhook_delivery.replayed", target=delivery, event_id=str(delivery.event_id)
        )
        _queue(delivery.pk, AttemptTrigger.REPLAY)
    delivery.refresh_from_db()
    return delivery


def deliveries_due(*, now: dt.datetime | None = None, limit: int = 500) -> list[int]:
    """Deliveries whose attempt is due and was not queued with a countdown (a long delay) or
    whose worker died holding the claim; a grace leaves freshly queued ones to their task."""
    now = now or timezone.now()
    grace = dt.timedelta(seconds=settings.WEBHOOKS_SWEEP_GRACE_SECONDS)
    return list(
        WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now - grace)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def deliveries_purge(*, now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.WEBHOOKS_DELIVERY_RETENTION_DAYS)
    stale = list(
        WebhookDelivery.objects.filter(created_at__lt=cutoff)
        .exclude(status=DeliveryStatus.PENDING)
        .values_list("pk", flat=True)[:5000]
    )
    deleted, _ = WebhookDelivery.objects.filter(pk__in=stale).delete()
    return deleted
