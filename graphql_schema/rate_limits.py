"""API rate limits on ``/graphql/`` over HTTP: one bucket per API token, per signed-in user
(session) or per anonymous client IP, a minute long, per brand (the cache key carries the
brand's schema). Limits are brand settings (``Tenant.api_rate_limit_per_*``), else the
platform's defaults (``settings.API_RATE_LIMIT_PER_TOKEN`` / ``_PER_USER`` / ``_PER_IP``).

Every answer carries ``X-RateLimit-Limit``, ``X-RateLimit-Remaining`` and
``X-RateLimit-Reset`` (seconds until the current window ends); beyond the limit the answer is
429 with ``Retry-After`` and a GraphQL error with the code ``RATE_LIMITED``. A refused request
does not count (its slot is released): a client that keeps retrying is not locked out longer.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase, JsonResponse

from core.clientip import client_ip
from core.ratelimit import RateLimitSlot, rate_limit_acquire, rate_limit_release

API_RATE_LIMIT_WINDOW_SECONDS = 60


@dataclass(frozen=True)
class ApiQuota:
    limit: int
    slot: RateLimitSlot

    def apply_headers(self, response: HttpResponseBase) -> HttpResponseBase:
        remaining = max(0, int(self.limit - self.slot.count)) if self.slot.allowed else 0
        response["X-RateLimit-Limit"] = str(self.limit)
        response["X-RateLimit-Remaining"] = str(remaining)
        response["X-RateLimit-Reset"] = str(self.slot.retry_after_seconds)
        return response


def api_quota_acquire(request: HttpRequest) -> ApiQuota:
    """Count this request in its bucket (call it after authentication)."""
    tenant = request.tenant  # type: ignore[attr-defined]
    token = getattr(request, "api_token", None)
    user = request.user
    if token is not None:
        bucket, limit = (
            f"api:token:{token.pk}",
            tenant.api_rate_limit_per_token or settings.API_RATE_LIMIT_PER_TOKEN,
        )
    elif user.is_authenticated:
        bucket, limit = (
            f"api:user:{user.pk}",
            tenant.api_rate_limit_per_user or settings.API_RATE_LIMIT_PER_USER,
        )
    else:
        bucket, limit = (
            f"api:ip:{client_ip(request)}",
            tenant.api_rate_limit_per_ip or settings.API_RATE_LIMIT_PER_IP,
        )
    slot = rate_limit_acquire(bucket, limit=limit, window_seconds=API_RATE_LIMIT_WINDOW_SECONDS)
    if not slot.allowed:
        rate_limit_release(slot)
    return ApiQuota(limit=limit, slot=slot)


def rate_limited_response(quota: ApiQuota) -> HttpResponseBase:
    seconds = quota.slot.retry_after_seconds
    response = JsonResponse(
        {
            "errors": [
                {
                    "message": f"Too many requests: at most {quota.limit} a minute. Retry in {seconds} s.",
                    "extensions": {"code": "RATE_LIMITED", "retryAfter": seconds},
                }
            ]
        },
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return quota.apply_headers(response)
