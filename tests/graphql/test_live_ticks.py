"""Live ticks carry their deltas (core.live): a subscriber applies them without a database
query, so the database work of a tick does not grow with the number of subscribers; a
(re)connecting client gets a fresh snapshot first; a brand's tick never reaches another brand.

Over a real websocket (uvicorn serving config.asgi in a thread), clicks through the lane, the
drain run in the test's thread, so that every statement of the process can be counted.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from asgiref.sync import sync_to_async
from django.db import connection, transaction
from django_tenants.utils import tenant_context

from accounts.models import ApiTokenScope
from accounts.services import api_token_create
from affiliation.models import Affiliate, Link
from affiliation.services import link_create
from core.live import DatabaseSnapshot, read_with_snapshot
from tenants.models import Tenant
from tests.conftest import domain_of
from tests.engine import make_affiliate, make_program
from tests.ws_client import GraphQLWebsocket
from tracking.ingest import ClickDrain

pytestmark = pytest.mark.live

STATS = """
subscription($p: ID!) {
  affiliateStats(programId: $p) {
    clicks uniqueClicks isSnapshot
    delta { clicks uniqueClicks links { linkId clicks } }
  }
}
"""
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0"


@pytest.fixture
def committed(django_db_blocker: Any) -> Iterator[None]:
    with django_db_blocker.unblock():
        yield
        connection.set_schema_to_public()


class StatementCounter:
    """Every statement any thread of this process sends to PostgreSQL (Django's cursors and
    the drain's own psycopg cursor and COPY all go through ``psycopg.Cursor``)."""

    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()

    def wrap(self, method: Any) -> Any:
        def counted(cursor: Any, *args: Any, **kwargs: Any) -> Any:
            with self.lock:
                self.count += 1
            return method(cursor, *args, **kwargs)

        return counted


@pytest.fixture
def statements(monkeypatch: pytest.MonkeyPatch) -> StatementCounter:
    counter = StatementCounter()
    for name in ("execute", "executemany", "copy"):
        monkeypatch.setattr(psycopg.Cursor, name, counter.wrap(getattr(psycopg.Cursor, name)))
    return counter


@dataclass
class Member:
    tenant: Tenant
    host: str
    affiliate: Affiliate
    link: Link
    token: str


def member(tenant: Tenant) -> Member:
    with tenant_context(tenant):
        affiliate = make_affiliate(tenant, make_program())
        link = link_create(affiliate=affiliate)
        _, token = api_token_create(user=affiliate.user, name="live", scopes=[ApiTokenScope.READ])
    return Member(tenant, domain_of(tenant), affiliate, link, token)


def click(port: int, host: str, code: str) -> None:
    response = httpx.get(
        f"http://127.0.0.1:{port}/r/{code}", headers={"Host": host, "User-Agent": BROWSER}, timeout=10
    )
    assert response.status_code == 302, response.text


async def subscriber(port: int, who: Member) -> GraphQLWebsocket:
    socket = await GraphQLWebsocket.open(
        port, who.host, init_payload={"Authorization": f"Bearer {who.token}"}
    )
    await socket.subscribe(STATS, {"p": str(who.affiliate.program_id)})
    return socket


async def stats(socket: GraphQLWebsocket, timeout: float = 5) -> dict[str, Any]:
    message = await socket.receive(timeout=timeout)
    assert message["type"] == "next", message
    data: dict[str, Any] = message["payload"]["data"]["affiliateStats"]
    return data


def drain_of(tmp_path: Path) -> ClickDrain:
    return ClickDrain(
        consumer=f"live-ticks-{id(tmp_path)}", fallback_dir=tmp_path, block_ms=10, tick_seconds=0
    )


async def drained_tick(
    port: int, who: Member, drain: ClickDrain, sockets: list[GraphQLWebsocket], counter: StatementCounter
) -> tuple[int, list[dict[str, Any]]]:
    """One click of ``who``'s link, drained here, ticked, received by every socket: the
    statements the whole process sent from the drain's start to the last delivery."""
    await sync_to_async(click)(port, who.host, who.link.code)
    before = counter.count
    await asyncio.to_thread(drain.drain_available)
    received = [await stats(socket) for socket in sockets]
    await asyncio.sleep(0.3)  # anything a subscriber would still do after sending
    return counter.count - before, received


async def test_a_ticks_database_work_does_not_grow_with_its_subscribers(
    live_brands, live_server_port, committed, tmp_path, statements
):
    brand, _ = live_brands
    who = await sync_to_async(member)(brand)
    drain = drain_of(tmp_path)
    try:
        first = await subscriber(live_server_port, who)
        assert await stats(first) == {"clicks": 0, "uniqueClicks": 0, "isSnapshot": True, "delta": None}
        # Warm up: the first click of the hour is unique (and the drain learns the brands).
        await sync_to_async(click)(live_server_port, who.host, who.link.code)
        await asyncio.to_thread(drain.drain_available)
        assert (await stats(first))["clicks"] == 1

        alone, [received] = await drained_tick(live_server_port, who, drain, [first], statements)

        others = [await subscriber(live_server_port, who) for _ in range(7)]
        for socket in others:
            assert (await stats(socket))["isSnapshot"] is True
        crowd, deliveries = await drained_tick(live_server_port, who, drain, [first, *others], statements)
    finally:
        await asyncio.to_thread(drain.close)

    assert received == {
        "clicks": 2,
        "uniqueClicks": 1,
        "isSnapshot": False,
        "delta": {"clicks": 1, "uniqueClicks": 0, "links": [{"linkId": str(who.link.pk), "clicks": 1}]},
    }
    assert [delivery["clicks"] for delivery in deliveries] == [3] * 8
    assert all(delivery["isSnapshot"] is False for delivery in deliveries)
    # The drain's batch (links, claim of unique keys, COPY, rollup upsert, transaction id,
    # search path) and its click.recorded event (the outbox row; after commit its dispatch: the
    # row's lock, the webhook endpoints that want it, the row marked): the same statements for
    # 1 subscriber as for 8; none from the subscribers.
    print(f"statements per tick: {alone} with 1 subscriber, {crowd} with 8")  # shown by pytest -rP
    assert alone == crowd
    assert alone <= 14
    for socket in [first, *others]:
        await socket.close()


async def test_a_reconnecting_client_gets_a_fresh_snapshot_then_deltas(
    live_brands, live_server_port, committed, tmp_path
):
    brand, _ = live_brands
    who = await sync_to_async(member)(brand)
    drain = drain_of(tmp_path)
    try:
        socket = await subscriber(live_server_port, who)
        assert (await stats(socket))["clicks"] == 0
        await sync_to_async(click)(live_server_port, who.host, who.link.code)
        await asyncio.to_thread(drain.drain_available)
        assert (await stats(socket))["delta"]["clicks"] == 1
        await socket.close()

        for _ in range(2):  # while the dashboard is away
            await sync_to_async(click)(live_server_port, who.host, who.link.code)
        await asyncio.to_thread(drain.drain_available)
        again = await subscriber(live_server_port, who)
        snapshot = await stats(again)
        await sync_to_async(click)(live_server_port, who.host, who.link.code)
        await asyncio.to_thread(drain.drain_available)
        update = await stats(again)
    finally:
        await asyncio.to_thread(drain.close)

    assert snapshot == {"clicks": 3, "uniqueClicks": 1, "isSnapshot": True, "delta": None}
    assert (update["clicks"], update["isSnapshot"], update["delta"]["clicks"]) == (4, False, 1)
    await again.close()


async def test_a_brands_tick_never_reaches_another_brands_subscriber(
    live_brands, live_server_port, committed, tmp_path
):
    brand, other = live_brands
    mine = await sync_to_async(member)(brand)
    theirs = await sync_to_async(member)(other)
    assert mine.affiliate.pk == theirs.affiliate.pk  # same ids: only the brand tells them apart
    drain = drain_of(tmp_path)
    try:
        socket = await subscriber(live_server_port, mine)
        their_socket = await subscriber(live_server_port, theirs)
        assert (await stats(socket))["clicks"] == (await stats(their_socket))["clicks"] == 0

        await sync_to_async(click)(live_server_port, mine.host, mine.link.code)
        await asyncio.to_thread(drain.drain_available)

        assert (await stats(socket))["clicks"] == 1
        with pytest.raises(TimeoutError):
            await their_socket.receive(timeout=1.5)
    finally:
        await asyncio.to_thread(drain.close)
    await socket.close()
    await their_socket.close()


def _committed_in_thread(tenant: Tenant, link: Link, started: threading.Event, go: threading.Event) -> int:
    """A transaction of another connection, left open until ``go``: its id."""
    try:
        with tenant_context(tenant), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT pg_current_xact_id()::text")
            xid = int(cursor.fetchone()[0])
            Link.objects.filter(pk=link.pk).update(title="changed")
            started.set()
            go.wait(10)
        return xid
    finally:
        connection.close()


def test_a_snapshot_tells_the_transactions_it_holds_from_those_it_does_not(live_brands, committed):
    """A transaction committed before the read is seen; one in progress during the read, or
    started after it, is not (its tick must be applied)."""
    brand, _ = live_brands
    who = member(brand)
    with tenant_context(brand), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_xact_id()::text")
        before = int(cursor.fetchone()[0])
        Link.objects.filter(pk=who.link.pk).update(title="before")
    started, go = threading.Event(), threading.Event()
    result: list[int] = []
    thread = threading.Thread(
        target=lambda: result.append(_committed_in_thread(brand, who.link, started, go)), daemon=True
    )
    thread.start()
    assert started.wait(10)

    with tenant_context(brand):
        title, snapshot = read_with_snapshot(lambda: Link.objects.get(pk=who.link.pk).title)
    go.set()
    thread.join(10)
    with tenant_context(brand), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_xact_id()::text")
        after = int(cursor.fetchone()[0])

    assert isinstance(snapshot, DatabaseSnapshot)
    assert title == "before"
    assert snapshot.sees(before)
    assert not snapshot.sees(result[0])  # in progress during the read
    assert not snapshot.sees(after)
