"""HTTP endpoints of analytics on a brand's host: the page-view beacon and the CSV export.

``POST /a/collect`` takes a small JSON body sent by the brand's own pages (``navigator.
sendBeacon`` or ``fetch`` with ``keepalive``)::

    {"path": "/deals/spa-day", "referrer": "https://www.google.com/", "sessionId": "k3J9…",
     "screen": "390x844"}

and answers 204 (counted, or ignored as a bot), 400 (malformed), 403 (sent from another site),
413 (too large) or 429 (throttled). No cookie is set or read; the IP is hashed with the day's
salt and never stored (``analytics.services.page_view_record``).

``GET /analytics/export.csv`` streams the dashboard's series, or with ``breakdown=<dimension>``
every row of one breakdown, for the signed-in user (session cookie) or an API token with the
read scope, with the GraphQL query's filters as query parameters (``from``, ``to``,
``granularity``, ``programId``, ``affiliateId``, ``linkId``, ``offerRef``, ``country``,
``device``, ``browser``, ``source``, ``currency``) and the same permissions.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.utils.dateparse import parse_date, parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from accounts.models import ApiTokenScope
from accounts.services import api_token_authenticate, client_ip
from analytics.selectors import (
    AnalyticsFilter,
    AnalyticsScope,
    Metrics,
    analytics_breakdown,
    analytics_scope_for,
    analytics_series,
    none_label,
)
from analytics.services import (
    PATH_MAX_LENGTH,
    SESSION_ID_MAX_LENGTH,
    PageView,
    PageViewOutcome,
    page_view_record,
)
from core.inputs import nul_path
from core.spreadsheet import csv_lines

BEACON_MAX_BYTES = 2048
_SESSION_ID = re.compile(rf"[A-Za-z0-9_-]{{8,{SESSION_ID_MAX_LENGTH}}}")
_SCREEN = re.compile(r"(\d{2,5})\s*x\s*(\d{2,5})")
_COUNTRY = re.compile(r"[A-Za-z]{2}")


def _meta_header(name: str) -> str:
    """``cf-ipcountry`` → ``HTTP_CF_IPCOUNTRY`` (how Django's META spells request headers)."""
    name = name.strip()
    return name.upper() if name.upper().startswith("HTTP_") else "HTTP_" + name.upper().replace("-", "_")


def _same_site(request: HttpRequest) -> bool:
    """A browser says where a POST comes from (Origin); only the brand's own pages may count
    views. Clients that send no Origin (not a browser) are throttled like anyone else."""
    origin = request.META.get("HTTP_ORIGIN")
    if not origin:
        return True
    return urlsplit(origin).netloc.lower() == request.get_host().lower()


def _beacon(request: HttpRequest) -> PageView | None:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return None
    if not isinstance(body, dict) or nul_path(body) is not None:  # PostgreSQL text cannot hold NUL
        return None
    path = body.get("path")
    session_id = body.get("sessionId")
    referrer = body.get("referrer") or ""
    if not isinstance(path, str) or not path.startswith("/") or not isinstance(referrer, str):
        return None
    if not isinstance(session_id, str) or not _SESSION_ID.fullmatch(session_id):
        return None
    screen = body.get("screen")
    width = None
    if isinstance(screen, str) and (match := _SCREEN.fullmatch(screen.strip())):
        width = int(match.group(1))
    try:
        referrer_host = (urlsplit(referrer).hostname or "")[:253] if referrer else ""
    except ValueError:
        referrer_host = ""
    country = ""
    if settings.CLICK_COUNTRY_HEADER:
        value = str(request.META.get(_meta_header(settings.CLICK_COUNTRY_HEADER), ""))
        if _COUNTRY.fullmatch(value) and value.upper() != "XX":
            country = value.upper()
    return PageView(
        path=urlsplit(path).path[:PATH_MAX_LENGTH] or "/",
        referrer_host=referrer_host.lower(),
        session_id=session_id,
        screen_width=width,
        user_agent=str(request.META.get("HTTP_USER_AGENT", ""))[:512],
        ip=client_ip(request),
        country=country,
        host=request.get_host().split(":")[0].lower(),
    )


@csrf_exempt
def collect_view(request: HttpRequest) -> HttpResponse:
    """``POST /a/collect``: one page view of the brand's own site (see the module)."""
    if request.method != "POST":
        response = HttpResponse(status=405)
        response["Allow"] = "POST"
        return response
    declared = str(request.META.get("CONTENT_LENGTH") or "0")
    if not declared.isdigit():
        return HttpResponse(status=400)
    if int(declared) > BEACON_MAX_BYTES or len(request.body) > BEACON_MAX_BYTES:
        return HttpResponse(status=413)
    if not _same_site(request):
        return HttpResponse(status=403)
    view = _beacon(request)
    if view is None:
        return HttpResponse(status=400)
    outcome = page_view_record(view=view)
    response = HttpResponse(status=429 if outcome == PageViewOutcome.THROTTLED else 204)
    response["Cache-Control"] = "no-store"
    return response


# --- CSV export ----------------------------------------------------------------------------


def _moment(value: str | None, name: str) -> dt.datetime:
    if not value:
        raise ValidationError(f"{name} is required (ISO 8601 date or date-time).")
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise ValidationError(f"{name} is not an ISO 8601 date or date-time.")
        moment = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment


def _integer(value: str | None, name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(str(value))
    except ValueError as error:
        raise ValidationError(f"{name} must be an id.") from error


def filter_from_query(query: Any) -> AnalyticsFilter:
    """The GraphQL ``AnalyticsFilter`` from query parameters of the same names."""

    def text(name: str) -> str | None:
        value = query.get(name)
        return str(value) if value not in (None, "") else None

    return AnalyticsFilter(
        start=_moment(query.get("from"), "from"),
        end=_moment(query.get("to"), "to"),
        granularity=(text("granularity") or "day").lower(),
        program_id=_integer(query.get("programId"), "programId"),
        affiliate_id=_integer(query.get("affiliateId"), "affiliateId"),
        link_id=_integer(query.get("linkId"), "linkId"),
        offer_ref=text("offerRef"),
        country=text("country"),
        device=text("device"),
        browser=text("browser"),
        source=text("source"),
        currency=text("currency"),
    )


def _export_user(request: HttpRequest) -> tuple[Any, HttpResponse | None]:
    """The session user, or a Bearer token's (read scope). A bad token is a 401, never a
    fallback to the session."""
    authorization = request.META.get("HTTP_AUTHORIZATION", "")
    if authorization:
        scheme, _, raw_token = authorization.partition(" ")
        token = api_token_authenticate(raw_token) if scheme.lower() == "bearer" else None
        if token is None or ApiTokenScope.READ.value not in token.scopes:
            return None, JsonResponse({"error": "Invalid, expired or revoked API token."}, status=401)
        return token.user, None
    if not request.user.is_authenticated:
        return None, JsonResponse({"error": "Sign in, or send Authorization: Bearer <token>."}, status=401)
    return request.user, None


_METRIC_COLUMNS = [
    "clicks",
    "unique_clicks",
    "signups",
    "conversions",
    "conversion_rate",
    "revenue",
    "commissions",
    "earnings_per_click",
    "currency",
]


def _metric_cells(metrics: Metrics, currency: str) -> list[Any]:
    return [
        metrics.clicks,
        metrics.unique_clicks,
        metrics.signups,
        metrics.conversions,
        f"{metrics.conversion_rate:.4f}",
        metrics.revenue,
        metrics.commissions,
        metrics.earnings_per_click,
        currency,
    ]


@require_GET
def export_csv_view(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """``GET /analytics/export.csv`` (see the module). The figures are read before the
    response starts (bounded: one series, or one breakdown of at most 10,000 rows), so the
    stream never touches the database after the view has returned."""
    user, refusal = _export_user(request)
    if refusal is not None:
        return refusal
    scope: AnalyticsScope = analytics_scope_for(user)
    try:
        report_filter = filter_from_query(request.GET)
        default_currency = str(request.tenant.currency)  # type: ignore[attr-defined]
        language = str(request.tenant.language)  # type: ignore[attr-defined]
        breakdown = request.GET.get("breakdown")
        if breakdown:
            currency, found = analytics_breakdown(
                report_filter=report_filter,
                scope=scope,
                default_currency=default_currency,
                dimension=breakdown,
            )
            if found is None:
                raise ValidationError(f"The {breakdown} breakdown is not available with this filter.")
            rows = [["dimension", "value", "label", *_METRIC_COLUMNS]] + [
                [
                    found.dimension,
                    row.value,
                    row.label or none_label(found.dimension, language),
                    *_metric_cells(row.metrics, currency),
                ]
                for row in found.rows
            ]
            name = f"analytics-{breakdown}"
        else:
            currency, series = analytics_series(
                report_filter=report_filter, scope=scope, default_currency=default_currency
            )
            rows = [["bucket_start", *_METRIC_COLUMNS]] + [
                [point.bucket.isoformat(), *_metric_cells(point.metrics, currency)] for point in series
            ]
            name = "analytics"
    except ValidationError as error:
        return JsonResponse({"error": " ".join(error.messages)}, status=400)
    response = StreamingHttpResponse(csv_lines(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{name}-{report_filter.start:%Y%m%d}-{report_filter.end:%Y%m%d}.csv"'
    )
    response["Cache-Control"] = "no-store"
    return response
