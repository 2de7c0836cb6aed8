"""The notification centre over a real websocket and a real Celery worker: an affiliate sees
"commission created" live and in the list, reads it, is not told what they opted out of, and a
user of another brand with the same id sees nothing."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.core import mail
from django_tenants.utils import tenant_context

from accounts.models import User
from affiliation.models import Affiliate
from affiliation.services import conversion_record
from notifications.centre import notification_preference_set
from tenants.models import Tenant
from tests.engine import make_affiliate, make_click, make_program
from tests.ws_client import GraphQLWebsocket

pytestmark = pytest.mark.live

FEED = "subscription { notificationFeed { unreadCount notification { id kind title body url readAt } } }"
LIST = """
{ notifications(first: 10) { totalCount edges { node { id kind title } } } notificationUnreadCount }
"""
MARK = "mutation($ids: [ID!]!) { notificationsMarkRead(ids: $ids) { unreadCount errors { code } } }"


def _affiliate(brand: Tenant) -> Affiliate:
    with tenant_context(brand):
        return make_affiliate(brand, make_program(cascade_rates=[]))


def _sale(brand: Tenant, affiliate: Affiliate, order_id: str, amount: str = "200.00") -> None:
    """A sale attributed to ``affiliate``'s click, committed: its events are dispatched."""
    with tenant_context(brand):
        click = make_click(affiliate)
        conversion_record(
            source="api", order_id=order_id, amount=amount, currency="EUR", click_id=str(click.pk)
        )


def _browser(live_client: Any, brand: Tenant, user: User) -> Any:
    browser = live_client(brand)
    browser.login(user.email)
    return browser


async def _open_feed(port: int, browser: Any) -> tuple[GraphQLWebsocket, int]:
    socket = await GraphQLWebsocket.open(port, browser.host, cookie=browser.cookie_header())
    await socket.subscribe(FEED)
    first = await socket.receive()
    assert first["type"] == "next", first
    feed = first["payload"]["data"]["notificationFeed"]
    assert feed["notification"] is None
    return socket, int(feed["unreadCount"])


async def _next_feed(socket: GraphQLWebsocket, timeout: float = 5) -> dict[str, Any]:
    message = await socket.receive(timeout=timeout)
    assert message["type"] == "next", message
    feed: dict[str, Any] = message["payload"]["data"]["notificationFeed"]
    return feed


async def test_an_affiliate_sees_commission_created_live_and_in_the_list_and_reads_it(
    live_server_port, live_brands, live_client
):
    brand, _ = live_brands
    affiliate = await sync_to_async(_affiliate)(brand)
    browser = await sync_to_async(_browser)(live_client, brand, affiliate.user)
    socket, unread = await _open_feed(live_server_port, browser)
    assert unread == 1  # "You joined a program", from joining

    await sync_to_async(_sale)(brand, affiliate, "LIVE-1")

    feed = await _next_feed(socket)
    assert feed["unreadCount"] == 2
    notification = feed["notification"]
    assert (notification["kind"], notification["title"], notification["url"]) == (
        "commission.created",
        "Commission earned: 40.00 EUR",
        "/commissions",
    )
    assert notification["readAt"] is None
    listed = (await sync_to_async(browser.post)(LIST)).json()["data"]
    assert listed["notificationUnreadCount"] == 2
    assert [e["node"]["kind"] for e in listed["notifications"]["edges"]] == [
        "commission.created",
        "affiliate.joined",
    ]
    assert listed["notifications"]["edges"][0]["node"]["id"] == notification["id"]

    headers = {"X-CSRFToken": browser.http.cookies["csrftoken"]}
    marked = await sync_to_async(browser.post)(MARK, {"ids": [notification["id"]]}, headers)
    assert marked.json()["data"]["notificationsMarkRead"] == {"unreadCount": 1, "errors": []}
    assert await _next_feed(socket) == {"unreadCount": 1, "notification": None}  # every open tab hears it
    await socket.close()


