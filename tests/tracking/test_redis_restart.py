"""Clicks survive a Redis restart and a broken stream (issue 9, finding A).

The Redis here is a dedicated one, started by the same function as the embedded Redis of
``make run`` (``devstack.services.start_redis``, in a folder of the test's own), so the
test can stop and start it: the redirects are answered by the real lane, the drain is the
real one, and the clicks are counted in Postgres by click id.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
from django_tenants.utils import tenant_context

from devstack.services import start_redis, stop_redis
from tests.tracking.conftest import click_id_of, link_rollups
from tracking import keys
from tracking.models import Click

pytestmark = pytest.mark.live


@dataclass
class OwnRedis:
    directory: Path
    url: str

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, decode_responses=True)

    def restart(self) -> None:
        """SHUTDOWN (what a deploy or ``make run`` stopping does), then start on the same folder."""
        client = self.client()
        client.shutdown()  # redis-py swallows the connection closing under it
        client.close()
        stop_redis(self.directory)  # waits until the process is gone
        self.url, started = start_redis(self.directory)
        assert started

    def stop(self) -> None:
        stop_redis(self.directory)


@pytest.fixture
def own_redis() -> Iterator[OwnRedis]:
    # A short folder: a unix socket path must stay under ~100 characters.
    directory = Path(tempfile.mkdtemp(prefix="afr", dir="/tmp"))
    url, _ = start_redis(directory)
    yield OwnRedis(directory, url)
    stop_redis(directory)
    shutil.rmtree(directory, ignore_errors=True)


def _click(lane: Any, brand: Any, n: int) -> str:
    response = lane.get(brand.host, f"/r/{brand.link.code}", ip=f"198.51.100.{n % 50}")
    assert response.status_code == 302
    return click_id_of(response)


def _stored(brand: Any) -> tuple[list[str], int]:
    """(click ids stored for the brand's link, clicks counted in its rollups)."""
    with tenant_context(brand.tenant):
        ids = [str(i) for i in Click.objects.filter(link=brand.link).values_list("id", flat=True)]
        counted = sum(clicks for _, clicks, _ in link_rollups(brand.link))
    return ids, counted


def _wait_for(brand: Any, expected: list[str], timeout: float = 30.0) -> tuple[list[str], int]:
    deadline = time.monotonic() + timeout
    while True:
        ids, counted = _stored(brand)
        if set(ids) >= set(expected) or time.monotonic() > deadline:
            return ids, counted
        time.sleep(0.1)


class DrainLoop:
    """``ClickDrain.run`` in a thread, as ``manage.py tracking_drain`` runs it."""

    def __init__(self, drain: Any) -> None:
        self.drain = drain
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=drain.run, args=(self.stopping.is_set,), daemon=True)

    def __enter__(self) -> DrainLoop:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.thread.join(timeout=15)
        assert not self.thread.is_alive()


def test_the_embedded_redis_keeps_an_append_only_file_synced_every_second(own_redis):
    client = own_redis.client()
    try:
        assert client.config_get("appendonly") == {"appendonly": "yes"}
        assert client.config_get("appendfsync") == {"appendfsync": "everysec"}
        assert Path(client.config_get("dir")["dir"]) == own_redis.directory
    finally:
        client.close()


def test_clicks_waiting_in_redis_survive_a_redis_restart_exactly_once(
    brands, lane_factory, drain_factory, own_redis, prefix
):
    """Postgres out of reach of the drain (it is not running) while clicks pile up in Redis:
    some read but never acknowledged, the rest never read; then Redis restarts."""
    brand, _ = brands
    lane = lane_factory(redis_url=own_redis.url, redis_retry_seconds=0.2)
    sent = [_click(lane, brand, n) for n in range(40)]
    first = drain_factory(redis_url=own_redis.url, consumer="drain-1", batch_size=10)
    first.setup()
    first.step(None)  # one batch committed; the next one read ahead, pending
    first.close()
    assert len(_stored(brand)[0]) == 10

    own_redis.restart()
    sent += [_click(lane, brand, n) for n in range(40, 60)]  # the first ones reach the fallback file
    time.sleep(0.3)  # the lane's back-off after the failed append
    sent += [_click(lane, brand, n) for n in range(60, 70)]
    lane.lane.fallback.close()  # hand the fallback file to the drain
    restarted = drain_factory(redis_url=own_redis.url, consumer="drain-1", batch_size=10)
    restarted.drain_available()

    ids, counted = _stored(brand)
    assert len(set(sent)) == 70
    assert set(sent) - set(ids) == set()  # none lost
    assert (len(ids), counted) == (70, 70)  # none twice
    client = own_redis.client()
    assert client.xlen(keys.click_stream_key(prefix)) == 0
    client.close()


def test_the_drain_loop_keeps_going_across_a_redis_restart_mid_stream(
    brands, lane_factory, drain_factory, own_redis
):
    brand, _ = brands
    lane = lane_factory(redis_url=own_redis.url, redis_retry_seconds=0.2)
    drain = drain_factory(redis_url=own_redis.url, block_ms=100, batch_size=25)
    sent: list[str] = []
    with DrainLoop(drain):
        for n in range(150):
            sent.append(_click(lane, brand, n))
            if n == 75:
                own_redis.restart()
        lane.lane.fallback.close()
        ids, counted = _wait_for(brand, sent)

    assert set(sent) - set(ids) == set()
    assert (len(ids), counted) == (150, 150)


def test_a_lost_group_or_stream_is_recreated_and_the_drain_loop_keeps_draining(
    brands, lane_factory, drain_factory, own_redis, prefix
):
    """NOGROUP: the group destroyed (stream kept), then the stream deleted (the lane's next
    append creates it again, without the group)."""
    brand, _ = brands
    lane = lane_factory(redis_url=own_redis.url)
    drain = drain_factory(redis_url=own_redis.url, block_ms=100)
    client = own_redis.client()
    stream = keys.click_stream_key(prefix)
    sent: list[str] = []
    with DrainLoop(drain):
        sent += [_click(lane, brand, n) for n in range(10)]
        assert len(_wait_for(brand, sent)[0]) == 10

        client.xgroup_destroy(stream, keys.DRAIN_GROUP)
        sent += [_click(lane, brand, n) for n in range(10, 20)]
        assert len(_wait_for(brand, sent)[0]) == 20

        client.delete(stream)
        sent += [_click(lane, brand, n) for n in range(20, 30)]
        ids, counted = _wait_for(brand, sent)
    client.close()

    assert set(sent) - set(ids) == set()
    assert (len(ids), counted) == (30, 30)


def test_fallback_files_are_ingested_while_the_stream_is_out_of_reach(
    brands, lane_factory, drain_factory, own_redis
):
    brand, _ = brands
    lane = lane_factory(redis_url=own_redis.url)
    _click(lane, brand, 0)  # routes cached in the lane
    own_redis.stop()
    sent = [_click(lane, brand, n) for n in range(1, 6)]  # Redis down: the fallback file
    lane.lane.fallback.close()
    drain = drain_factory(redis_url=own_redis.url, block_ms=100)

    with DrainLoop(drain):
        ids, counted = _wait_for(brand, sent, timeout=15)

    assert set(sent) <= set(ids)
    assert counted == len(ids)
