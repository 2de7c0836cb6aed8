"""Domain events and live publishing.

- The registry (``registry``, declarations in ``catalog``): ``emit`` records an event in the
  transaction of the change (an outbox row in the brand's schema), ``@subscriber`` listens.
  See ARCHITECTURE.md, "Events", and the README's architecture section.
- Live ticks (``live``): ``publish_on_commit`` sends to a brand's channel-layer group after
  commit; live subscriptions are one kind of subscriber.
"""

from __future__ import annotations

from core.events.catalog import EVENT_TYPES
from core.events.live import group_name, publish_on_commit
from core.events.outbox import dispatch, emit, outbox_sweep
from core.events.registry import REGISTRY, Event, EventType, PayloadField, Phase, subscriber

REGISTRY.declare(EVENT_TYPES)


__all__ = [
    "EVENT_TYPES",
    "REGISTRY",
    "Event",
    "EventType",
    "PayloadField",
    "Phase",
    "dispatch",
    "emit",
    "group_name",
    "outbox_sweep",
    "publish_on_commit",
    "subscriber",
]
