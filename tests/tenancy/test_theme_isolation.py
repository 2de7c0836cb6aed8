"""Theme overrides stay in their brand: over HTTP GraphQL, the web app, and `brandUpdated`."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django_tenants.utils import tenant_context

from accounts.models import Role
from tests.conftest import domain_of, make_user
from tests.graphql_client import GraphQLClient
from tests.ws_client import GraphQLWebsocket
from themes import get_theme

THEME = "{ brand { theme { name overrides colors { primary } } } }"
UPDATE = "mutation($o: JSON) { brandUpdate(input: {themeOverrides: $o}) { errors { field code } } }"
BRAND_UPDATED = "subscription { brandUpdated { theme { name overrides colors { primary } cssVariables } } }"
OVERRIDES = {"colors": {"primary": "#7c2d12"}}


def test_overrides_of_brand_a_leave_brand_b_untouched(gql, brand_a, brand_b):
    admin_a = make_user(brand_a, role=Role.BRAND_ADMIN)

    assert gql(brand_a, admin_a).data(UPDATE, {"o": OVERRIDES})["brandUpdate"]["errors"] == []

    assert gql(brand_b).data(THEME)["brand"]["theme"] == {
        "name": "aurum",
        "overrides": {},
        "colors": {"primary": get_theme("aurum")["colors"]["primary"]},
    }
    brand_b.refresh_from_db()
    assert brand_b.theme_overrides == {}


def test_an_admin_of_brand_a_cannot_override_brand_bs_theme(brand_a, brand_b):
    admin_a = make_user(brand_a, role=Role.BRAND_ADMIN)

    browser = Client()  # its cookies go to every host, like a shared cookie domain would
    with tenant_context(brand_a):
        browser.force_login(admin_a)

    result = GraphQLClient(browser, host=domain_of(brand_b)).execute(UPDATE, {"o": OVERRIDES})

    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    brand_b.refresh_from_db()
    assert brand_b.theme_overrides == {}


@pytest.mark.live
async def test_brand_updated_carries_the_merged_theme_to_that_brand_only(
    live_server_port, live_brands, live_client
):
    brand, other = live_brands

    def admin_browser():
        browser = live_client(brand)
        browser.login(make_user(brand, role=Role.BRAND_ADMIN).email)
        return browser

    browser = await sync_to_async(admin_browser)()
    other_domain = await sync_to_async(lambda: other.domains.get().domain)()
    subscriber = await GraphQLWebsocket.open(
        live_server_port, browser.host, origin=f"http://{browser.host}:{live_server_port}"
    )
    stranger = await GraphQLWebsocket.open(live_server_port, other_domain)
    subscription = await subscriber.subscribe(BRAND_UPDATED)
    await stranger.subscribe(BRAND_UPDATED)
    await asyncio.sleep(0.3)  # let both join their channel-layer groups

    response = await sync_to_async(browser.post)(
        UPDATE, {"o": OVERRIDES}, headers={"X-CSRFToken": browser.http.cookies["csrftoken"]}
    )
    assert response.json()["data"]["brandUpdate"]["errors"] == []

    message = await subscriber.receive(timeout=5)
    assert message["id"] == subscription
    theme = message["payload"]["data"]["brandUpdated"]["theme"]
    assert theme["overrides"] == OVERRIDES
    assert theme["colors"] == {"primary": "#7c2d12"}
    assert theme["cssVariables"]["--color-primary"] == "#7c2d12"
    with pytest.raises(TimeoutError):
        await stranger.receive(timeout=1)
    await subscriber.close()
    await stranger.close()
