"""Fixed-window rate limits in the Django cache (Redis). Keys carry the brand's schema
through the cache's tenant-aware key function, so brands never share a bucket."""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.core.cache import cache


@dataclass(frozen=True)
class RateLimitState:
    count: int
    limit: int
    retry_after_seconds: int

    @property
    def is_exceeded(self) -> bool:
        return self.count >= self.limit


def _window_key(bucket: str, window_seconds: int) -> tuple[str, int]:
    now = int(time.time())
    window_start = now - now % window_seconds
    return f"ratelimit:{bucket}:{window_start}", window_start + window_seconds - now


def rate_limit_peek(bucket: str, *, limit: int, window_seconds: int) -> RateLimitState:
    key, retry_after = _window_key(bucket, window_seconds)
    return RateLimitState(count=int(cache.get(key, 0)), limit=limit, retry_after_seconds=retry_after)


def rate_limit_hit(bucket: str, *, limit: int, window_seconds: int) -> RateLimitState:
    """Count one event in the bucket's current window (atomic INCR) and return the new state."""
    key, retry_after = _window_key(bucket, window_seconds)
    cache.add(key, 0, timeout=window_seconds + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # the key expired between add and incr
        cache.add(key, 1, timeout=window_seconds + 1)
        count = 1
    return RateLimitState(count=count, limit=limit, retry_after_seconds=retry_after)


def rate_limit_reset(bucket: str, *, window_seconds: int) -> None:
    key, _ = _window_key(bucket, window_seconds)
    cache.delete(key)
