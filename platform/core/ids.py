"""Time-ordered identifiers. Clicks use UUIDv7: unguessable enough to travel in URLs and
cookies, and ordered by time so that inserts append to the index (a random uuid4 key
halves insert speed)."""

from __future__ import annotations

import uuid

from uuid6 import uuid7


def new_time_ordered_id() -> uuid.UUID:
    return uuid.UUID(int=uuid7().int)
