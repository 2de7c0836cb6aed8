"""Brands over websockets: host routing, origins, subscriptions and queries in the right schema."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.db import connection
from django_tenants.utils import tenant_context

from accounts.models import ApiTokenScope, Role
from accounts.services import api_token_create
from core.tenancy import run_in_tenant
from tests.conftest import make_user
from tests.ws_client import GraphQLWebsocket

pytestmark = pytest.mark.live

BRAND_UPDATED = "subscription { brandUpdated { name theme { name colors { primary } } } }"
BRAND_UPDATE = """
mutation Update($name: String, $theme: String) {
  brandUpdate(input: {name: $name, theme: $theme}) { brand { name } errors { field code } }
}
"""


def _token(brand, name: str) -> str:
    with tenant_context(brand):
        user = make_user(brand, role=Role.MERCHANT)
        _, raw = api_token_create(user=user, name=name, scopes=[ApiTokenScope.READ, ApiTokenScope.WRITE])
    return raw


def _admin_browser(live_client, brand):
    admin = make_user(brand, role=Role.BRAND_ADMIN)
    browser = live_client(brand)
    browser.login(admin.email)
    return browser


async def test_an_unknown_host_is_closed_with_4404(live_server_port):
    socket = await GraphQLWebsocket.open(live_server_port, "nowhere.localhost", acknowledge=False)

    assert await socket.close_code() == 4404


async def test_a_foreign_origin_is_closed_with_4403(live_server_port, live_brands):
    brand, other = live_brands
    other_domain = await sync_to_async(lambda: other.domains.get().domain)()
    domain = await sync_to_async(lambda: brand.domains.get().domain)()

    socket = await GraphQLWebsocket.open(
        live_server_port, domain, origin=f"http://{other_domain}:8000", acknowledge=False
    )

    assert await socket.close_code() == 4403


async def test_brand_updated_reaches_subscribers_of_that_brand_only(
    live_server_port, live_brands, live_client
):
    brand, other = live_brands
    browser = await sync_to_async(_admin_browser)(live_client, brand)
    domain, other_domain = browser.host, await sync_to_async(lambda: other.domains.get().domain)()
    subscriber = await GraphQLWebsocket.open(
        live_server_port, domain, origin=f"http://{domain}:{live_server_port}"
    )
    stranger = await GraphQLWebsocket.open(live_server_port, other_domain)
    subscription = await subscriber.subscribe(BRAND_UPDATED)
    await stranger.subscribe(BRAND_UPDATED)
    await asyncio.sleep(0.3)  # let both join their channel-layer groups

    response = await sync_to_async(browser.post)(
        BRAND_UPDATE,
        {"name": "Renamed live", "theme": "aurum"},
        headers={"X-CSRFToken": browser.http.cookies["csrftoken"]},
    )
    assert response.json()["data"]["brandUpdate"]["errors"] == []

    message = await subscriber.receive(timeout=5)
    assert message == {
        "id": subscription,
        "type": "next",
        "payload": {
            "data": {
                "brandUpdated": {
                    "name": "Renamed live",
                    "theme": {"name": "aurum", "colors": {"primary": "#d4af37"}},
                }
            }
        },
    }
    with pytest.raises(TimeoutError):
        await stranger.receive(timeout=1)
    await subscriber.close()
    await stranger.close()


async def test_a_failed_update_publishes_nothing(live_server_port, live_brands, live_client):
    brand, _ = live_brands
    browser = await sync_to_async(_admin_browser)(live_client, brand)
    subscriber = await GraphQLWebsocket.open(live_server_port, browser.host)
    await subscriber.subscribe(BRAND_UPDATED)
    await asyncio.sleep(0.3)

    response = await sync_to_async(browser.post)(
        BRAND_UPDATE, {"theme": "neon"}, headers={"X-CSRFToken": browser.http.cookies["csrftoken"]}
    )

    assert response.json()["data"]["brandUpdate"]["errors"] == [{"field": "theme", "code": "UNKNOWN_THEME"}]
    with pytest.raises(TimeoutError):
        await subscriber.receive(timeout=1)
    await subscriber.close()


async def test_queries_over_the_websocket_run_in_the_brand_of_the_host(live_server_port, live_brands):
    """Alternate brands on the one thread that database_sync_to_async reuses: each query must
    still read its own brand's schema."""
    brand, other = live_brands
    token_a = await sync_to_async(_token)(brand, "token-of-a")
    token_b = await sync_to_async(_token)(other, "token-of-b")
    domain_a = await sync_to_async(lambda: brand.domains.get().domain)()
    domain_b = await sync_to_async(lambda: other.domains.get().domain)()
    socket_a = await GraphQLWebsocket.open(
        live_server_port, domain_a, init_payload={"Authorization": f"Bearer {token_a}"}
    )
    socket_b = await GraphQLWebsocket.open(
        live_server_port, domain_b, init_payload={"Authorization": f"Bearer {token_b}"}
    )

    for _ in range(3):
        result_a = await socket_a.execute("{ apiTokens { name } brand { name } }")
        result_b = await socket_b.execute("{ apiTokens { name } brand { name } }")
        assert result_a["data"] == {"apiTokens": [{"name": "token-of-a"}], "brand": {"name": brand.name}}
        assert result_b["data"] == {"apiTokens": [{"name": "token-of-b"}], "brand": {"name": other.name}}
    await socket_a.close()
    await socket_b.close()


