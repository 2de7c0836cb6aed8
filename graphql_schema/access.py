"""Access helpers every API package shares: ids as clients send them, the one NOT_FOUND answer
(another brand's object answers exactly like a missing one) and role checks. Permission
classes live in graphql_schema/permissions.py; each domain's object lookups in its own
``access.py``."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError

from accounts.selectors import is_brand_admin as accounts_is_brand_admin
from graphql_schema.context import Info


def parse_id(value: Any) -> int:
    """An id as the client sent it; 0 (which matches nothing) when it is not a number."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def not_found(what: str) -> GraphQLError:
    return GraphQLError(f"{what} not found.", extensions={"code": "NOT_FOUND"})


def is_brand_admin(info: Info) -> bool:
    return accounts_is_brand_admin(info.context.user)
