"""On-demand TLS: may the reverse proxy obtain a certificate for this host?

Caddy (``infra/docker/Caddyfile``) issues certificates on demand for brands' custom domains and
asks first: ``GET /internal/tls-ask?domain=<host>`` must answer 200 only for a host the platform
serves (a Domain row of a brand or of the root domain), or anyone pointing a name at the server
could make it request certificates until the authority's rate limits lock every brand out. A
brand's custom domain becomes a Domain row only once verified (tenants.custom_domains): a
pending claim gets no certificate.

Answered before tenancy (Caddy asks with its own Host header); the proxy refuses ``/internal/``
from the outside.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django_tenants.utils import get_public_schema_name, schema_context

from tenants.selectors import tenant_for_host

TLS_ASK_PATH = "/internal/tls-ask"


def tls_certificate_allowed(*, domain: str) -> bool:
    with schema_context(get_public_schema_name()):
        return bool(domain) and tenant_for_host(domain) is not None


class TlsAskMiddleware:
    """Placed right after ``core.health.HealthCheckMiddleware``, before the tenant middleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path != TLS_ASK_PATH:
            return self.get_response(request)
        allowed = tls_certificate_allowed(domain=request.GET.get("domain", ""))
        response = HttpResponse(b"", status=200 if allowed else 404)
        response["Cache-Control"] = "no-store"
        return response
