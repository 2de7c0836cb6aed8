"""``GET /audit/export.csv``: the audit log as CSV, with the ``auditEvents`` query's filters
as query parameters (``actorId``, ``actorEmail``, ``action``, ``targetType``, ``targetId``,
``from``, ``to``: ISO 8601 dates or date-times, ``to`` exclusive).

Readers are those of the GraphQL query: a brand admin on the brand's host, an operator on the
root host, by session cookie or by an API token with the read scope (``accounts.
authentication.request_user``). Cells are made formula-safe (``core.spreadsheet``).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.dateparse import parse_date, parse_datetime
from django.views.decorators.http import require_GET
from django_tenants.utils import get_public_schema_name

from accounts.authentication import TokenRefused, request_user
from accounts.models import ApiTokenScope, Role
from core.selectors import AuditFilter, audit_events
from core.spreadsheet import csv_lines

EXPORT_MAX_ROWS = 50_000
COLUMNS = [
    "id",
    "created_at",
    "action",
    "actor_id",
    "actor_email",
    "subject_id",
    "target_type",
    "target_id",
    "ip",
    "user_agent",
    "before",
    "after",
    "data",
]


class _BadParameter(ValueError):
    pass


def _moment(value: str | None, name: str) -> dt.datetime | None:
    if not value:
        return None
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise _BadParameter(f"{name} is not an ISO 8601 date or date-time.")
        moment = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _filter(query: Any) -> AuditFilter:
    actor_id = query.get("actorId") or None
    if actor_id is not None and not str(actor_id).isdigit():
        raise _BadParameter("actorId must be an id.")
    return AuditFilter(
        actor_id=int(actor_id) if actor_id is not None else None,
        actor_email=query.get("actorEmail") or None,
        action=query.get("action") or None,
        target_type=query.get("targetType") or None,
        target_id=query.get("targetId") or None,
        start=_moment(query.get("from"), "from"),
        end=_moment(query.get("to"), "to"),
    )


def _may_read(request: HttpRequest, user: Any) -> bool:
    on_root_host = request.tenant.schema_name == get_public_schema_name()  # type: ignore[attr-defined]
    needed = Role.OPERATOR if on_root_host else Role.BRAND_ADMIN
    return bool(getattr(user, "is_authenticated", False)) and getattr(user, "role", None) == needed


def _json(value: Any) -> str:
    return "" if value in (None, {}) else json.dumps(value, sort_keys=True, default=str)


@require_GET
def audit_export_csv_view(request: HttpRequest) -> HttpResponse:
    """The rows are read before the response is returned (at most ``EXPORT_MAX_ROWS``, newest
    first), so nothing touches the database once the view is done."""
    try:
        user = request_user(request, scope=ApiTokenScope.READ)
    except TokenRefused as refused:
        return JsonResponse({"error": refused.as_dict()}, status=refused.status)
    if not getattr(user, "is_authenticated", False):
        return JsonResponse({"error": "Sign in, or send Authorization: Bearer <token>."}, status=401)
    if not _may_read(request, user):
        return JsonResponse({"error": "You do not have permission to do this."}, status=403)
    try:
        audit_filter = _filter(request.GET)
    except _BadParameter as error:
        return JsonResponse({"error": str(error)}, status=400)
    rows: list[list[Any]] = [COLUMNS]
    for event in audit_events(audit_filter=audit_filter).order_by("-pk")[:EXPORT_MAX_ROWS]:
        data = dict(event.data or {})
        before, after = data.pop("before", None), data.pop("after", None)
        rows.append(
            [
                event.pk,
                event.created_at.isoformat(),
                event.action,
                event.actor_id if event.actor_id is not None else "",
                event.actor_email,
                event.subject_id if event.subject_id is not None else "",
                event.target_type,
                event.target_id,
                event.ip or "",
                event.user_agent,
                _json(before),
                _json(after),
                _json(data),
            ]
        )
    response = HttpResponse("".join(csv_lines(rows)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="audit-{dt.datetime.now(dt.UTC):%Y%m%d-%H%M}.csv"'
    )
    response["Cache-Control"] = "no-store"
    return response
