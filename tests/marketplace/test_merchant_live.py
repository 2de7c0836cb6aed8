"""The merchant's live counters over a real websocket: a click on an affiliate's link to the
merchant's product goes through the lane (uvicorn) and the drain loop (a thread), whose tick
on the program's group makes the subscription re-read the rollups."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgiref.sync import sync_to_async
from django.db import connection
from django_tenants.utils import tenant_context

from accounts.models import ApiTokenScope, Role, User
from accounts.services import api_token_create
from affiliation.models import Link
from affiliation.services import link_create
from marketplace.models import Product
from tenants.models import Tenant
from tests.conftest import domain_of, make_user
from tests.engine import make_affiliate, make_program
from tests.marketplace.builders import make_merchant, make_product
from tests.ws_client import GraphQLWebsocket

pytestmark = pytest.mark.live

MERCHANT_STATS = """
subscription($m: ID) {
  merchantStats(merchantId: $m) {
    clicks uniqueClicks conversions revenue { amount currency } commissions { amount currency }
  }
}
"""
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0"


@pytest.fixture
def committed(django_db_blocker: Any) -> Iterator[None]:
    """Database access in the test body without a transaction: the server's threads and the
    drain read and write committed rows."""
    with django_db_blocker.unblock():
        yield
        connection.set_schema_to_public()


@pytest.fixture
def click_drain(committed: None, tmp_path: Path) -> Iterator[None]:
    """The drain's loop (`manage.py tracking_drain`) in a thread, on this run's stream."""
    from tracking.ingest import ClickDrain

    drain = ClickDrain(consumer=f"merchant-live-{id(tmp_path)}", fallback_dir=tmp_path, block_ms=50)
    stopping = threading.Event()
    thread = threading.Thread(target=drain.run, args=(stopping.is_set,), daemon=True)
    thread.start()
    yield
    stopping.set()
    thread.join(timeout=5)
    drain.close()


@dataclass
class Shop:
    """One program shared by two merchants' products, one affiliate linking to each."""

    tenant: Tenant
    host: str
    merchant: User
    other_merchant: User
    product: Product
    other_product: Product
    link: Link
    other_link: Link


def shop(tenant: Tenant) -> Shop:
    with tenant_context(tenant):
        program = make_program()
        merchant, other_merchant = make_merchant(tenant), make_merchant(tenant)
        product = make_product(merchant, program=program, currency="EUR")
        other_product = make_product(other_merchant, program=program, currency="EUR")
        affiliate = make_affiliate(tenant, program)
        link = link_create(affiliate=affiliate, offer_ref=product.offer_ref)
        other_link = link_create(affiliate=affiliate, offer_ref=other_product.offer_ref)
    return Shop(tenant, domain_of(tenant), merchant, other_merchant, product, other_product, link, other_link)


def token_of(tenant: Tenant, user: User) -> str:
    with tenant_context(tenant):
        _, token = api_token_create(user=user, name="live", scopes=[ApiTokenScope.READ])
    return token


async def socket_for(port: int, tenant: Tenant, user: User) -> GraphQLWebsocket:
    token = await sync_to_async(token_of)(tenant, user)
    host = await sync_to_async(domain_of)(tenant)
    return await GraphQLWebsocket.open(port, host, init_payload={"Authorization": f"Bearer {token}"})


def click(port: int, host: str, code: str) -> None:
    response = httpx.get(
        f"http://127.0.0.1:{port}/r/{code}", headers={"Host": host, "User-Agent": BROWSER}, timeout=10
    )
    assert response.status_code == 302, response.text


async def next_stats(socket: GraphQLWebsocket, timeout: float = 5) -> dict[str, Any]:
    message = await socket.receive(timeout=timeout)
    assert message["type"] == "next", message
    stats: dict[str, Any] = message["payload"]["data"]["merchantStats"]
    return stats


ZERO = {
    "clicks": 0,
    "uniqueClicks": 0,
    "conversions": 0,
    "revenue": [{"amount": "0.00", "currency": "EUR"}],
    "commissions": [{"amount": "0.00", "currency": "EUR"}],
}


