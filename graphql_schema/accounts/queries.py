from __future__ import annotations

import strawberry

from accounts.selectors import api_tokens_of, merchant_applications, user_sessions_of, users_search
from accounts.services import session_key_hash
from graphql_schema.access import parse_id
from graphql_schema.accounts.types import ApiToken, Role, User, UserSession, UserStatus
from graphql_schema.context import Info
from graphql_schema.pagination import Connection, paginate
from graphql_schema.permissions import IsAuthenticated, IsBrandAdmin


def current_session_hash(info: Info) -> str | None:
    """The hash of the session this operation runs in (HTTP or websocket), if any."""
    context = info.context
    if context.request is not None:
        session_key = context.request.session.session_key
    else:
        session_key = getattr(context.ws, "scope", {}).get("session_key")
    return session_key_hash(session_key) if session_key else None


def sessions_of(info: Info, user_id: int) -> list[UserSession]:
    current = current_session_hash(info)
    return [
        UserSession.from_model(session, current_hash=current) for session in user_sessions_of(user_id=user_id)
    ]


@strawberry.type
class AccountQuery:
    @strawberry.field(description="The signed-in user, or null.")
    def me(self, info: Info) -> User | None:
        if not info.context.is_authenticated:
            return None
        return User.from_model(info.context.user)

    @strawberry.field(permission_classes=[IsAuthenticated], description="My API tokens, newest first.")
    def api_tokens(self, info: Info) -> list[ApiToken]:
        return [ApiToken.from_model(token) for token in api_tokens_of(info.context.user)]

    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="My signed-in browsers, most recently seen first; isCurrent marks this one.",
    )
    def my_sessions(self, info: Info) -> list[UserSession]:
        return sessions_of(info, info.context.user.pk)

    @strawberry.field(
        permission_classes=[IsBrandAdmin],
        description="Users who signed up as merchants and await approval, oldest first (at most 200).",
    )
    def merchant_applications(self, info: Info) -> list[User]:
        return [User.from_model(user) for user in merchant_applications()[:200]]

    @strawberry.field(
        permission_classes=[IsBrandAdmin],
        description="The brand's people, newest first: search in email and name, filter by role and status.",
    )
    def users(
        self,
        info: Info,
        first: int = 50,
        after: str | None = None,
        search: str = "",
        role: Role | None = None,
        status: UserStatus | None = None,
    ) -> Connection[User]:
        users = users_search(
            search=search[:254],
            role=role.value if role is not None else None,
            is_active=None if status is None else status == UserStatus.ACTIVE,
        )
        return paginate(users, first=first, after=after, to_node=User.from_model, descending=True)

    @strawberry.field(
        permission_classes=[IsBrandAdmin],
        description="A user's signed-in browsers, most recently seen first (empty for an unknown user).",
    )
    def user_sessions(self, info: Info, user_id: strawberry.ID) -> list[UserSession]:
        return sessions_of(info, parse_id(user_id))
