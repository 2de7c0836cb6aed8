from __future__ import annotations

import strawberry
from strawberry.types import Info

from accounts.selectors import api_tokens_of, merchant_applications
from graphql_schema.accounts.types import ApiToken, User
from graphql_schema.permissions import IsAuthenticated, IsBrandAdmin


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
        permission_classes=[IsBrandAdmin],
        description="Users who signed up as merchants and await approval, oldest first (at most 200).",
    )
    def merchant_applications(self, info: Info) -> list[User]:
        return [User.from_model(user) for user in merchant_applications()[:200]]