def _twin(brand: Tenant, user: User) -> User:
    """A user of ``brand`` with the same id as ``user`` of another brand."""
    with tenant_context(brand):
        User.objects.filter(pk=user.pk).delete()
        return User.objects.create_user(
            id=user.pk,
            email=f"twin-{uuid.uuid4().hex[:8]}@example.com",
            password="pw-twin-Passw0rd!",
            role=user.role,
        )


async def test_a_user_of_brand_b_with_the_same_id_hears_nothing_of_brand_a(
    live_server_port, live_brands, live_client
):
    brand_a, brand_b = live_brands
    affiliate = await sync_to_async(_affiliate)(brand_a)
    twin = await sync_to_async(_twin)(brand_b, affiliate.user)
    assert twin.pk == affiliate.user_id
    browser_a = await sync_to_async(_browser)(live_client, brand_a, affiliate.user)
    browser_b = await sync_to_async(live_client)(brand_b)
    await sync_to_async(browser_b.login)(twin.email, "pw-twin-Passw0rd!")
    socket_a, _ = await _open_feed(live_server_port, browser_a)
    socket_b, unread_b = await _open_feed(live_server_port, browser_b)
    assert unread_b == 0

    await sync_to_async(_sale)(brand_a, affiliate, "ISO-1")

    assert (await _next_feed(socket_a))["notification"]["kind"] == "commission.created"
    with pytest.raises(TimeoutError):
        await socket_b.receive(timeout=1.5)
    listed = (await sync_to_async(browser_b.post)(LIST)).json()["data"]
    assert (listed["notifications"]["totalCount"], listed["notificationUnreadCount"]) == (0, 0)
    for socket in (socket_a, socket_b):
        await socket.close()


def _wait_for(condition: Any, timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


async def test_an_opted_out_kind_is_delivered_neither_in_the_app_nor_by_email(
    live_server_port, live_brands, live_client, celery_worker_thread
):
    brand, _ = live_brands

    def affiliates() -> tuple[Affiliate, Affiliate]:
        with tenant_context(brand):
            program = make_program(cascade_rates=[])
            quiet, told = make_affiliate(brand, program), make_affiliate(brand, program)
            for method in ("in_app", "email"):
                notification_preference_set(
                    user=quiet.user, kind="commission.created", method=method, enabled=False
                )
            return quiet, told

    quiet, told = await sync_to_async(affiliates)()
    mail.outbox.clear()
    quiet_socket, _ = await _open_feed(
        live_server_port, await sync_to_async(_browser)(live_client, brand, quiet.user)
    )
    told_socket, _ = await _open_feed(
        live_server_port, await sync_to_async(_browser)(live_client, brand, told.user)
    )

    await sync_to_async(_sale)(brand, quiet, "OPT-1")
    await sync_to_async(_sale)(brand, told, "OPT-2", amount="50.00")

    assert (await _next_feed(told_socket))["notification"]["title"] == "Commission earned: 10.00 EUR"
    with pytest.raises(TimeoutError):
        await quiet_socket.receive(timeout=1)
    email = await sync_to_async(_wait_for)(
        lambda: next((m for m in mail.outbox if m.to == [told.user.email]), None)
    )
    assert email.subject.startswith("Commission earned: 10.00 EUR")
    await asyncio.sleep(1)  # the worker had time for the other sale's email, had there been one
    assert [m for m in mail.outbox if m.to == [quiet.user.email]] == []
    for socket in (quiet_socket, told_socket):
        await socket.close()


async def test_an_anonymous_socket_gets_no_feed(live_server_port, live_brands):
    brand, _ = live_brands
    host = await sync_to_async(lambda: brand.domains.get().domain)()
    socket = await GraphQLWebsocket.open(live_server_port, host)
    await socket.subscribe(FEED)

    message = await socket.receive()

    assert message["type"] in {"error", "next"}, message
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    assert errors[0]["extensions"]["code"] == "UNAUTHENTICATED"
    await socket.close()
