"""Who may reach orders, payments and invoices. Another customer's object, another brand's and a
missing one all answer the same NOT_FOUND."""

from __future__ import annotations

from accounts.models import Role
from graphql_schema.permissions import _HasRole


class IsBrandMember(_HasRole):
    """Signed in on a brand's host, whatever the role (the root host has no orders)."""

    roles = frozenset({Role.BRAND_ADMIN, Role.MERCHANT, Role.AFFILIATE, Role.CUSTOMER})
    message = "You must be logged in."
    error_extensions = {"code": "UNAUTHENTICATED"}