async def test_a_click_on_a_link_to_the_merchants_product_shows_within_a_second(
    live_brands, live_server_port, click_drain
):
    brand, _ = live_brands
    setup = await sync_to_async(shop)(brand)
    mine = await socket_for(live_server_port, brand, setup.merchant)
    theirs = await socket_for(live_server_port, brand, setup.other_merchant)
    await mine.subscribe(MERCHANT_STATS)
    await theirs.subscribe(MERCHANT_STATS)
    assert await next_stats(mine) == ZERO
    assert await next_stats(theirs) == ZERO
    await asyncio.sleep(0.2)  # both joined their groups

    await sync_to_async(click)(live_server_port, setup.host, setup.link.code)
    clicked_at = time.monotonic()
    update = await next_stats(mine, timeout=1.0)

    assert time.monotonic() - clicked_at < 1.0
    assert update == {**ZERO, "clicks": 1, "uniqueClicks": 1}
    # The same program's group ticked for the other merchant, whose numbers did not change.
    with pytest.raises(TimeoutError):
        await theirs.receive(timeout=1.5)

    await sync_to_async(click)(live_server_port, setup.host, setup.other_link.code)
    their_update = await next_stats(theirs, timeout=3)

    assert their_update == {**ZERO, "clicks": 1, "uniqueClicks": 1}
    with pytest.raises(TimeoutError):
        await mine.receive(timeout=1.5)  # the tick reached M's group; M's numbers did not move
    await mine.close()
    await theirs.close()


def _sale_by_click(setup: Shop) -> None:
    """An 80 EUR sale of M's product, attributed to the click the drain stored."""
    from affiliation.services import conversion_record
    from tracking.models import Click

    with tenant_context(setup.tenant):
        stored = Click.objects.get(link=setup.link)
        conversion_record(
            source="postback",
            order_id=f"live-{setup.product.pk}",
            amount="80.00",
            currency="EUR",
            click_id=str(stored.id),
            offer_ref=setup.product.offer_ref,
        )


async def test_a_sale_of_the_merchants_product_shows_without_a_click(
    live_brands, live_server_port, click_drain, celery_worker_thread
):
    """The sale reaches the rollups in a task after commit; that task ticks the program."""
    brand, _ = live_brands
    setup = await sync_to_async(shop)(brand)
    mine = await socket_for(live_server_port, brand, setup.merchant)
    await mine.subscribe(MERCHANT_STATS)
    assert await next_stats(mine) == ZERO
    await asyncio.sleep(0.2)
    await sync_to_async(click)(live_server_port, setup.host, setup.link.code)
    assert (await next_stats(mine, timeout=3))["clicks"] == 1

    await sync_to_async(_sale_by_click)(setup)
    update = await next_stats(mine, timeout=5)

    assert (update["conversions"], update["revenue"]) == (1, [{"amount": "80.00", "currency": "EUR"}])
    await mine.close()


async def test_a_brand_admin_follows_the_merchant_they_name(live_brands, live_server_port, click_drain):
    brand, _ = live_brands
    setup = await sync_to_async(shop)(brand)
    admin = await sync_to_async(make_user)(brand, role=Role.BRAND_ADMIN)
    socket = await socket_for(live_server_port, brand, admin)
    await socket.subscribe(MERCHANT_STATS, {"m": str(setup.merchant.pk)})
    assert await next_stats(socket) == ZERO
    await asyncio.sleep(0.2)

    await sync_to_async(click)(live_server_port, setup.host, setup.link.code)

    assert (await next_stats(socket, timeout=3))["clicks"] == 1
    await socket.close()


def _refusal(message: dict[str, Any]) -> str:
    """The error code of a refused subscription, as graphql-transport-ws carries it."""
    if message["type"] == "error":
        return str(message["payload"][0]["extensions"]["code"])
    assert message["type"] == "next", message
    assert message["payload"]["data"] is None, message
    return str(message["payload"]["errors"][0]["extensions"]["code"])


@pytest.mark.parametrize("role", [Role.AFFILIATE, Role.CUSTOMER])
async def test_affiliates_and_customers_are_refused(live_brands, live_server_port, committed, role):
    brand, _ = live_brands
    user = await sync_to_async(make_user)(brand, role=role)
    socket = await socket_for(live_server_port, brand, user)
    await socket.subscribe(MERCHANT_STATS)

    assert _refusal(await socket.receive()) == "FORBIDDEN"
    await socket.close()


async def test_a_merchant_cannot_follow_another_merchant(live_brands, live_server_port, committed):
    brand, _ = live_brands
    setup = await sync_to_async(shop)(brand)
    socket = await socket_for(live_server_port, brand, setup.merchant)
    await socket.subscribe(MERCHANT_STATS, {"m": str(setup.other_merchant.pk)})

    assert _refusal(await socket.receive()) == "NOT_FOUND"
    await socket.close()
