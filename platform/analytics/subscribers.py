"""How analytics hears that something happened elsewhere: it subscribes to domain events
(``core.events``); nobody calls into analytics to tell it. Each handler runs after the commit of
the change (``Phase.AFTER_COMMIT``, from the outbox, at least once) and only enqueues a task: the
engine's transactions never wait on rollup rows, and the tasks are idempotent.

- ``conversion.created`` / ``conversion.refunded`` (the engine's ``conversion_record`` and
  ``conversion_refund``, through which every sale passes: postbacks, the API, marketplace
  orders, Stripe invoices) → ``conversion_rollup_sync_task``. The task reads the conversion as
  committed, so it does not matter how often it runs.
- ``user.signed_up`` (``accounts.services.user_signup``) with the ``afp_click`` cookie the click
  lane set on the brand's host → ``signup_attribute_task``: the click → signup funnel step.
"""

from __future__ import annotations

import re

from django_tenants.utils import get_public_schema_name

from analytics.tasks import conversion_rollup_sync_task, signup_attribute_task
from core.events import Event, subscriber
from core.tasks import enqueue_on_commit

_CLICK_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@subscriber("conversion.created", "conversion.refunded")
def conversion_rollup_changed(event: Event) -> None:
    """Bring the rollups up to date with the conversion."""
    if event.schema_name == get_public_schema_name():
        return
    enqueue_on_commit(conversion_rollup_sync_task, int(event.payload["conversion_id"]))


@subscriber("user.signed_up")
def signup_recorded(event: Event) -> None:
    """Attribute a new user to the click their ``afp_click`` cookie named, if any."""
    click_id = str(event.payload["click_id"] or "").strip().lower()
    if not _CLICK_ID.fullmatch(click_id) or event.schema_name == get_public_schema_name():
        return
    enqueue_on_commit(signup_attribute_task, int(event.payload["user_id"]), click_id)
