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
    role: Role
    message = "You do not have permission to do this."
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        context = info.context
        return (
            context.is_authenticated
            and getattr(context.user, "role", None) == self.role
            and _context_allows(info)
        )


class IsBrandAdmin(_HasRole):
    role = Role.BRAND_ADMIN

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return not info.context.is_root_host and super().has_permission(source, info, **kwargs)


class IsOperator(_HasRole):
    """Platform staff, signed in on the root domain."""

    role = Role.OPERATOR

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return info.context.is_root_host and super().has_permission(source, info, **kwargs)
