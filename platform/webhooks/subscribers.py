"""Every public event of the registry goes to the endpoints that want it (after commit)."""

from __future__ import annotations

from core.events import EVENT_TYPES, Event, subscriber
from webhooks.services import deliveries_create

PUBLIC_EVENTS = tuple(event_type.name for event_type in EVENT_TYPES if event_type.public)


@subscriber(*PUBLIC_EVENTS)
def webhook_deliveries_create(event: Event) -> None:
    deliveries_create(event)
