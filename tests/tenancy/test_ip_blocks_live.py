"""IP blocks through the whole ASGI stack (uvicorn, the body limits, Django, the websocket
router): a block on brand A refuses the client there, and only there."""

from __future__ import annotations

import httpx
import pytest
from asgiref.sync import sync_to_async

from accounts.models import Role
from tenants.models import Tenant
from tenants.services import ip_block_create
from tests.conftest import domain_of, make_user
from tests.ws_client import GraphQLWebsocket

pytestmark = pytest.mark.live


def _block_loopback(brand: Tenant) -> None:
    operator = make_user(Tenant.objects.get(schema_name="public"), role=Role.OPERATOR)
    ip_block_create(actor=operator, brand_id=brand.pk, network="127.0.0.0/8")


async def test_a_blocked_client_is_refused_over_http_and_websocket_on_that_brand_only(
    live_server_port, live_brands
):
    brand, other = live_brands
    await sync_to_async(_block_loopback)(brand)
    domain, other_domain = await sync_to_async(lambda: (domain_of(brand), domain_of(other)))()

    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{live_server_port}") as http:
        page = await http.get("/", headers={"Host": domain})
        api = await http.post("/graphql/", json={"query": "{ brand { name } }"}, headers={"Host": domain})
        elsewhere = await http.post(
            "/graphql/", json={"query": "{ brand { name } }"}, headers={"Host": other_domain}
        )

    assert page.status_code == 403
    assert api.status_code == 403
    assert api.json()["errors"][0]["extensions"]["code"] == "IP_BLOCKED"
    assert elsewhere.status_code == 200
    assert elsewhere.headers["x-ratelimit-limit"]
    socket = await GraphQLWebsocket.open(live_server_port, domain, acknowledge=False)
    assert await socket.close_code() == 4403
    other_socket = await GraphQLWebsocket.open(live_server_port, other_domain)
    assert (await other_socket.execute("{ brand { name } }"))["data"]["brand"]["name"] == other.name
