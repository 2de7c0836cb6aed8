from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.permission import BasePermission

from core.selectors import AuditFilter, audit_events, security_events_of
from graphql_schema.audit.types import AuditEvent, AuditEventFilter
from graphql_schema.context import Info
from graphql_schema.pagination import Connection, paginate
from graphql_schema.permissions import IsAuthenticated, IsBrandAdmin, IsOperator


class CanReadAuditLog(BasePermission):
    """A brand admin on the brand's host (the brand's log), an operator on the root host (the
    platform's log)."""

    message = "You do not have permission to do this."
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return bool(
            IsBrandAdmin().has_permission(source, info, **kwargs)
            or IsOperator().has_permission(source, info, **kwargs)
        )


def _id(value: strawberry.ID | None, name: str) -> int | None:
    if value is None:
        return None
    try:
        return int(str(value))
    except ValueError as error:
        raise GraphQLError(f"`{name}` is not an id.", extensions={"code": "INVALID_ID"}) from error


@strawberry.type
class AuditQuery:
    @strawberry.field(
        permission_classes=[CanReadAuditLog],
        description=(
            "The audit log, newest first: the brand's for its admins, the platform's (brand creation…) "
            "for operators on the root host."
        ),
    )
    def audit_events(
        self,
        info: Info,
        filter: AuditEventFilter | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> Connection[AuditEvent]:
        given = filter or AuditEventFilter()
        audit_filter = AuditFilter(
            actor_id=_id(given.actor_id, "actorId"),
            actor_email=given.actor_email,
            action=given.action,
            target_type=given.target_type,
            target_id=given.target_id,
            start=given.start,
            end=given.end,
        )
        return paginate(
            audit_events(audit_filter=audit_filter),
            first=first,
            after=after,
            to_node=AuditEvent.from_model,
            descending=True,
        )

    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="The security events of my account (sign-ins, sessions, 2FA, tokens), newest first.",
    )
    def my_security_events(
        self, info: Info, first: int = 50, after: str | None = None
    ) -> Connection[AuditEvent]:
        return paginate(
            security_events_of(user_id=info.context.user.pk),
            first=first,
            after=after,
            to_node=AuditEvent.from_model,
            descending=True,
        )
