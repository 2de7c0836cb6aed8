"""The click path in operation: the lane's /metrics, the stream's length and the drain's lag read
at scrape time, the drain's counters and log lines (brand and batch key), and a graceful stop:
SIGTERM to a real drain process in the middle of a stream loses and duplicates nothing."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from django.db import connection
from django_tenants.utils import tenant_context
from prometheus_client.parser import text_string_to_metric_families

from analytics.affiliate_stats import EMPTY_STATS, link_stats
from core.health import lane_fallback_app
from tests.log_capture import json_lines_captured
from tests.tracking.conftest import stream_length
from tracking import keys
from tracking.metrics import DRAIN_CLICKS, ClickStreamCollector
from tracking.models import Click
from tracking.redirect import ClickLane, ClickLaneRouter, LaneConfig

pytestmark = pytest.mark.live

TOKEN = "lane-metrics-token-42"
ROOT = Path(__file__).resolve().parents[2]


def _gauges(collector: ClickStreamCollector) -> dict[str, float]:
    return {family.name: family.samples[0].value for family in collector.read()}


def test_the_lane_counts_its_answers_and_serves_them_behind_the_token(brands, tmp_path, settings):
    brand, _ = brands
    settings.METRICS_TOKEN = TOKEN
    router = ClickLaneRouter(lane_fallback_app, ClickLane(LaneConfig.from_settings(fallback_dir=tmp_path)))

    async def scenario() -> tuple[list[int], list[int], str]:
        transport = httpx.ASGITransport(app=router, client=("198.51.100.7", 40000))  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url=f"http://{brand.host}") as client:
            before = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
            statuses = [
                (
                    await client.get(
                        path, headers={"user-agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0"}
                    )
                ).status_code
                for path in (f"/r/{brand.link.code}", f"/r/{brand.link.code}", "/r/nosuchcode")
            ]
            refused = [
                (await client.get("/metrics")).status_code,
                (await client.get("/metrics", headers={"Authorization": "Bearer wrong"})).status_code,
            ]
            after = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
            await router.lane.aclose()
            return statuses, refused, before.text + "\n#after\n" + after.text

    statuses, refused, texts = asyncio.run(scenario())
    before_text, after_text = texts.split("\n#after\n")

    assert statuses == [302, 302, 404]
    assert refused == [401, 401]

    def count(text: str, status: str) -> float:
        return sum(
            sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.name == "afp_click_lane_responses_total" and sample.labels["status"] == status
        )

    assert count(after_text, "302") - count(before_text, "302") == 2
    assert count(after_text, "404") - count(before_text, "404") == 1
    assert "afp_http_requests" not in after_text or "afp_click_stream_length" not in after_text
    settings.METRICS_TOKEN = ""
    assert asyncio.run(_lane_get(router, brand.host)) == 404


async def _lane_get(router: Any, host: str) -> int:
    transport = httpx.ASGITransport(app=router)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url=f"http://{host}") as client:
        return (await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})).status_code


def test_stream_length_pending_and_drain_lag_are_read_from_redis(brands, lane, drain, settings):
    brand, _ = brands
    settings.METRICS_COLLECT_CACHE_SECONDS = 0
    collector = ClickStreamCollector()
    for n in range(3):
        assert lane.get(brand.host, f"/r/{brand.link.code}", ip=f"198.51.100.{n}").status_code == 302
    time.sleep(0.05)

    waiting = _gauges(collector)
    inserted_before = DRAIN_CLICKS.labels("inserted")._value.get()
    with json_lines_captured(logging.DEBUG, "tracking.ingest") as lines:
        drain.drain_available()
    drained = _gauges(collector)

    assert waiting["afp_click_stream_length"] == 3
    assert waiting["afp_click_stream_pending"] == 0
    assert waiting["afp_click_drain_lag_seconds"] >= 0.05
    assert drained["afp_click_stream_length"] == 0
    assert drained["afp_click_drain_lag_seconds"] == 0
    assert DRAIN_CLICKS.labels("inserted")._value.get() - inserted_before == 3
    # The drain's lines name the brand and the batch (clicks carry no request id).
    (line,) = lines.named("click batch written")
    assert line["schema"] == brand.tenant.schema_name
    assert line["batch_key"].startswith(f"{brand.tenant.schema_name}:")
    assert line["inserted"] == 3
    assert "request_id" not in line


# --- SIGTERM to a real drain process ----------------------------------------------------------------


def _database_url() -> str:
    """This run's test database, for the drain's own process."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{connection.settings_dict['NAME']}"))


