from __future__ import annotations

import datetime as dt
from enum import Enum

import strawberry

from accounts.models import ApiToken as ApiTokenModel
from accounts.models import User as UserModel
from accounts.models import UserSession as UserSessionModel
from graphql_schema.errors import UserError


@strawberry.enum
class Role(Enum):
    OPERATOR = "operator"
    BRAND_ADMIN = "brand_admin"
    STAFF = "staff"
    MERCHANT = "merchant"
    AFFILIATE = "affiliate"
    CUSTOMER = "customer"


@strawberry.enum(description="Roles a person may pick when signing up.")
class SignupRole(Enum):
    AFFILIATE = "affiliate"
    MERCHANT = "merchant"
    CUSTOMER = "customer"


@strawberry.enum
class ApiTokenScope(Enum):
    READ = "read"
    WRITE = "write"


@strawberry.enum(description="Whether an account may sign in.")
class UserStatus(Enum):
    ACTIVE = "active"
    DEACTIVATED = "deactivated"


@strawberry.type
class User:
    id: strawberry.ID
    email: str
    full_name: str
    role: Role
    requested_role: Role | None = strawberry.field(
        description="A role asked for at signup that awaits a brand admin (merchant signup by approval)."
    )
    date_joined: dt.datetime
    is_active: bool = strawberry.field(description="False once a brand admin deactivated the account.")

    @classmethod
    def from_model(cls, user: UserModel) -> User:
        return cls(
            id=strawberry.ID(str(user.pk)),
            email=user.email,
            full_name=user.full_name,
            role=Role(user.role),
            requested_role=Role(user.requested_role) if user.requested_role else None,
            date_joined=user.date_joined,
            is_active=user.is_active,
        )


@strawberry.type(
    name="UserSession",
    description=(
        "A signed-in browser. The address is kept as its network (/24, /48), never whole; the "
        "country comes from the brand's proxy when it sends one."
    ),
)
class UserSession:
    id: strawberry.ID
    created_at: dt.datetime
    last_seen_at: dt.datetime = strawberry.field(description="Updated at most once a minute.")
    ip_network: str
    country: str
    device_type: str = strawberry.field(description="desktop, mobile, tablet or other.")
    browser: str
    os: str
    is_current: bool = strawberry.field(description="True for the session of this request.")

    @classmethod
    def from_model(cls, session: UserSessionModel, *, current_hash: str | None) -> UserSession:
        return cls(
            id=strawberry.ID(str(session.pk)),
            created_at=session.created_at,
            last_seen_at=session.last_seen_at,
            ip_network=session.ip_network,
            country=session.country,
            device_type=session.device_type,
            browser=session.browser,
            os=session.os,
            is_current=current_hash is not None and session.session_key_hash == current_hash,
        )


@strawberry.type(description="A personal API token. The secret is shown once, at creation.")
class ApiToken:
    id: strawberry.ID
    name: str
    prefix: str = strawberry.field(description="The visible start of the token, to tell tokens apart.")
    scopes: list[ApiTokenScope]
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    is_active: bool

    @classmethod
    def from_model(cls, token: ApiTokenModel) -> ApiToken:
        return cls(
            id=strawberry.ID(str(token.pk)),
            name=token.name,
            prefix=token.prefix,
            scopes=[ApiTokenScope(scope) for scope in token.scopes],
            created_at=token.created_at,
            last_used_at=token.last_used_at,
            expires_at=token.expires_at,
            revoked_at=token.revoked_at,
            is_active=token.is_active,
        )


@strawberry.input
class SignupInput:
    email: str
    password: str
    full_name: str = ""
    role: SignupRole = SignupRole.AFFILIATE
    referral_code: str = strawberry.field(
        default="", description="Affiliates: the code of the affiliate who invited them."
    )
    program_id: strawberry.ID | None = strawberry.field(
        default=None, description="Affiliates: the program to join (default: the brand's only active one)."
    )
    marketing_opt_in: bool = strawberry.field(
        default=False, description="Whether the person agrees to receive the brand's marketing emails."
    )


@strawberry.input
class LoginInput:
    email: str
    password: str


@strawberry.input
class ApiTokenCreateInput:
    name: str
    scopes: list[ApiTokenScope]
    expires_in_days: int | None = strawberry.field(
        default=None, description="Null for a token that never expires."
    )


@strawberry.type
class AuthPayload:
    user: User | None
    errors: list[UserError]
    two_factor_required: bool = strawberry.field(
        default=False,
        description="The first factor passed, nobody is signed in yet: send the authenticator "
        "code with loginVerifyTwoFactor (within 5 minutes).",
    )


@strawberry.type(
    description=(
        "Signup answers the same whether or not the email has an account: nobody is signed in, "
        "and the address receives an email (a sign-in link, or a notice to the existing owner)."
    )
)
class SignupPayload:
    ok: bool = strawberry.field(description="True when the signup was accepted: check your inbox.")
    awaiting_approval: bool = strawberry.field(
        description="True for a merchant signup that a brand admin must approve before selling."
    )
    errors: list[UserError]


@strawberry.type
class MerchantApplicationPayload:
    user: User | None
    errors: list[UserError]


@strawberry.type
class LogoutPayload:
    ok: bool


@strawberry.type
class MagicLinkRequestPayload:
    ok: bool = strawberry.field(
        description="True when the request was accepted. It does not tell whether the email has an account."
    )
    errors: list[UserError]


@strawberry.type
class ApiTokenCreatePayload:
    api_token: ApiToken | None
    token: str | None = strawberry.field(
        description="The full secret token. Store it now: it is never shown again."
    )
    errors: list[UserError]


@strawberry.type
class ApiTokenRevokePayload:
    api_token: ApiToken | None
    errors: list[UserError]


@strawberry.type
class UserPayload:
    user: User | None
    errors: list[UserError]


@strawberry.type
class UserSessionRevokePayload:
    session: UserSession | None
    errors: list[UserError]
