"""``POST /csp-report/``: where browsers report Content-Security-Policy violations.

Both report formats are accepted: ``application/csp-report`` (the ``report-uri`` directive:
``{"csp-report": {...}}``) and ``application/reports+json`` (the ``report-to`` directive and
``Reporting-Endpoints``: ``[{"type": "csp-violation", "body": {...}}]``). Each violation is
logged at WARNING with the brand; nothing is stored. Bodies are capped
(``CSP_REPORT_MAX_BYTES``) and reports are throttled per client IP per brand
(``CSP_REPORT_RATE_LIMIT`` a minute): a page cannot be turned into a log flood. Browsers send
reports without a CSRF token, so the view is CSRF-exempt (it changes nothing).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.http import parse_header_parameters
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from core.clientip import client_ip
from core.ratelimit import rate_limit_acquire

logger = logging.getLogger("security.csp")

REPORT_CONTENT_TYPES = frozenset({"application/csp-report", "application/reports+json", "application/json"})
_FIELDS = (
    ("document-uri", "documentURL"),
    ("violated-directive", "effectiveDirective"),
    ("effective-directive", "effectiveDirective"),
    ("blocked-uri", "blockedURL"),
    ("source-file", "sourceFile"),
    ("line-number", "lineNumber"),
    ("disposition", "disposition"),
)


def _violations(payload: Any) -> list[dict[str, Any]]:
    """The violations of either format, with the ``report-uri`` format's field names."""
    if isinstance(payload, dict) and isinstance(payload.get("csp-report"), dict):
        return [payload["csp-report"]]
    if isinstance(payload, list):
        found = []
        for report in payload:
            if isinstance(report, dict) and report.get("type") == "csp-violation":
                body = report.get("body")
                if isinstance(body, dict):
                    found.append({old: body.get(new) for old, new in _FIELDS if body.get(new) is not None})
        return found
    return []


@csrf_exempt
@require_POST
def csp_report_view(request: HttpRequest) -> HttpResponse:
    content_type, _ = parse_header_parameters(request.META.get("CONTENT_TYPE", ""))
    if content_type not in REPORT_CONTENT_TYPES:
        return HttpResponse(status=415)
    cap = settings.CSP_REPORT_MAX_BYTES
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > cap:
        return HttpResponse(status=413)
    slot = rate_limit_acquire(
        f"csp-report:{client_ip(request)}", limit=settings.CSP_REPORT_RATE_LIMIT, window_seconds=60
    )
    if not slot.allowed:
        response = HttpResponse(status=429)
        response["Retry-After"] = str(slot.retry_after_seconds)
        return response
    body = request.read(cap + 1)
    if len(body) > cap:
        return HttpResponse(status=413)
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return HttpResponse(status=400)
    brand = getattr(request.tenant, "name", "") or request.tenant.schema_name  # type: ignore[attr-defined]
    for violation in _violations(payload)[:20]:
        logger.warning(
            "CSP violation on brand %s: %s blocked %s on %s",
            brand,
            str(violation.get("effective-directive") or violation.get("violated-directive") or "?")[:100],
            str(violation.get("blocked-uri") or "?")[:300],
            str(violation.get("document-uri") or "?")[:300],
            extra={"brand": brand, "csp_violation": {k: str(v)[:300] for k, v in violation.items()}},
        )
    return HttpResponse(status=204)
