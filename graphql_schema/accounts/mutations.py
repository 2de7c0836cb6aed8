from __future__ import annotations

import strawberry
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from graphql import GraphQLError
from strawberry.types import Info

from accounts import services
from core.ratelimit import RateLimited
from graphql_schema.accounts.types import (
    ApiToken,
    ApiTokenCreateInput,
    ApiTokenCreatePayload,
    ApiTokenRevokePayload,
    AuthPayload,
    LoginInput,
    LogoutPayload,
    MagicLinkRequestPayload,
    SignupInput,
    User,
)
from graphql_schema.errors import rate_limited_errors, user_errors
from graphql_schema.permissions import IsAuthenticated


def _http_request(info: Info) -> HttpRequest:
    """Session changes need an HTTP response to carry the cookie."""
    request = info.context.request
    if request is None:
        raise GraphQLError(
            "Sign in and out over HTTP, not over the websocket.", extensions={"code": "HTTP_ONLY"}
        )
    return request


def _brand_host_only(info: Info) -> None:
    if info.context.is_root_host:
        raise GraphQLError(
            "Accounts are created inside a brand, on the brand's host.",
            extensions={"code": "NOT_A_BRAND_HOST"},
        )


@strawberry.type
class AccountMutation:
    @strawberry.mutation(description="Create an account in this brand and sign in.")
    def signup(self, info: Info, input: SignupInput) -> AuthPayload:
        _brand_host_only(info)
        try:
            user = services.user_signup(
                request=_http_request(info),
                email=input.email,
                password=input.password,
                role=input.role.value,
                full_name=input.full_name,
            )
        except ValidationError as error:
            return AuthPayload(user=None, errors=user_errors(error))
        return AuthPayload(user=User.from_model(user), errors=[])

    @strawberry.mutation(description="Sign in with email and password (session cookie).")
    def login(self, info: Info, input: LoginInput) -> AuthPayload:
        try:
            user = services.user_login(
                request=_http_request(info), email=input.email, password=input.password
            )
        except RateLimited as error:
            return AuthPayload(user=None, errors=rate_limited_errors(info, error))
        except ValidationError as error:
            return AuthPayload(user=None, errors=user_errors(error))
        return AuthPayload(user=User.from_model(user), errors=[])

    @strawberry.mutation(description="Sign out of this browser session.")
    def logout(self, info: Info) -> LogoutPayload:
        services.user_logout(request=_http_request(info))
        return LogoutPayload(ok=True)

    @strawberry.mutation(description="Email a single-use login link, valid for 15 minutes.")
    def magic_link_request(self, info: Info, email: str) -> MagicLinkRequestPayload:
        _brand_host_only(info)
        try:
            services.magic_link_request(request=_http_request(info), email=email)
        except ValidationError as error:
            return MagicLinkRequestPayload(ok=False, errors=user_errors(error))
        return MagicLinkRequestPayload(ok=True, errors=[])

    @strawberry.mutation(description="Sign in with the token of a login link.")
    def magic_link_login(self, info: Info, token: str) -> AuthPayload:
        _brand_host_only(info)
        try:
            user = services.magic_link_login(request=_http_request(info), token=token)
        except ValidationError as error:
            return AuthPayload(user=None, errors=user_errors(error))
        return AuthPayload(user=User.from_model(user), errors=[])

    @strawberry.mutation(permission_classes=[IsAuthenticated], description="Create a personal API token.")
    def api_token_create(self, info: Info, input: ApiTokenCreateInput) -> ApiTokenCreatePayload:
        try:
            token, raw = services.api_token_create(
                user=info.context.user,
                name=input.name,
                scopes=[scope.value for scope in input.scopes],
                expires_in_days=input.expires_in_days,
            )
        except ValidationError as error:
            return ApiTokenCreatePayload(api_token=None, token=None, errors=user_errors(error))
        return ApiTokenCreatePayload(api_token=ApiToken.from_model(token), token=raw, errors=[])

    @strawberry.mutation(permission_classes=[IsAuthenticated], description="Revoke one of my API tokens.")
    def api_token_revoke(self, info: Info, id: strawberry.ID) -> ApiTokenRevokePayload:
        try:
            token_id = int(id)
        except ValueError:
            token_id = 0
        try:
            token = services.api_token_revoke(user=info.context.user, token_id=token_id)
        except ValidationError as error:
            return ApiTokenRevokePayload(api_token=None, errors=user_errors(error))
        return ApiTokenRevokePayload(api_token=ApiToken.from_model(token), errors=[])
