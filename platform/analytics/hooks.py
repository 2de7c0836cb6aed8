"""Where other domains tell analytics that something happened. Each hook only enqueues a
task after the commit: the engine's transactions never wait on rollup rows.

- A conversion recorded or refunded → ``conversion_rollup_changed``, called by the engine's
  ``conversion_record`` and ``conversion_refund``, through which every sale passes (postbacks,
  the API, marketplace orders, Stripe invoices) → ``conversion_rollup_sync_task``. The task
  reads the conversion as committed, so it does not matter how often one transaction calls it.
- A user signed up on the brand → ``signup_recorded``, called by ``accounts.services.
  user_signup`` with the request: the ``afp_click`` cookie the click lane set on the brand's
  host names the click the signup comes from.
"""

from __future__ import annotations

import re
from typing import Any

from django.http import HttpRequest
from django_tenants.utils import get_public_schema_name

from core.tasks import enqueue_on_commit
from core.tenancy import current_schema

_CLICK_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def conversion_rollup_changed(conversion: Any) -> None:
    """Bring the rollups up to date with ``conversion`` once the caller's transaction commits."""
    if current_schema() == get_public_schema_name():
        return
    from analytics.tasks import conversion_rollup_sync_task

    enqueue_on_commit(conversion_rollup_sync_task, conversion.pk)


def signup_recorded(*, request: HttpRequest, user: Any) -> None:
    """Attribute a new user to the click in their ``afp_click`` cookie, if any (after commit)."""
    from tracking.keys import CLICK_COOKIE

    click_id = str(request.COOKIES.get(CLICK_COOKIE, "")).strip().lower()
    if not _CLICK_ID.fullmatch(click_id) or current_schema() == get_public_schema_name():
        return
    from analytics.tasks import signup_attribute_task

    enqueue_on_commit(signup_attribute_task, user.pk, click_id)