def _drain_process(prefix: str, tmp_path: Path, *arguments: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _database_url(),
        "TRACKING_KEY_PREFIX": prefix,
        "CLICK_FALLBACK_DIR": str(tmp_path / "fallback"),
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "DEBUG",
    }
    return subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "tracking_drain", *arguments],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _fill_stream(tracking_redis: Any, prefix: str, lane: Any, brand: Any, total: int) -> None:
    """``total`` clicks in the stream: one through the lane, the rest its copies with fresh ids."""
    assert lane.get(brand.host, f"/r/{brand.link.code}").status_code == 302
    stream = keys.click_stream_key(prefix)
    [(_, entry)] = tracking_redis.xrange(stream)
    pipe = tracking_redis.pipeline(transaction=False)
    for _ in range(total - 1):
        pipe.xadd(stream, dict(entry, **{keys.FIELD_CLICK_ID: str(uuid.uuid4())}))
    pipe.execute()


def _stored(brand: Any) -> tuple[int, int]:
    with tenant_context(brand.tenant):
        clicks = Click.objects.filter(link=brand.link).count()
        rolled_up = link_stats([brand.link.pk]).get(brand.link.pk, EMPTY_STATS).clicks
    return clicks, rolled_up


def test_sigterm_mid_stream_loses_and_duplicates_no_click(brands, lane, tracking_redis, prefix, tmp_path):
    brand, _ = brands
    total = 6000
    _fill_stream(tracking_redis, prefix, lane, brand, total)
    stream = keys.click_stream_key(prefix)

    drain = _drain_process(prefix, tmp_path, "--consumer", "drain-sigterm-1", "--batch-size", "20")
    deadline = time.monotonic() + 90
    while _stored(brand)[0] == 0:
        assert drain.poll() is None, drain.communicate()
        assert time.monotonic() < deadline, "the drain wrote nothing"
        time.sleep(0.01)
    drain.send_signal(signal.SIGTERM)
    _, stderr = drain.communicate(timeout=60)

    assert drain.returncode == 0, stderr
    stored_at_stop, rolled_up_at_stop = _stored(brand)
    assert 0 < stored_at_stop < total, "stopped before the end of the stream"
    assert rolled_up_at_stop == stored_at_stop
    # Acknowledged exactly what it committed: nothing pending, nothing delivered left unwritten.
    [group] = tracking_redis.xinfo_groups(stream)
    assert group["pending"] == 0
    unread = len(tracking_redis.xrange(stream, min=f"({group['last-delivered-id']}"))
    assert stored_at_stop + unread == total
    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    assert lines[-1]["event"].startswith("click drain stopped")
    batches = [line for line in lines if line["event"] == "click batch written"]
    assert batches
    assert all(line["schema"] == brand.tenant.schema_name for line in batches)
    assert all(line["batch_key"].startswith(f"{brand.tenant.schema_name}:") for line in batches)

    # A new process (another consumer name, as a new container would have) drains the rest.
    restarted = _drain_process(prefix, tmp_path, "--consumer", "drain-sigterm-2", "--once")
    _, stderr = restarted.communicate(timeout=120)

    assert restarted.returncode == 0, stderr
    assert _stored(brand) == (total, total)
    with tenant_context(brand.tenant):
        assert Click.objects.filter(link=brand.link).values("id").distinct().count() == total
    assert stream_length(tracking_redis, prefix) == 0
    assert tracking_redis.xinfo_groups(stream)[0]["pending"] == 0
