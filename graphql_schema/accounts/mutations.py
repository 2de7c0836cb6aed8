from __future__ import annotations

from collections.abc import Callable

import strawberry
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from graphql import GraphQLError

from accounts import services
from accounts.error_codes import AccountErrorCode
from accounts.models import User as UserModel
from affiliation.models import Program
from affiliation.services import affiliate_join
from core.errors import field_error
from graphql_schema.access import parse_id
from graphql_schema.accounts.queries import current_session_hash
from graphql_schema.accounts.two_factor import fresh_two_factor_required
from graphql_schema.accounts.types import (
    ApiToken,
    ApiTokenCreateInput,
    ApiTokenCreatePayload,
    ApiTokenRevokePayload,
    AuthPayload,
    LoginInput,
    LogoutPayload,
    MagicLinkRequestPayload,
    MerchantApplicationPayload,
    Role,
    SignupInput,
    SignupPayload,
    SignupRole,
    User,
    UserPayload,
    UserSession,
    UserSessionRevokePayload,
)
from graphql_schema.context import Info
from graphql_schema.errors import handle_user_errors
from graphql_schema.permissions import IsAuthenticated, IsBrandAdmin
from privacy.services import consent_record_signup


def _http_request(info: Info) -> HttpRequest:
    """Session changes need an HTTP response to carry the cookie."""
    request = info.context.request
    if request is None:
        raise GraphQLError(
            "Sign in and out over HTTP, not over the websocket.", extensions={"code": "HTTP_ONLY"}
        )
    return request


def _join_at_signup(user: UserModel, program_id: strawberry.ID | None, referral_code: str) -> None:
    """A new affiliate joins the program (the brand's only active one unless named), under the
    referral code if it is valid; a bad code or program is not the signup's failure."""
    programs = Program.objects.filter(is_active=True)
    if program_id is not None:
        programs = programs.filter(pk=parse_id(program_id))
    candidates = list(programs[:2])
    if len(candidates) != 1:
        return
    for code in dict.fromkeys([referral_code.strip(), ""]):
        try:
            affiliate_join(user=user, program=candidates[0], referral_code=code)
            return
        except ValidationError:
            continue


def _merchant_decide(info: Info, user_id: strawberry.ID, *, approve: bool) -> MerchantApplicationPayload:
    user = services.merchant_approve(actor=info.context.user, user_id=parse_id(user_id), approve=approve)
    return MerchantApplicationPayload(user=User.from_model(user), errors=[])


def _user_change(info: Info, user_id: strawberry.ID, change: Callable[[UserModel], UserModel]) -> UserPayload:
    """Run ``change`` on a user of this brand; another brand's id answers like a missing one."""
    user = UserModel.objects.filter(pk=parse_id(user_id)).first()
    if user is None:
        raise field_error("userId", "No user has this id.", AccountErrorCode.NOT_FOUND)
    user = change(user)
    return UserPayload(user=User.from_model(user), errors=[])


def _session_revoke(info: Info, session_id: strawberry.ID, *, own: bool) -> UserSessionRevokePayload:
    session = services.user_session_revoke(actor=info.context.user, session_id=parse_id(session_id), own=own)
    return UserSessionRevokePayload(
        session=UserSession.from_model(session, current_hash=current_session_hash(info)), errors=[]
    )


def _auth_payload(result: services.LoginResult) -> AuthPayload:
    if result.two_factor_required:  # nobody is signed in yet: the user is not shown
        return AuthPayload(user=None, errors=[], two_factor_required=True)
    return AuthPayload(user=User.from_model(result.user), errors=[])


def _brand_host_only(info: Info) -> None:
    if info.context.is_root_host:
        raise GraphQLError(
            "Accounts are created inside a brand, on the brand's host.",
            extensions={"code": "NOT_A_BRAND_HOST"},
        )


