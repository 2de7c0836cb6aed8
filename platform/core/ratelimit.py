"""Rate limits in the Django cache (Redis): sliding-window counters.

Each bucket counts events per fixed window; the estimate adds the previous window's count
weighted by how much of it still overlaps the last ``window_seconds``, so a burst cannot
slip through at a window's edge. Keys carry the brand's schema through the cache's
tenant-aware key function: brands never share a bucket.
"""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError


@dataclass(frozen=True)
class RateLimitState:
    count: float
    limit: int
    retry_after_seconds: int

    @property
    def is_exceeded(self) -> bool:
        return self.count >= self.limit


class RateLimited(ValidationError):
    """A user error (``ValidationError``) that also says when to retry: the API answers it
    with HTTP 429 and ``Retry-After``."""

    def __init__(self, message: Any, *, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


@dataclass(frozen=True)
class RateLimitSlot:
    """One event counted by ``rate_limit_acquire``: ``allowed`` if it fits in the limit.
    ``rate_limit_release`` takes it back (an attempt refused, or one that turned out not to
    be what the limit counts, such as a successful login)."""

    key: str
    allowed: bool
    retry_after_seconds: int
    count: float = 0.0  # the bucket's estimate, this event included (for X-RateLimit-Remaining)


def _windows(bucket: str, window_seconds: int) -> tuple[str, str, float, int]:
    """(current key, previous key, weight of the previous window, seconds to the next window)."""
    now = time.time()
    index = int(now // window_seconds)
    elapsed = now - index * window_seconds
    weight = 1 - elapsed / window_seconds
    return (
        f"ratelimit:{bucket}:{index}",
        f"ratelimit:{bucket}:{index - 1}",
        weight,
        max(1, math.ceil(window_seconds - elapsed)),
    )


def _state(current: int, previous: int, weight: float, limit: int, retry_after: int) -> RateLimitState:
    return RateLimitState(count=current + previous * weight, limit=limit, retry_after_seconds=retry_after)


def rate_limit_peek(bucket: str, *, limit: int, window_seconds: int) -> RateLimitState:
    current_key, previous_key, weight, retry_after = _windows(bucket, window_seconds)
    counts = cache.get_many([current_key, previous_key])
    return _state(
        int(counts.get(current_key, 0)), int(counts.get(previous_key, 0)), weight, limit, retry_after
    )


def rate_limit_hit(bucket: str, *, limit: int, window_seconds: int) -> RateLimitState:
    """Count one event (atomic INCR) and return the bucket's new state."""
    current_key, previous_key, weight, retry_after = _windows(bucket, window_seconds)
    cache.add(current_key, 0, timeout=2 * window_seconds + 1)
    try:
        current = cache.incr(current_key)
    except ValueError:  # the key expired between add and incr
        cache.add(current_key, 1, timeout=2 * window_seconds + 1)
        current = 1
    previous = int(cache.get(previous_key, 0))
    return _state(current, previous, weight, limit, retry_after)


def rate_limit_reset(bucket: str, *, window_seconds: int) -> None:
    current_key, previous_key, _, _ = _windows(bucket, window_seconds)
    cache.delete_many([current_key, previous_key])


def rate_limit_acquire(bucket: str, *, limit: int, window_seconds: int) -> RateLimitSlot:
    """Count one event first, then check it (one atomic INCR, never a read then a write):
    of any number of concurrent events, exactly those that fit in ``limit`` are allowed.
    Release the slot of an event that must not count (refused, or successful)."""
    current_key, previous_key, weight, retry_after = _windows(bucket, window_seconds)
    cache.add(current_key, 0, timeout=2 * window_seconds + 1)
    try:
        current = int(cache.incr(current_key))
    except ValueError:  # the key expired between add and incr
        cache.add(current_key, 1, timeout=2 * window_seconds + 1)
        current = 1
    previous = int(cache.get(previous_key, 0))
    count = current + previous * weight
    return RateLimitSlot(
        key=current_key, allowed=count <= limit, retry_after_seconds=retry_after, count=count
    )


def rate_limit_release(slot: RateLimitSlot) -> None:
    with contextlib.suppress(ValueError):  # expired, or reset meanwhile: nothing to take back
        cache.decr(slot.key)
