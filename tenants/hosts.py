"""HTTP behaviour tied to a brand's custom domains (tenants.custom_domains).

* ``DomainVerificationMiddleware`` (before tenancy): answers
  ``/.well-known/affiliate-verify/<token>`` on a host that is claimed but not served yet, so
  that the HTTP check passes once the domain points at the platform. Every other host and
  token gets the same 404 as an unknown host.
* ``CanonicalHostMiddleware`` (after tenancy): when a brand's primary host is a custom domain,
  its web pages (the app, the sitemap, robots.txt) answer a 301 to the same path there from the
  brand's other hosts (its subdomain, other custom domains). The API (``/graphql/``),
  websockets, postbacks, QR codes, files and the click lane (``/r/``, in front of Django) keep
  answering on every host: integrations and printed links made before the switch keep working.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponsePermanentRedirect
from django_tenants.utils import get_public_schema_name, schema_context

from tenants.domain_checks import WELL_KNOWN_PREFIX
from tenants.models import TenantKind
from tenants.selectors import (
    brand_canonical_host,
    brand_subdomain_host,
    normalize_host,
    public_base_url,
    verification_token_answered,
)

# URL names (webapp.urls, config.urls_tenant) of what a person or a crawler reads as a page.
CANONICAL_URL_NAMES = frozenset({"webapp", "sitemap", "robots"})


class DomainVerificationMiddleware:
    """Placed right after ``tenants.tls.TlsAskMiddleware``, before the tenant middleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not request.path.startswith(WELL_KNOWN_PREFIX):
            return self.get_response(request)
        token = request.path.removeprefix(WELL_KNOWN_PREFIX)
        host = normalize_host(request.META.get("HTTP_HOST", ""))
        with schema_context(get_public_schema_name()):
            answered = request.method in ("GET", "HEAD") and verification_token_answered(host, token)
        response = HttpResponse(
            token if answered else "Not found", status=200 if answered else 404, content_type="text/plain"
        )
        response["Cache-Control"] = "no-store"
        return response


class CanonicalHostMiddleware:
    """Placed after the tenant middleware; acts once the view is resolved (``process_view``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: object, view_args: object, view_kwargs: object
    ) -> HttpResponseBase | None:
        match = request.resolver_match
        tenant = getattr(request, "tenant", None)
        if (
            request.method not in ("GET", "HEAD")
            or match is None
            or match.url_name not in CANONICAL_URL_NAMES
            or tenant is None
            or tenant.kind != TenantKind.BRAND
        ):
            return None
        canonical = brand_canonical_host(tenant)
        if not canonical or canonical == brand_subdomain_host(tenant):  # no custom domain is primary
            return None
        if normalize_host(request.get_host()) == canonical:
            return None
        return HttpResponsePermanentRedirect(public_base_url(canonical) + request.get_full_path())