@strawberry.type
class AccountMutation:
    @strawberry.mutation(
        description=(
            "Create an account in this brand. Answers the same whether or not the email has an "
            "account: check the inbox for the sign-in link. Merchants follow the brand's "
            "merchantSignup policy."
        )
    )
    @handle_user_errors(ok=False, awaiting_approval=False)
    def signup(self, info: Info, input: SignupInput) -> SignupPayload:
        _brand_host_only(info)
        result = services.user_signup(
            request=_http_request(info),
            email=input.email,
            password=input.password,
            role=input.role.value,
            full_name=input.full_name,
            merchant_signup=info.context.tenant.merchant_signup,
        )
        if result.user is not None:
            # Signing up accepts the brand's current terms and privacy policy (the form says so).
            consent_record_signup(user=result.user, marketing_opt_in=input.marketing_opt_in)
        if result.user is not None and input.role == SignupRole.AFFILIATE:
            _join_at_signup(result.user, input.program_id, input.referral_code)
        return SignupPayload(ok=True, awaiting_approval=result.awaiting_approval, errors=[])

    @strawberry.mutation(
        permission_classes=[IsBrandAdmin],
        description="Create a merchant account and email it a sign-in link (invite-only brands).",
    )
    @handle_user_errors
    def merchant_invite(self, info: Info, email: str, full_name: str = "") -> MerchantApplicationPayload:
        user = services.merchant_invite(
            actor=info.context.user, request=_http_request(info), email=email, full_name=full_name
        )
        return MerchantApplicationPayload(user=User.from_model(user), errors=[])

    @strawberry.mutation(
        permission_classes=[IsBrandAdmin],
        description="Grant the merchant role to a user who asked for it at signup.",
    )
    @handle_user_errors
    def merchant_approve(self, info: Info, user_id: strawberry.ID) -> MerchantApplicationPayload:
        return _merchant_decide(info, user_id, approve=True)

    @strawberry.mutation(
        permission_classes=[IsBrandAdmin],
        description="Refuse a merchant application: the user stays a customer.",
    )
    @handle_user_errors
    def merchant_refuse(self, info: Info, user_id: strawberry.ID) -> MerchantApplicationPayload:
        return _merchant_decide(info, user_id, approve=False)

    @strawberry.mutation(description="Sign in with email and password (session cookie).")
    @handle_user_errors
    def login(self, info: Info, input: LoginInput) -> AuthPayload:
        result = services.user_login(request=_http_request(info), email=input.email, password=input.password)
        return _auth_payload(result)

    @strawberry.mutation(description="Sign out of this browser session.")
    def logout(self, info: Info) -> LogoutPayload:
        services.user_logout(request=_http_request(info))
        return LogoutPayload(ok=True)

    @strawberry.mutation(description="Email a single-use login link, valid for 15 minutes.")
    @handle_user_errors(ok=False)
    def magic_link_request(self, info: Info, email: str) -> MagicLinkRequestPayload:
        _brand_host_only(info)
        services.magic_link_request(request=_http_request(info), email=email)
        return MagicLinkRequestPayload(ok=True, errors=[])

    @strawberry.mutation(description="Sign in with the token of a login link.")
    @handle_user_errors
    def magic_link_login(self, info: Info, token: str) -> AuthPayload:
        _brand_host_only(info)
        result = services.magic_link_login(request=_http_request(info), token=token)
        return _auth_payload(result)

    @strawberry.mutation(permission_classes=[IsAuthenticated], description="Create a personal API token.")
    @handle_user_errors
    def api_token_create(self, info: Info, input: ApiTokenCreateInput) -> ApiTokenCreatePayload:
        fresh_two_factor_required(info)
        token, raw = services.api_token_create(
            user=info.context.user,
            name=input.name,
            scopes=[scope.value for scope in input.scopes],
            expires_in_days=input.expires_in_days,
        )
        return ApiTokenCreatePayload(api_token=ApiToken.from_model(token), token=raw, errors=[])

    @strawberry.mutation(permission_classes=[IsAuthenticated], description="Revoke one of my API tokens.")
    @handle_user_errors
    def api_token_revoke(self, info: Info, id: strawberry.ID) -> ApiTokenRevokePayload:
        token = services.api_token_revoke(user=info.context.user, token_id=parse_id(id))
        return ApiTokenRevokePayload(api_token=ApiToken.from_model(token), errors=[])

    @strawberry.mutation(
        permission_classes=[IsBrandAdmin],
        description=(
            "Give a user another role. Their open websockets end running subscriptions; the "
            "brand's last active admin keeps the role (LAST_BRAND_ADMIN)."
        ),
    )
    @handle_user_errors
    def user_role_change(self, info: Info, user_id: strawberry.ID, role: Role) -> UserPayload:
        actor = info.context.user
        return _user_change(
            info, user_id, lambda user: services.user_role_change(actor=actor, user=user, role=role.value)
        )

    @strawberry.mutation(
        permission_classes=[IsBrandAdmin],
        description=(
            "Deactivate a user at once: sessions end, API tokens are revoked, open websockets "
            "close (4401). Not yourself, not the last active admin."
        ),
    )
    @handle_user_errors
    def user_deactivate(self, info: Info, user_id: strawberry.ID) -> UserPayload:
        actor = info.context.user
        return _user_change(info, user_id, lambda user: services.user_deactivate(actor=actor, user=user))

    @strawberry.mutation(
        permission_classes=[IsBrandAdmin],
        description="Let a deactivated user sign in again (old sessions and tokens stay ended).",
    )
    @handle_user_errors
    def user_reactivate(self, info: Info, user_id: strawberry.ID) -> UserPayload:
        actor = info.context.user
        return _user_change(info, user_id, lambda user: services.user_reactivate(actor=actor, user=user))

    @strawberry.mutation(
        permission_classes=[IsBrandAdmin],
        description="Sign one of the brand's sessions out: its cookie stops working, its websockets close.",
    )
    @handle_user_errors
    def user_session_revoke(self, info: Info, id: strawberry.ID) -> UserSessionRevokePayload:
        return _session_revoke(info, id, own=False)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Sign one of my sessions out (another browser, or this one).",
    )
    @handle_user_errors
    def session_revoke(self, info: Info, id: strawberry.ID) -> UserSessionRevokePayload:
        return _session_revoke(info, id, own=True)
