"""Permission classes. A failed check is a top-level GraphQL error with a code."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError, OperationType
from strawberry.permission import BasePermission

from accounts.models import ApiTokenScope, Role
from graphql_schema.context import Info


def _token_scope_required(info: Info) -> None:
    """Mutations need the write scope, queries and subscriptions the read scope, when the caller
    authenticated with a token. A missing scope is named, so an integrator knows which token
    to make."""
    needed = ApiTokenScope.WRITE if info.operation.operation == OperationType.MUTATION else ApiTokenScope.READ
    token = info.context.api_token
    if token is None or info.context.token_allows(needed):
        return
    held = ", ".join(scope.upper() for scope in token.scopes)
    raise GraphQLError(
        f"This API token has the {held} scope; this operation needs {needed.value.upper()}.",
        extensions={"code": "FORBIDDEN", "requiredScope": needed.value.upper()},
    )


class IsAuthenticated(BasePermission):
    message = "You must be logged in."
    error_extensions = {"code": "UNAUTHENTICATED"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        if not info.context.is_authenticated:
            return False
        _token_scope_required(info)
        return True


class _HasRole(BasePermission):
    """Signed in with one of ``roles``, on the right kind of host (a brand's or the root)."""

    roles: frozenset[Role]
    on_root_host = False
    message = "You do not have permission to do this."
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        context = info.context
        if context.is_root_host != self.on_root_host or not context.is_authenticated:
            return False
        _token_scope_required(info)
        return getattr(context.user, "role", None) in self.roles


class IsBrandAdmin(_HasRole):
    roles = frozenset({Role.BRAND_ADMIN})


class IsBrandAdminOrStaff(_HasRole):
    """Brand support work: reading and triaging the contact inbox. Staff never move money,
    change settings or manage people, so nothing else carries this permission."""

    roles = frozenset({Role.BRAND_ADMIN, Role.STAFF})


class IsMerchantOrBrandAdmin(_HasRole):
    roles = frozenset({Role.MERCHANT, Role.BRAND_ADMIN})


class IsMerchant(_HasRole):
    roles = frozenset({Role.MERCHANT})


class IsBrandMember(_HasRole):
    """Signed in on a brand's host, whatever the role (the root host has no orders or plans)."""

    roles = frozenset({Role.BRAND_ADMIN, Role.MERCHANT, Role.AFFILIATE, Role.CUSTOMER})
    message = "You must be logged in."
    error_extensions = {"code": "UNAUTHENTICATED"}


class IsBrandUser(_HasRole):
    """Signed in on a brand's host, whatever the role, staff included: everyone there has
    notifications (the notification centre)."""

    roles = frozenset({Role.BRAND_ADMIN, Role.STAFF, Role.MERCHANT, Role.AFFILIATE, Role.CUSTOMER})
    message = "You must be logged in."
    error_extensions = {"code": "UNAUTHENTICATED"}


class IsOperator(_HasRole):
    """Platform staff, signed in on the root domain."""

    roles = frozenset({Role.OPERATOR})
    on_root_host = True
