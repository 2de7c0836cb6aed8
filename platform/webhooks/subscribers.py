"""Every public event of the registry goes to the endpoints that want it (after commit)."""

from __future__ import annotations

from django_tenants.utils import get_public_schema_name

from core.events import EVENT_TYPES, Event, subscriber
from webhooks.services import deliveries_create

PUBLIC_EVENTS = tuple(event_type.name for event_type in EVENT_TYPES if event_type.public)


@subscriber(*PUBLIC_EVENTS)
def webhook_deliveries_create(event: Event) -> None:
    # Endpoints belong to brands: an event recorded in the public schema (an operator's own)
    # has nobody to go to, and the public schema has no endpoint table to look in.
    if event.schema_name == get_public_schema_name():
        return
    deliveries_create(event)
