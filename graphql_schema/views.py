"""``/graphql/`` over HTTP: a strawberry Django view with Bearer tokens, CSRF and the playground."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import render
from django.utils.http import parse_header_parameters
from django.views.decorators.csrf import csrf_exempt
from graphql import OperationType
from strawberry.django.views import GraphQLView
from strawberry.http import GraphQLRequestData
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET

from accounts.services import api_token_authenticate
from graphql_schema.context import GraphQLContext
from graphql_schema.rate_limits import api_quota_acquire, rate_limited_response
from graphql_schema.schema import operation_type, schema


class SubscriptionOverHttp(Exception):
    """A subscription arrived over HTTP, where it cannot stream."""


def _error_response(status: int, message: str, code: str) -> JsonResponse:
    return JsonResponse({"errors": [{"message": message, "extensions": {"code": code}}]}, status=status)


# What a cross-site HTML form (or a no-cors fetch) can send without a CORS preflight: the
# "CORS-safelisted" content types, and no custom header.
SIMPLE_CONTENT_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"})
# Any custom header forces a preflight; these are the ones GraphQL clients send for it
# (GraphQL over HTTP, Apollo's CSRF prevention, jQuery and friends).
PREFLIGHT_HEADERS = (
    "HTTP_GRAPHQL_PREFLIGHT",
    "HTTP_APOLLO_REQUIRE_PREFLIGHT",
    "HTTP_X_APOLLO_OPERATION_NAME",
    "HTTP_X_REQUESTED_WITH",
)


def _needs_preflight(request: HttpRequest) -> bool:
    """True when a browser could only have sent ``request`` after a CORS preflight, which this
    server never grants to another origin: so it comes from the brand's own pages or from a
    non-browser client, and needs no CSRF token (Apollo Server's CSRF prevention)."""
    if any(request.META.get(header) for header in PREFLIGHT_HEADERS):
        return True
    content_type, _ = parse_header_parameters(request.META.get("CONTENT_TYPE", ""))
    return bool(content_type) and content_type not in SIMPLE_CONTENT_TYPES


def _csrf_rejection(request: HttpRequest) -> HttpResponseBase | None:
    """Django's own CSRF check, run here because the view must let Bearer requests through."""
    return CsrfViewMiddleware(lambda _request: HttpResponse()).process_view(request, None, (), {})  # type: ignore[arg-type]


class PlatformGraphQLView(GraphQLView):
    """CSRF, as Apollo Server prevents it: a POST a browser cannot send cross-site without a
    CORS preflight (``Content-Type: application/json``, or a ``GraphQL-Preflight`` header) needs
    no token, so public queries work from curl and server-side fetches; a "simple" POST (form,
    text/plain, multipart without the header) needs the CSRF token (``X-CSRFToken`` header, value
    of the ``csrftoken`` cookie), with or without a session (a forged login is refused too).
    Integrations send ``Authorization: Bearer <token>`` and are exempt."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        authorization = request.META.get("HTTP_AUTHORIZATION", "")
        request.api_token = None  # type: ignore[attr-defined]
        token = None
        if authorization:
            scheme, _, raw_token = authorization.partition(" ")
            token = api_token_authenticate(raw_token) if scheme.lower() == "bearer" else None
            if token is not None:
                request.user = token.user
                request.api_token = token  # type: ignore[attr-defined]
            else:
                request.user = AnonymousUser()  # a bad token counts against the client's IP
        # Rate limits (graphql_schema.rate_limits): per token, per user, or per anonymous IP.
        quota = api_quota_acquire(request)
        if not quota.slot.allowed:
            return rate_limited_response(quota)
        return quota.apply_headers(self._dispatch(request, token, *args, **kwargs))

    def _dispatch(self, request: HttpRequest, token: Any, *args: Any, **kwargs: Any) -> Any:
        if request.META.get("HTTP_AUTHORIZATION", ""):
            if token is None:
                return _error_response(401, "Invalid, expired or revoked API token.", "INVALID_TOKEN")
        elif (
            request.method == "POST"
            and not _needs_preflight(request)
            and _csrf_rejection(request) is not None
        ):
            return _error_response(
                403,
                "CSRF check failed. Send Content-Type: application/json, or a GraphQL-Preflight: 1 header "
                "(multipart uploads), or the csrftoken cookie's value in the X-CSRFToken header. "
                "Integrations: authenticate with Authorization: Bearer <API token>.",
                "CSRF_FAILED",
            )
        return super().dispatch(request, *args, **kwargs)

    def run(self, request: HttpRequest, context: Any = UNSET, root_value: Any = UNSET) -> HttpResponseBase:
        try:
            return super().run(request, context, root_value)
        except SubscriptionOverHttp:
            scheme = "wss" if request.is_secure() else "ws"
            return _error_response(
                400,
                f"Subscriptions are served over the websocket: open {scheme}://{request.get_host()}"
                f"{request.path} with the graphql-transport-ws protocol and send this operation there.",
                "SUBSCRIPTION_OVER_HTTP",
            )

    def execute_single(self, *, request_data: GraphQLRequestData, **kwargs: Any) -> ExecutionResult:  # type: ignore[override]
        """strawberry would run a subscription's resolver as a plain field over HTTP (and answer
        "Cannot return null for non-nullable field"): refuse it with directions instead."""
        if operation_type(request_data.query, request_data.operation_name) == OperationType.SUBSCRIPTION:
            raise SubscriptionOverHttp
        return super().execute_single(request_data=request_data, **kwargs)

    def get_context(self, request: HttpRequest, response: HttpResponse) -> GraphQLContext:  # type: ignore[override]
        return GraphQLContext(
            tenant=request.tenant,  # type: ignore[attr-defined]
            user=request.user,
            request=request,
            response=response,
            api_token=request.api_token,  # type: ignore[attr-defined]
        )

    def render_graphql_ide(self, request: HttpRequest) -> HttpResponse:
        """The GraphiQL playground, served with its own assets (it works offline)."""
        policy = settings.GRAPHQL_PLAYGROUND
        allowed = policy == "on" or (policy == "authenticated" and request.user.is_authenticated)
        if not allowed:
            return HttpResponse(
                "The GraphQL playground is available to signed-in users. POST your queries to this URL.",
                status=403,
                content_type="text/plain",
            )
        brand_name = getattr(request.tenant, "name", "Platform")  # type: ignore[attr-defined]
        return render(
            request,
            "graphql_schema/playground.html",
            {"endpoint": request.path, "brand_name": brand_name},
        )


graphql_view = csrf_exempt(PlatformGraphQLView.as_view(schema=schema, multipart_uploads_enabled=True))
