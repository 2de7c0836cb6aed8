from __future__ import annotations

import strawberry
from django.core.exceptions import ValidationError
from strawberry.types import Info

from graphql_schema.affiliation.access import not_found, parse_id
from graphql_schema.errors import user_errors
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
    def webhook_endpoint_create(
        self, info: Info, input: WebhookEndpointCreateInput
    ) -> WebhookEndpointSecretPayload:
        try:
            endpoint, secret = services.endpoint_create(
                actor=info.context.user,
                url=input.url,
                description=input.description,
                event_types=list(input.event_types),
                all_events=input.all_events,
            )
        except ValidationError as error:
            return WebhookEndpointSecretPayload(endpoint=None, secret=None, errors=user_errors(error))
        return WebhookEndpointSecretPayload(
            endpoint=WebhookEndpoint.from_model(endpoint), secret=secret, errors=[]
        )

    @strawberry.mutation(
        permission_classes=[IsBrandAdmin], description="Change, disable or re-enable an endpoint."
    )
    def webhook_endpoint_update(
        self, info: Info, id: strawberry.ID, input: WebhookEndpointUpdateInput
    ) -> WebhookEndpointPayload:
        endpoint = _endpoint(id)
        try:
            endpoint = services.endpoint_update(
                actor=info.context.user,
                endpoint=endpoint,
                url=input.url,
                description=input.description,
                event_types=list(input.event_types) if input.event_types is not None else None,
                all_events=input.all_events,
                is_enabled=input.is_enabled,
            )
        except ValidationError as error:
            endpoint.refresh_from_db()
            return WebhookEndpointPayload(
                endpoint=WebhookEndpoint.from_model(endpoint), errors=user_errors(error)
            )
        return WebhookEndpointPayload(endpoint=WebhookEndpoint.from_model(endpoint), errors=[])

    @strawberry.mutation(
        permission_classes=[IsBrandAdmin], description="Delete an endpoint and its delivery log."
    )
    def webhook_endpoint_delete(self, info: Info, id: strawberry.ID) -> WebhookEndpointDeletePayload:
        endpoint = _endpoint(id)
        services.endpoint_delete(actor=info.context.user, endpoint=endpoint)
        return WebhookEndpointDeletePayload(deleted_id=id, errors=[])

    @strawberry.mutation(
        permission_classes=[IsBrandAdmin],
        description="A new signing secret, shown once; the previous one also signs for 24 hours.",
    )
    def webhook_endpoint_secret_rotate(self, info: Info, id: strawberry.ID) -> WebhookEndpointSecretPayload:
        endpoint, secret = services.endpoint_secret_rotate(actor=info.context.user, endpoint=_endpoint(id))
        return WebhookEndpointSecretPayload(
            endpoint=WebhookEndpoint.from_model(endpoint), secret=secret, errors=[]
        )

    @strawberry.mutation(
        permission_classes=[IsBrandAdmin], description="Send a webhook.test event to the endpoint."
    )
    def webhook_endpoint_test(self, info: Info, id: strawberry.ID) -> WebhookDeliveryPayload:
        try:
            delivery = services.endpoint_test_send(actor=info.context.user, endpoint=_endpoint(id))
        except ValidationError as error:
            return WebhookDeliveryPayload(delivery=None, errors=user_errors(error))
        return WebhookDeliveryPayload(delivery=_delivery_node(delivery.pk), errors=[])

    @strawberry.mutation(
        permission_classes=[IsBrandAdmin],
        description="Send a delivery again now: the same body and webhook-id, as a new attempt.",
    )
    def webhook_delivery_replay(self, info: Info, id: strawberry.ID) -> WebhookDeliveryPayload:
        delivery = selectors.delivery_by_id(parse_id(id))
        if delivery is None:
            raise not_found("Webhook delivery")
        try:
            delivery = services.delivery_replay(actor=info.context.user, delivery=delivery)
        except ValidationError as error:
            return WebhookDeliveryPayload(delivery=_delivery_node(delivery.pk), errors=user_errors(error))
        return WebhookDeliveryPayload(delivery=_delivery_node(delivery.pk), errors=[])
