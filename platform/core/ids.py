"""Time-ordered identifiers: UUIDv7 (RFC 9562), the server's Unix time in milliseconds then
74 random bits.

Clicks use them: unguessable enough to travel in URLs and cookies, and ordered by time so
that inserts append to the index (a random uuid4 key halves insert speed). Random bits within
the millisecond, rather than a counter pushing the millisecond forward (uuid6's generator),
keep the embedded time true at any rate: first-click cookies read their age from it.
"""

from __future__ import annotations

import os
import secrets
import time
import uuid

_RANDOM_BITS = ((1 << 80) - 1) & ~(0xF << 76) & ~(0x3 << 62)
_VERSION_AND_VARIANT = (0x7 << 76) | (0x2 << 62)


def uuid7_string(now_ms: int | None = None) -> str:
    """A UUIDv7 in its canonical text form (the click lane's hot path wants the string)."""
    if now_ms is None:
        now_ms = time.time_ns() // 1_000_000
    value = now_ms << 80 | (int.from_bytes(os.urandom(10)) & _RANDOM_BITS) | _VERSION_AND_VARIANT
    digits = f"{value:032x}"
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


def new_time_ordered_id() -> uuid.UUID:
    return uuid.UUID(uuid7_string())


def uuid7_milliseconds(value: uuid.UUID) -> int:
    """The Unix time in milliseconds a UUIDv7 was made at."""
    return value.int >> 80


# The first-party cookie the click lane sets on the brand's host: the id of the visitor's last
# tracked click (attribution of signups and sales).
CLICK_COOKIE = "afp_click"

# Crockford's base 32: no I, L, O, U, so codes survive being read aloud or typed from paper
# (order numbers, voucher codes, payment references).
CROCKFORD_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def readable_code(length: int) -> str:
    """``length`` random characters of Crockford's base 32 (5 random bits each)."""
    return "".join(secrets.choice(CROCKFORD_ALPHABET) for _ in range(length))
