from __future__ import annotations

import datetime as dt
from enum import Enum

import strawberry

from core.events import EventType as EventTypeDeclaration
from graphql_schema.errors import UserError
from webhooks import models


@strawberry.enum
class WebhookDeliveryStatus(Enum):
    PENDING = "pending"
    SUCCESS = "success"
    FAILED = "failed"


@strawberry.enum
class WebhookDisabledReason(Enum):
    ADMIN = "admin"
    FAILING = "failing"


@strawberry.enum
class WebhookAttemptTrigger(Enum):
    AUTOMATIC = "automatic"
    REPLAY = "replay"


@strawberry.type(description="Where a brand's integrator receives its events, signed per Standard Webhooks.")
class WebhookEndpoint:
    id: strawberry.ID
    url: str
    description: str
    all_events: bool = strawberry.field(description="Every public event, present and future.")
    event_types: list[str] = strawberry.field(description="The chosen event names (empty with allEvents).")
    secret_hint: str = strawberry.field(description="The start of the signing secret, to tell secrets apart.")
    is_enabled: bool
    disabled_reason: WebhookDisabledReason | None
    disabled_at: dt.datetime | None
    failing_since: dt.datetime | None = strawberry.field(
        description="The first failed attempt since the last success; 3 days of it disables the endpoint."
    )
    created_at: dt.datetime

    @classmethod
    def from_model(cls, endpoint: models.WebhookEndpoint) -> WebhookEndpoint:
        return cls(
            id=strawberry.ID(str(endpoint.pk)),
            url=endpoint.url,
            description=endpoint.description,
            all_events=endpoint.all_events,
            event_types=list(endpoint.event_types),
            secret_hint=endpoint.secret_hint,
            is_enabled=endpoint.is_enabled,
            disabled_reason=WebhookDisabledReason(endpoint.disabled_reason)
            if endpoint.disabled_reason
            else None,
            disabled_at=endpoint.disabled_at,
            failing_since=endpoint.failing_since,
            created_at=endpoint.created_at,
        )


@strawberry.type(description="One POST of a delivery and what came back.")
class WebhookDeliveryAttempt:
    id: strawberry.ID
    created_at: dt.datetime
    trigger: WebhookAttemptTrigger
    is_success: bool
    response_status_code: int | None
    response_body: str = strawberry.field(description="The first kilobyte of the response body.")
    duration_ms: int
    error: str = strawberry.field(
        description="What went wrong: TIMEOUT, CONNECTION_ERROR, HTTP 500, REDIRECT …"
    )

    @classmethod
    def from_model(cls, attempt: models.WebhookDeliveryAttempt) -> WebhookDeliveryAttempt:
        return cls(
            id=strawberry.ID(str(attempt.pk)),
            created_at=attempt.created_at,
            trigger=WebhookAttemptTrigger(attempt.trigger),
            is_success=attempt.is_success,
            response_status_code=attempt.response_status_code,
            response_body=attempt.response_body,
            duration_ms=attempt.duration_ms,
            error=attempt.error,
        )


@strawberry.type(description="One event for one endpoint, with every attempt.")
class WebhookDelivery:
    id: strawberry.ID
    endpoint_id: strawberry.ID
    event_id: str = strawberry.field(
        description="The webhook-id header: the same on every attempt and replay."
    )
    event_type: str
    event_version: int
    payload: strawberry.scalars.JSON = strawberry.field(description="The event's data, as sent.")
    status: WebhookDeliveryStatus
    attempt_count: int
    next_attempt_at: dt.datetime | None
    created_at: dt.datetime
    attempts: list[WebhookDeliveryAttempt]

    @classmethod
    def from_model(cls, delivery: models.WebhookDelivery) -> WebhookDelivery:
        """``delivery.attempts`` should be prefetched (``webhooks.selectors.with_attempts``)."""
        return cls(
            id=strawberry.ID(str(delivery.pk)),
            endpoint_id=strawberry.ID(str(delivery.endpoint_id)),
            event_id=str(delivery.event_id),
            event_type=delivery.event_name,
            event_version=delivery.event_version,
            payload=strawberry.scalars.JSON(delivery.payload),
            status=WebhookDeliveryStatus(delivery.status),
            attempt_count=delivery.attempt_count,
            next_attempt_at=delivery.next_attempt_at,
            created_at=delivery.created_at,
            attempts=[WebhookDeliveryAttempt.from_model(a) for a in delivery.attempts.all()],
        )


@strawberry.type(description="One key of an event's payload.")
class EventPayloadField:
    name: str
    type: str = strawberry.field(
        description="string, integer, decimal (sent as a string), boolean, datetime, date, object or array."
    )
    description: str
    nullable: bool


@strawberry.type(description="An event integrators can receive by webhook (the developer event catalogue).")
class EventTypeInfo:
    name: str
    version: int
    description: str
    fields: list[EventPayloadField]
    json_schema: strawberry.scalars.JSON = strawberry.field(
        description="The payload (data) as JSON Schema 2020-12."
    )
    subscribable: bool = strawberry.field(
        description="False for webhook.test, sent on request to one endpoint."
    )

    @classmethod
    def from_declaration(
        cls, event_type: EventTypeDeclaration, *, subscribable: bool = True
    ) -> EventTypeInfo:
        return cls(
            name=event_type.name,
            version=event_type.version,
            description=event_type.description,
            fields=[
                EventPayloadField(
                    name=key, type=spec.type, description=spec.description, nullable=spec.nullable
                )
                for key, spec in event_type.fields.items()
            ],
            json_schema=strawberry.scalars.JSON(event_type.json_schema()),
            subscribable=subscribable,
        )


@strawberry.input
class WebhookEndpointCreateInput:
    url: str
    description: str = ""
    event_types: list[str] = strawberry.field(default_factory=list)
    all_events: bool = False


@strawberry.input
class WebhookEndpointUpdateInput:
    url: str | None = None
    description: str | None = None
    event_types: list[str] | None = None
    all_events: bool | None = None
    is_enabled: bool | None = strawberry.field(
        default=None, description="true re-enables a disabled endpoint and forgets its failures."
    )


@strawberry.type
class WebhookEndpointPayload:
    endpoint: WebhookEndpoint | None
    errors: list[UserError]


@strawberry.type
class WebhookEndpointSecretPayload:
    endpoint: WebhookEndpoint | None
    secret: str | None = strawberry.field(
        description="The signing secret (whsec_…). Store it now: it is never shown again."
    )
    errors: list[UserError]


@strawberry.type
class WebhookEndpointDeletePayload:
    deleted_id: strawberry.ID | None
    errors: list[UserError]


@strawberry.type
class WebhookDeliveryPayload:
    delivery: WebhookDelivery | None
    errors: list[UserError]