async def test_a_token_of_brand_a_is_refused_on_brand_b_websocket(live_server_port, live_brands):
    brand, other = live_brands
    token_a = await sync_to_async(_token)(brand, "token-of-a")
    domain_b = await sync_to_async(lambda: other.domains.get().domain)()
    socket = await GraphQLWebsocket.open(live_server_port, domain_b, acknowledge=False)

    await socket.send({"type": "connection_init", "payload": {"Authorization": f"Bearer {token_a}"}})

    code, reason = await socket.closed()
    assert code == 4401
    assert reason == "UNAUTHENTICATED: invalid, expired or revoked API token"


def _same_id_users_with_tokens(brand, other):
    """A user in each brand with the same primary key, and a token for each."""
    users = {}
    for tenant in (brand, other):
        users[tenant.pk] = make_user(tenant, role=Role.AFFILIATE)
    while users[brand.pk].pk != users[other.pk].pk:
        lower = brand if users[brand.pk].pk < users[other.pk].pk else other
        users[lower.pk] = make_user(lower, role=Role.AFFILIATE)
    tokens = {}
    for tenant in (brand, other):
        with tenant_context(tenant):
            _, tokens[tenant.pk] = api_token_create(
                user=users[tenant.pk], name="same-id", scopes=[ApiTokenScope.READ]
            )
    return users[brand.pk], tokens[brand.pk], tokens[other.pk]


async def test_a_credentials_change_in_brand_a_leaves_brand_bs_user_with_the_same_id_alone(
    live_server_port, live_brands
):
    """Credentials-changed messages go to ``<schema>.user.<id>``: deactivating user N of brand A
    closes A's socket, never the socket of brand B's user N."""
    from accounts.models import User
    from accounts.services import user_deactivate

    brand, other = live_brands
    user_a, token_a, token_b = await sync_to_async(_same_id_users_with_tokens)(brand, other)
    domain_a = await sync_to_async(lambda: brand.domains.get().domain)()
    domain_b = await sync_to_async(lambda: other.domains.get().domain)()
    socket_a = await GraphQLWebsocket.open(
        live_server_port, domain_a, init_payload={"Authorization": f"Bearer {token_a}"}
    )
    socket_b = await GraphQLWebsocket.open(
        live_server_port, domain_b, init_payload={"Authorization": f"Bearer {token_b}"}
    )
    subscription_b = await socket_b.subscribe("subscription { withdrawalUpdated { id } }")
    await asyncio.sleep(0.3)

    def change_quietly_in_b_then_deactivate_in_a() -> None:
        # B's user changes role past the services (nothing published): a message leaking from
        # A's group would make B's socket re-check now and end its subscription.
        with tenant_context(other):
            User.objects.filter(pk=user_a.pk).update(role=Role.CUSTOMER)
        with tenant_context(brand):
            user_deactivate(actor=None, user=User.objects.get(pk=user_a.pk))

    await sync_to_async(change_quietly_in_b_then_deactivate_in_a)()

    assert (await socket_a.closed())[0] == 4401
    with pytest.raises(TimeoutError):  # B's subscription was neither ended nor disturbed
        await socket_b.receive(timeout=1)
    await socket_b.send({"id": subscription_b, "type": "complete"})
    me_b = await socket_b.execute("{ me { role } }")  # B's own next operation sees B's change
    assert me_b["data"] == {"me": {"role": "CUSTOMER"}}
    await socket_b.close()


