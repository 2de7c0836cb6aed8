"""Audit events caused by an operation over the websocket carry the socket's IP and user agent.

Black-box: a live server, a real websocket."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django_tenants.utils import tenant_context

from accounts.models import ApiTokenScope, Role
from accounts.services import api_token_create
from core.models import AuditEvent
from tests.conftest import make_user
from tests.ws_client import GraphQLWebsocket

pytestmark = pytest.mark.live

CREATE = 'mutation { apiTokenCreate(input: {name: "over ws", scopes: [READ]}) { apiToken { id } errors { code } } }'


async def test_a_mutation_over_the_websocket_records_the_sockets_origin(live_server_port, live_brands):
    brand, _ = live_brands
    user = await sync_to_async(make_user)(brand, role=Role.AFFILIATE)

    def token() -> str:
        with tenant_context(brand):
            return api_token_create(
                user=user, name="socket", scopes=[ApiTokenScope.READ, ApiTokenScope.WRITE]
            )[1]

    raw = await sync_to_async(token)()
    host = await sync_to_async(lambda: brand.domains.get().domain)()
    socket = await GraphQLWebsocket.open(
        live_server_port, host, init_payload={"Authorization": f"Bearer {raw}"}
    )
    try:
        created = (await socket.execute(CREATE))["data"]["apiTokenCreate"]
    finally:
        await socket.close()

    assert created["errors"] == []

    def event() -> AuditEvent:
        with tenant_context(brand):
            return AuditEvent.objects.get(action="api_token.created", target_id=created["apiToken"]["id"])

    recorded = await sync_to_async(event)()
    assert recorded.ip == "127.0.0.1"
    assert "websockets" in recorded.user_agent.lower()  # the client library's User-Agent
    assert recorded.subject_id == user.pk
