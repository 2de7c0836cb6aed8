"""``/graphql/`` over websockets (graphql-transport-ws), in the brand resolved from the Host."""

from __future__ import annotations

from typing import Any

from strawberry.channels import GraphQLWSConsumer
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from accounts.services import api_token_authenticate
from core.tenancy import run_in_tenant
from graphql_schema.context import GraphQLContext
from graphql_schema.schema import schema


class GraphQLWebsocketConsumer(GraphQLWSConsumer):
    """The scope carries ``tenant`` and the session ``user`` (tenants.websocket). A client
    without a session may authenticate in ``connection_init`` with
    ``{"Authorization": "Bearer <token>"}``."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("schema", schema)
        kwargs.setdefault("subscription_protocols", (GRAPHQL_TRANSPORT_WS_PROTOCOL,))
        super().__init__(**kwargs)

    async def get_context(self, request: Any, response: Any) -> GraphQLContext:  # type: ignore[override]
        return GraphQLContext(tenant=self.scope["tenant"], user=self.scope["user"], ws=self)

    async def on_ws_connect(self, context: GraphQLContext) -> Any:  # type: ignore[override]
        authorization = str(context.connection_params.get("Authorization", ""))
        if not authorization:
            return None
        scheme, _, raw_token = authorization.partition(" ")
        if scheme.lower() != "bearer":
            raise ConnectionRejectionError()
        token = await run_in_tenant(context.tenant, api_token_authenticate, raw_token)
        if token is None:
            raise ConnectionRejectionError()
        context.user = token.user
        context.api_token = token
        return None
