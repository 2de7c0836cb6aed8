"""Reads of the webhooks app: endpoints, delivery logs, the event catalogue."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from accounts.models import Role, User
from core.events import REGISTRY, EventType
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookDeliveryAttempt, WebhookEndpoint


def endpoints() -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.all()


def endpoint_by_id(endpoint_id: int) -> WebhookEndpoint | None:
    return WebhookEndpoint.objects.filter(pk=endpoint_id).first()


def deliveries_of(
    *, endpoint: WebhookEndpoint, status: DeliveryStatus | None = None
) -> QuerySet[WebhookDelivery]:
    deliveries = WebhookDelivery.objects.filter(endpoint=endpoint)
    if status is not None:
        deliveries = deliveries.filter(status=status)
    return deliveries


def with_attempts(deliveries: list[WebhookDelivery]) -> list[WebhookDelivery]:
    """Load the attempts of a page of deliveries in one query."""
    from django.db.models import prefetch_related_objects

    prefetch_related_objects(
        deliveries, Prefetch("attempts", queryset=WebhookDeliveryAttempt.objects.order_by("id"))
    )
    return deliveries


def delivery_by_id(delivery_id: int) -> WebhookDelivery | None:
    return WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()


def public_event_types() -> list[EventType]:
    return sorted((t for t in REGISTRY.types.values() if t.public), key=lambda t: t.name)


def brand_admin_emails() -> list[str]:
    return list(
        User.objects.filter(role=Role.BRAND_ADMIN, is_active=True)
        .order_by("pk")
        .values_list("email", flat=True)
    )
