from __future__ import annotations

import strawberry

from graphql_schema.access import not_found, parse_id
from graphql_schema.context import Info
from graphql_schema.pagination import Connection, paginate
from graphql_schema.permissions import IsBrandAdmin
from graphql_schema.webhooks.types import (
    EventTypeInfo,
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookEndpoint,
)
from webhooks import selectors
from webhooks.catalog import TEST_EVENT_TYPE
from webhooks.models import DeliveryStatus


@strawberry.type
class WebhookQuery:
    @strawberry.field(
        description="The events integrators can receive by webhook, with their payloads (public)."
    )
    def event_types(self) -> list[EventTypeInfo]:
        return [EventTypeInfo.from_declaration(t) for t in selectors.public_event_types()] + [
            EventTypeInfo.from_declaration(TEST_EVENT_TYPE, subscribable=False)
        ]

    @strawberry.field(
        permission_classes=[IsBrandAdmin], description="The brand's webhook endpoints, newest first."
    )
    def webhook_endpoints(
        self, info: Info, first: int = 50, after: str | None = None
    ) -> Connection[WebhookEndpoint]:
        return paginate(
            selectors.endpoints(),
            first=first,
            after=after,
            to_node=WebhookEndpoint.from_model,
            descending=True,
        )

    @strawberry.field(permission_classes=[IsBrandAdmin])
    def webhook_endpoint(self, info: Info, id: strawberry.ID) -> WebhookEndpoint:
        endpoint = selectors.endpoint_by_id(parse_id(id))
        if endpoint is None:
            raise not_found("Webhook endpoint")
        return WebhookEndpoint.from_model(endpoint)

    @strawberry.field(
        permission_classes=[IsBrandAdmin],
        description="An endpoint's delivery log, newest first, each delivery with its attempts.",
    )
    def webhook_deliveries(
        self,
        info: Info,
        endpoint_id: strawberry.ID,
        status: WebhookDeliveryStatus | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[WebhookDelivery]:
        endpoint = selectors.endpoint_by_id(parse_id(endpoint_id))
        if endpoint is None:
            raise not_found("Webhook endpoint")
        deliveries = selectors.deliveries_of(
            endpoint=endpoint, status=DeliveryStatus(status.value) if status is not None else None
        )
        return paginate(
            deliveries,
            first=first,
            after=after,
            to_nodes=lambda rows: [WebhookDelivery.from_model(d) for d in selectors.with_attempts(rows)],
            descending=True,
        )
