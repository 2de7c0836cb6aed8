"""Security headers on every Django response: Content-Security-Policy (django-csp, with a
nonce per request), Permissions-Policy and Reporting-Endpoints.

The policy itself is in ``settings.CONTENT_SECURITY_POLICY`` (see base.py and README.md,
"Security headers"). Two sources depend on the deployment and the request, so they are added
here at response time rather than written into the settings:

* ``img-src``: the origin the storage's presigned URLs point at (``AWS_S3_CUSTOM_DOMAIN``,
  else ``AWS_S3_ENDPOINT_URL``, else the bucket's AWS hosts): ``/media/<key>`` redirects there;
* ``connect-src``: the websocket origin of the request's own host (``ws://`` or ``wss://``),
  where the app's GraphQL subscriptions go. CSP Level 3 lets ``'self'`` match it, older
  browsers do not.

Django's ``SecurityMiddleware`` sends ``X-Content-Type-Options: nosniff``, the
``Referrer-Policy``, HSTS (production) and the Cross-Origin-Opener-Policy;
``XFrameOptionsMiddleware`` sends ``X-Frame-Options: DENY`` (with ``frame-ancestors 'none'``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from urllib.parse import urlsplit

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponseBase

CSP_REPORT_PATH = "/csp-report/"
CSP_REPORT_GROUP = "csp-endpoint"


@lru_cache(maxsize=8)
def storage_origins(
    *, custom_domain: str | None, endpoint_url: str | None, bucket: str, region: str
) -> tuple[str, ...]:
    """The origins presigned storage URLs point at (none for local disk: ``'self'`` serves it)."""
    if custom_domain:
        return (f"https://{custom_domain}",)
    if endpoint_url:
        parts = urlsplit(endpoint_url)
        origins = [f"{parts.scheme}://{parts.netloc}"]
        if bucket:  # virtual-hosted addressing: <bucket>.<endpoint host>
            origins.append(f"{parts.scheme}://{bucket}.{parts.netloc}")
        return tuple(origins)
    if bucket:
        return (f"https://{bucket}.s3.amazonaws.com", f"https://{bucket}.s3.{region}.amazonaws.com")
    return ()


def _storage_origins() -> tuple[str, ...]:
    return storage_origins(
        custom_domain=getattr(settings, "AWS_S3_CUSTOM_DOMAIN", None) or None,
        endpoint_url=getattr(settings, "AWS_S3_ENDPOINT_URL", None) or None,
        bucket=getattr(settings, "AWS_STORAGE_BUCKET_NAME", "") or "",
        region=getattr(settings, "AWS_S3_REGION_NAME", "") or "",
    )


class PlatformCSPMiddleware(CSPMiddleware):
    """django-csp's middleware plus the storage origin (images) and the websocket origin."""

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if report_only:
            return parts
        update = dict(parts.update or {})
        images = _storage_origins()
        if images:
            update["img-src"] = tuple(update.get("img-src") or ()) + images
        try:
            host = request.get_host()
        except DisallowedHost:  # no websocket origin to allow
            host = ""
        if host:
            scheme = "wss" if request.is_secure() else "ws"
            update["connect-src"] = (*tuple(update.get("connect-src") or ()), f"{scheme}://{host}")
        parts.update = update
        return parts


class SecurityHeadersMiddleware:
    """``Permissions-Policy`` (powerful features off) and ``Reporting-Endpoints`` (where the
    CSP's ``report-to`` group posts), on every response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        policy = getattr(settings, "PERMISSIONS_POLICY", "")
        if policy and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = policy
        if "Reporting-Endpoints" not in response:
            response["Reporting-Endpoints"] = f'{CSP_REPORT_GROUP}="{CSP_REPORT_PATH}"'
        return response
