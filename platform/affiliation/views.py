"""Plain HTTP endpoints of the affiliate engine on a brand's host (everything else is GraphQL):
the server-to-server postback, and the QR codes of a link for its owner (session or READ token)."""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from accounts.authentication import TokenRefused, request_user
from accounts.models import ApiTokenScope, Role
from accounts.services import client_ip
from affiliation.error_codes import PostbackErrorCode
from affiliation.models import Link
from affiliation.postbacks import (
    MAX_BODY_BYTES,
    SIGNATURE_HEADER,
    SignatureError,
    postback_error,
    postback_payload_parse,
    postback_process,
    postback_response_body,
    postback_signature_verify,
)
from affiliation.qr import (
    DEFAULT_SCALE,
    MAX_SCALE,
    brand_qr_colour,
    link_public_url,
    link_qr_png,
    link_qr_svg,
)
from core.ratelimit import rate_limit_hit, rate_limit_peek
from core.tenancy import current_schema

logger = logging.getLogger(__name__)

# Failed signatures per client IP (and brand: cache keys carry the schema) per window.
# Settings may override both.
POSTBACK_FAILED_SIGNATURE_LIMIT = 30
POSTBACK_FAILED_SIGNATURE_WINDOW = 60  # seconds
QR_CACHE_SECONDS = 300


def _error(status: int, code: str, message: str, field: str | None = None) -> JsonResponse:
    error = {"code": code, "message": message}
    if field is not None:
        error["field"] = field
    return JsonResponse({"error": error}, status=status)


def _failed_signature_limits() -> tuple[int, int]:
    limit = getattr(settings, "POSTBACK_FAILED_SIGNATURE_LIMIT", POSTBACK_FAILED_SIGNATURE_LIMIT)
    window = getattr(settings, "POSTBACK_FAILED_SIGNATURE_WINDOW_SECONDS", POSTBACK_FAILED_SIGNATURE_WINDOW)
    return int(limit), int(window)


def _body(request: HttpRequest) -> bytes | None:
    """The raw body, or None when it is over ``MAX_BODY_BYTES``. Reads at most one byte more
    than the cap from the stream (a proxy in front should cap it too)."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY_BYTES:
        return None
    body = request.read(MAX_BODY_BYTES + 1)
    return None if len(body) > MAX_BODY_BYTES else body


@csrf_exempt  # a server-to-server endpoint: the HMAC signature authenticates it, not a cookie
def postback_view(request: HttpRequest) -> HttpResponse:
    """``POST /postback/``: a merchant's server reports a sale, refund or chargeback.

    201 with the conversion when recorded, 200 with the same body for a replay, 401 for a
    bad signature, 422 for a business rule (``{"error": {"code", "field", "message"}}``),
    400 for a body that is not a JSON object, 413 over 64 KB, 429 after too many failed
    signatures from one IP. See ``affiliation.postbacks`` for the signature and the body.
    """
    if request.method != "POST":
        response = _error(405, PostbackErrorCode.METHOD_NOT_ALLOWED, "Send postbacks with POST.")
        response["Allow"] = "POST"
        return response
    ip = client_ip(request)
    limit, window = _failed_signature_limits()
    bucket = f"postback-signature:{ip}"
    state = rate_limit_peek(bucket, limit=limit, window_seconds=window)
    if state.is_exceeded:
        response = _error(
            429, PostbackErrorCode.RATE_LIMITED, "Too many postbacks with a bad signature: retry later."
        )
        response["Retry-After"] = str(state.retry_after_seconds)
        return response
    body = _body(request)
    if body is None:
        return _error(
            413, PostbackErrorCode.PAYLOAD_TOO_LARGE, f"Keep the body under {MAX_BODY_BYTES // 1024} KB."
        )
    try:
        key = postback_signature_verify(request.headers.get(SIGNATURE_HEADER, ""), body)
    except SignatureError as error:
        rate_limit_hit(bucket, limit=limit, window_seconds=window)
        # The schema and the IP only: never the body, nor the header.
        logger.warning("postback refused on %s from %s: %s", current_schema(), ip, error)
        return _error(401, PostbackErrorCode.INVALID_SIGNATURE, str(error))
    try:
        data: Any = json.loads(body, parse_float=Decimal)
    except (ValueError, RecursionError):  # bad UTF-8 or JSON (ValueErrors), or absurd nesting
        data = None
    if not isinstance(data, dict):
        return _error(400, PostbackErrorCode.MALFORMED_JSON, "Send a JSON object.")
    try:
        outcome = postback_process(postback_payload_parse(data))
    except ValidationError as error:
        details = postback_error(error)
        return _error(422, details["code"], details["message"], field=details["field"])
    logger.info(
        "postback %s of order %s on %s (key %s): %s",
        data.get("event"),
        outcome.conversion.order_id,
        current_schema(),
        key.prefix,
        "recorded" if outcome.created else "replay",
    )
    return JsonResponse(postback_response_body(outcome), status=201 if outcome.created else 200)


def _own_link(user: Any, code: str) -> Link:
    """The link, for its owner or a brand admin; anyone else gets the 404 of a missing link
    (archived links included: their short URL no longer redirects)."""
    link = (
        Link.objects.select_related("affiliate").filter(code=code, archived_at__isnull=True).first()
        if user.is_authenticated
        else None
    )
    if link is None or not (user.role == Role.BRAND_ADMIN or link.affiliate.user_id == user.pk):
        raise Http404("No such link.")
    return link


def _dark_colour(request: HttpRequest) -> str:
    """``?color=brand`` paints the dark modules in the brand's primary colour (when it scans)."""
    if request.GET.get("color") == "brand":
        return brand_qr_colour(getattr(request, "tenant", None))
    return "#000000"


def _scale(request: HttpRequest) -> int:
    try:
        scale = int(request.GET.get("scale", DEFAULT_SCALE))
    except ValueError:
        scale = DEFAULT_SCALE
    return min(max(scale, 1), MAX_SCALE)


def _private(response: HttpResponse, filename: str) -> HttpResponse:
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    patch_cache_control(response, private=True, max_age=QR_CACHE_SECONDS)
    patch_vary_headers(response, ["Cookie", "Authorization"])
    return response


def _link_qr(request: HttpRequest, code: str, image_format: str) -> HttpResponse:
    """The QR code for the session's user or a READ token's (``Authorization: Bearer``)."""
    try:
        user = request_user(request, scope=ApiTokenScope.READ)
    except TokenRefused as refusal:
        return JsonResponse({"error": refusal.as_dict()}, status=refusal.status)
    link = _own_link(user, code)
    url = link_public_url(link, tenant=getattr(request, "tenant", None))
    if image_format == "svg":
        svg = link_qr_svg(url, dark=_dark_colour(request), scale=_scale(request))
        return _private(HttpResponse(svg, content_type="image/svg+xml"), f"{link.code}.svg")
    png = link_qr_png(url, scale=_scale(request), dark=_dark_colour(request))
    return _private(HttpResponse(png, content_type="image/png"), f"{link.code}.png")


@require_safe
def link_qr_svg_view(request: HttpRequest, code: str) -> HttpResponse:
    """``GET /links/<code>/qr.svg[?color=brand][&scale=8]``: the link's QR code as SVG."""
    return _link_qr(request, code, "svg")


@require_safe
def link_qr_png_view(request: HttpRequest, code: str) -> HttpResponse:
    """``GET /links/<code>/qr.png[?color=brand][&scale=8]``: the link's QR code as PNG."""
    return _link_qr(request, code, "png")
