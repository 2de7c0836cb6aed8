from __future__ import annotations

import strawberry

from graphql_schema.access import not_found, parse_id
from graphql_schema.context import Info
from graphql_schema.errors import handle_user_errors, keep_on_error, refreshed
from graphql_schema.permissions import IsBrandAdmin
from graphql_schema.webhooks.types import (
    WebhookDelivery,
    WebhookDeliveryPayload,
    WebhookEndpoint,
    WebhookEndpointCreateInput,
    WebhookEndpointDeletePayload,
    WebhookEndpointPayload,
    WebhookEndpointSecretPayload,
    WebhookEndpointUpdateInput,
)
from webhooks import selectors, services
from webhooks.models import WebhookEndpoint as EndpointModel


def _endpoint(id: strawberry.ID) -> EndpointModel:
    endpoint = selectors.endpoint_by_id(parse_id(id))
    if endpoint is None:
        raise not_found("Webhook endpoint")
    return endpoint


def _delivery_node(delivery_id: int) -> WebhookDelivery:
    delivery = selectors.delivery_by_id(delivery_id)
    assert delivery is not None
    return WebhookDelivery.from_model(selectors.with_attempts([delivery])[0])


@strawberry.type
class WebhookMutation:
    @strawberry.mutation(
        permission_classes=[IsBrandAdmin],
        description="Add a webhook endpoint; its signing secret comes back once.",
    )
    @handle_user_errors
    def webhook_endpoint_create(
        self, info: Info, input: WebhookEndpointCreateInput
    ) -> WebhookEndpointSecretPayload:
        endpoint, secret = services.endpoint_create(
            actor=info.context.user,
            url=input.url,
            description=input.description,
            event_types=list(input.event_types),
            all_events=input.all_events,
        )
        return WebhookEndpointSecretPayload(
            endpoint=WebhookEndpoint.from_model(endpoint), secret=secret, errors=[]
        )

    @strawberry.mutation(
        permission_classes=[IsBrandAdmin], description="Change, disable or re-enable an endpoint."
    )
    @handle_user_errors
    def webhook_endpoint_update(
        self, info: Info, id: strawberry.ID, input: WebhookEndpointUpdateInput
    ) -> WebhookEndpointPayload:
        endpoint = _endpoint(id)
        keep_on_error(endpoint=lambda: WebhookEndpoint.from_model(refreshed(endpoint)))
        endpoint = services.endpoint_update(
            actor=info.context.user,
            endpoint=endpoint,
            url=input.url,
            description=input.description,
            event_types=list(input.event_types) if input.event_types is not None else None,
            all_events=input.all_events,
            is_enabled=input.is_enabled,
        )
        return WebhookEndpointPayload(endpoint=WebhookEndpoint.from_model(endpoint), errors=[])

    @strawberry.mutation(
        permission_classes=[IsBrandAdmin], description="Delete an endpoint and its delivery log."
    )
    @handle_user_errors
    def webhook_endpoint_delete(self, info: Info, id: strawberry.ID) -> WebhookEndpointDeletePayload:
        endpoint = _endpoint(id)
        services.endpoint_delete(actor=info.context.user, endpoint=endpoint)
        return WebhookEndpointDeletePayload(deleted_id=id, errors=[])

    @strawberry.mutation(
        permission_classes=[IsBrandAdmin],
        description="A new signing secret, shown once; the previous one also signs for 24 hours.",
    )
    @handle_user_errors
    def webhook_endpoint_secret_rotate(self, info: Info, id: strawberry.ID) -> WebhookEndpointSecretPayload:
        endpoint, secret = services.endpoint_secret_rotate(actor=info.context.user, endpoint=_endpoint(id))
        return WebhookEndpointSecretPayload(
            endpoint=WebhookEndpoint.from_model(endpoint), secret=secret, errors=[]
        )

    @strawberry.mutation(
        permission_classes=[IsBrandAdmin], description="Send a webhook.test event to the endpoint."
    )
    @handle_user_errors
    def webhook_endpoint_test(self, info: Info, id: strawberry.ID) -> WebhookDeliveryPayload:
        delivery = services.endpoint_test_send(actor=info.context.user, endpoint=_endpoint(id))
        return WebhookDeliveryPayload(delivery=_delivery_node(delivery.pk), errors=[])

    @strawberry.mutation(
        permission_classes=[IsBrandAdmin],
        description="Send a delivery again now: the same body and webhook-id, as a new attempt.",
    )
    @handle_user_errors
    def webhook_delivery_replay(self, info: Info, id: strawberry.ID) -> WebhookDeliveryPayload:
        delivery = selectors.delivery_by_id(parse_id(id))
        if delivery is None:
            raise not_found("Webhook delivery")
        delivery_id = delivery.pk
        keep_on_error(delivery=lambda: _delivery_node(delivery_id))
        delivery = services.delivery_replay(actor=info.context.user, delivery=delivery)
        return WebhookDeliveryPayload(delivery=_delivery_node(delivery.pk), errors=[])