async def test_a_session_cookie_of_brand_a_is_anonymous_on_brand_b(
    live_server_port, live_brands, live_client
):
    brand, other = live_brands
    browser = await sync_to_async(_admin_browser)(live_client, brand)
    domain_b = await sync_to_async(lambda: other.domains.get().domain)()
    own = await GraphQLWebsocket.open(live_server_port, browser.host, cookie=browser.cookie_header())
    foreign = await GraphQLWebsocket.open(live_server_port, domain_b, cookie=browser.cookie_header())

    assert (await own.execute("{ me { role } }"))["data"] == {"me": {"role": "BRAND_ADMIN"}}
    assert (await foreign.execute("{ me { role } }"))["data"] == {"me": None}
    await own.close()
    await foreign.close()


async def test_mutations_over_the_websocket_run_in_the_brand_of_the_host(live_server_port, live_brands):
    brand, other = live_brands
    token_a = await sync_to_async(_token)(brand, "first")
    domain_a = await sync_to_async(lambda: brand.domains.get().domain)()
    socket = await GraphQLWebsocket.open(
        live_server_port, domain_a, init_payload={"Authorization": f"Bearer {token_a}"}
    )

    result = await socket.execute(
        'mutation { apiTokenCreate(input: {name: "over-ws", scopes: [READ]}) { errors { code } } }'
    )

    assert result["data"] == {"apiTokenCreate": {"errors": []}}
    names = await run_in_tenant(brand, lambda: sorted(brand_token.name for brand_token in _all_tokens()))
    other_names = await run_in_tenant(other, lambda: [t.name for t in _all_tokens()])
    assert names == ["first", "over-ws"]
    assert other_names == []
    await socket.close()


def _all_tokens():
    from accounts.models import ApiToken

    return list(ApiToken.objects.all())


async def test_bare_set_tenant_in_async_code_leaks_into_the_next_call(live_brands):
    """Why core.tenancy exists: the schema stays on database_sync_to_async's shared thread."""
    brand, _ = live_brands

    # `connection` is resolved inside the lambdas: in the executor thread, not the loop's.
    await database_sync_to_async(lambda: connection.set_tenant(brand))()
    leaked = await database_sync_to_async(lambda: connection.schema_name)()
    await database_sync_to_async(lambda: connection.set_schema_to_public())()

    assert leaked == brand.schema_name


async def test_run_in_tenant_leaves_the_shared_thread_on_public(live_brands):
    brand, other = live_brands

    seen = await run_in_tenant(brand, lambda: connection.schema_name)
    after = await database_sync_to_async(lambda: connection.schema_name)()
    seen_other = await run_in_tenant(other, lambda: connection.schema_name)

    assert (seen, after, seen_other) == (brand.schema_name, "public", other.schema_name)


async def test_run_in_tenant_leaves_public_even_when_the_function_fails(live_brands):
    brand, _ = live_brands

    def fail() -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        await run_in_tenant(brand, fail)

    assert await database_sync_to_async(lambda: connection.schema_name)() == "public"
