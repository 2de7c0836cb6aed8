"""Permission classes. A failed check is a top-level GraphQL error with a code."""

from __future__ import annotations

from typing import Any

from graphql import OperationType
from strawberry.permission import BasePermission
from strawberry.types import Info

from accounts.models import ApiTokenScope, Role


def _context_allows(info: Info) -> bool:
    """Mutations need the write scope when the caller authenticated with a token."""
    needed = ApiTokenScope.WRITE if info.operation.operation == OperationType.MUTATION else ApiTokenScope.READ
    return bool(info.context.token_allows(needed))


class IsAuthenticated(BasePermission):
    message = "You must be logged in."
    error_extensions = {"code": "UNAUTHENTICATED"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return bool(info.context.is_authenticated) and _context_allows(info)


class _HasRole(BasePermission):
    """Signed in with one of ``roles``, on the right kind of host (a brand's or the root)."""

    roles: frozenset[Role]
    on_root_host = False
    message = "You do not have permission to do this."
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        context = info.context
        return (
            context.is_root_host == self.on_root_host
            and context.is_authenticated
            and getattr(context.user, "role", None) in self.roles
            and _context_allows(info)
        )


class IsBrandAdmin(_HasRole):
    roles = frozenset({Role.BRAND_ADMIN})


class IsMerchantOrBrandAdmin(_HasRole):
    roles = frozenset({Role.MERCHANT, Role.BRAND_ADMIN})


class IsOperator(_HasRole):
    """Platform staff, signed in on the root domain."""

    roles = frozenset({Role.OPERATOR})
    on_root_host = True
