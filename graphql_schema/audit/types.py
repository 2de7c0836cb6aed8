from __future__ import annotations

import datetime as dt

import strawberry

from core.models import AuditEvent as AuditEventModel


@strawberry.type(description="One entry of the audit log: who did what to which object, from where, when.")
class AuditEvent:
    id: strawberry.ID
    action: str = strawberry.field(description="`<entity>.<verb>`, e.g. `api_token.revoked`.")
    actor_id: strawberry.ID | None = strawberry.field(
        description="Null for the system or an anonymous visitor."
    )
    actor_email: str
    subject_id: strawberry.ID | None = strawberry.field(description="The user the event is about.")
    target_type: str = strawberry.field(description="The object's kind (`app.Model`), or empty.")
    target_id: str
    before: strawberry.scalars.JSON | None = strawberry.field(
        description="Changed values before, if a change."
    )
    after: strawberry.scalars.JSON | None = strawberry.field(description="Changed values after, if a change.")
    data: strawberry.scalars.JSON = strawberry.field(description="Other details of the event.")
    ip: str | None
    user_agent: str
    created_at: dt.datetime

    @classmethod
    def from_model(cls, event: AuditEventModel) -> AuditEvent:
        data = dict(event.data or {})
        before, after = data.pop("before", None), data.pop("after", None)
        return cls(
            id=strawberry.ID(str(event.pk)),
            action=event.action,
            actor_id=strawberry.ID(str(event.actor_id)) if event.actor_id is not None else None,
            actor_email=event.actor_email,
            subject_id=strawberry.ID(str(event.subject_id)) if event.subject_id is not None else None,
            target_type=event.target_type,
            target_id=event.target_id,
            before=strawberry.scalars.JSON(before) if before is not None else None,
            after=strawberry.scalars.JSON(after) if after is not None else None,
            data=strawberry.scalars.JSON(data),
            ip=event.ip,
            user_agent=event.user_agent,
            created_at=event.created_at,
        )


@strawberry.input(description="Every field narrows; omitted means any.")
class AuditEventFilter:
    actor_id: strawberry.ID | None = None
    actor_email: str | None = strawberry.field(default=None, description="Part of the actor's email.")
    action: str | None = strawberry.field(default=None, description="Exact, or a prefix ending in `*`.")
    target_type: str | None = None
    target_id: str | None = None
    start: dt.datetime | None = strawberry.field(default=None, description="From (inclusive).")
    end: dt.datetime | None = strawberry.field(default=None, description="Until (exclusive).")
