"""Publishing live events to a brand's channel-layer groups (``<schema>.<topic>``)."""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from redis.exceptions import RedisError

from core.tenancy import current_schema

logger = logging.getLogger(__name__)


def group_name(schema_name: str, topic: str) -> str:
    """Channel-layer group of one topic of one brand. Groups never cross brands."""
    return f"{schema_name}.{topic}"


def publish_on_commit(*, topic: str, message_type: str, payload: dict[str, Any]) -> None:
    """Send ``payload`` to the current brand's ``topic`` group once the transaction commits."""
    schema_name = current_schema()
    group = group_name(schema_name, topic)
    message = {"type": message_type, "payload": payload}

    def send() -> None:
        channel_layer = get_channel_layer()
        if channel_layer is None:
            return
        try:
            async_to_sync(channel_layer.group_send)(group, message)
        except (RedisError, OSError) as error:
            # The change is committed; a live tick is best effort. A write (a logout, a paid
            # order) must not fail because Redis is away: subscribers get a fresh snapshot
            # when they reconnect, and websockets re-check their credentials on every operation.
            logger.warning("live event %s to %s not sent: %s", message_type, group, error)

    transaction.on_commit(send)
