"""The drain: exactly once into Postgres across crashes, dead consumers, unknown brands and
malformed entries; live ticks to the right brand's groups, at most once a second."""

from __future__ import annotations

import asyncio
import json
import time
from decimal import Decimal

import pytest
from channels.layers import channel_layers
from django_tenants.utils import tenant_context

from affiliation.models import Commission, CommissionKind
from core.events import group_name
from core.live import unseen_rows
from tests.tracking.conftest import brand_links, click_id_of, link_rollups, stream_length
from tracking import keys
from tracking.ingest import ClickDrain, DrainStats, _batch_key
from tracking.models import Click, UniqueClickKey

pytestmark = pytest.mark.live


class Crash(Exception):
    """The drain process dying at a chosen point."""


class CrashBeforeCommit(ClickDrain):
    """Writes the whole batch in its transaction, then dies before the commit."""

    def write_rows(self, rows, **options):  # type: ignore[no-untyped-def]
        super().write_rows(rows, **options)
        raise Crash


class CrashBeforeAcknowledge(ClickDrain):
    """Commits the batch, then dies before XACK."""

    def acknowledge(self, stream_ids):  # type: ignore[no-untyped-def]
        raise Crash


def _click(lane, brand, n: int) -> str:
    response = lane.get(brand.host, f"/r/{brand.link.code}", ip=f"198.51.100.{n % 3}")
    assert response.status_code == 302
    return click_id_of(response)


def _counts(brand) -> tuple[int, int, int, int]:
    """(clicks, unique clicks, rollup clicks, rollup unique clicks) of the brand's link."""
    with tenant_context(brand.tenant):
        clicks = Click.objects.filter(link=brand.link)
        rollups = link_rollups(brand.link)
        return (
            clicks.count(),
            clicks.filter(is_unique=True).count(),
            sum(clicks for _, clicks, _ in rollups),
            sum(unique for _, _, unique in rollups),
        )


def _pending(tracking_redis, prefix) -> int:
    return int(tracking_redis.xpending(keys.click_stream_key(prefix), keys.DRAIN_GROUP)["pending"])


def test_a_crash_before_the_commit_loses_nothing_when_the_consumer_comes_back(
    brands, lane, drain_factory, tracking_redis, prefix
):
    brand, _ = brands
    for n in range(7):
        _click(lane, brand, n)
    crashing = drain_factory(CrashBeforeCommit, consumer="drain-1", batch_size=5)

    with pytest.raises(Crash):
        crashing.drain_available()

    assert _counts(brand) == (0, 0, 0, 0)
    assert _pending(tracking_redis, prefix) == 7  # the batch in hand and the one read ahead
    restarted = drain_factory(consumer="drain-1", batch_size=5)  # same consumer: its pending first

    stats = restarted.drain_available()

    assert (stats.inserted, stats.duplicates) == (7, 0)
    assert _counts(brand) == (7, 3, 7, 3)
    assert stream_length(tracking_redis, prefix) == 0
    assert _pending(tracking_redis, prefix) == 0


def test_a_crash_between_commit_and_acknowledgement_duplicates_nothing(
    brands, lane, drain_factory, tracking_redis, prefix
):
    brand, _ = brands
    for n in range(7):
        _click(lane, brand, n)
    crashing = drain_factory(CrashBeforeAcknowledge, consumer="drain-1")

    with pytest.raises(Crash):
        crashing.drain_available()

    assert _counts(brand) == (7, 3, 7, 3)
    assert _pending(tracking_redis, prefix) == 7
    # Another consumer takes the dead one's entries over (idle time 0 for the test).
    survivor = drain_factory(consumer="drain-2", claim_idle_ms=0)

    stats = survivor.drain_available()

    assert (stats.entries, stats.inserted, stats.duplicates) == (7, 0, 7)
    assert _counts(brand) == (7, 3, 7, 3)
    with tenant_context(brand.tenant):
        assert UniqueClickKey.objects.filter(link_id=brand.link.pk).count() == 3
    assert stream_length(tracking_redis, prefix) == 0
    assert _pending(tracking_redis, prefix) == 0


def test_each_brand_is_written_in_its_own_schema(brands, lane, drain):
    brand, other = brands
    ids = [_click(lane, brand, n) for n in range(3)]
    other_id = _click(lane, other, 0)

    drain.drain_available()

    with tenant_context(brand.tenant):
        assert Click.objects.filter(id__in=ids).count() == 3
        assert not Click.objects.filter(id=other_id).exists()
    with tenant_context(other.tenant):
        assert Click.objects.filter(id=other_id).exists()
        assert not Click.objects.filter(id__in=ids).exists()


def test_entries_of_an_unknown_brand_and_malformed_entries_are_acknowledged_not_written(
    brands, lane, drain, tracking_redis, prefix
):
    brand, _ = brands
    _click(lane, brand, 0)
    [(_, entry)] = tracking_redis.xrange(keys.click_stream_key(prefix))
    stream = keys.click_stream_key(prefix)
    tracking_redis.xadd(
        stream, dict(entry, **{keys.FIELD_SCHEMA: "brand_gone", keys.FIELD_CLICK_ID: entry["i"]})
    )
    tracking_redis.xadd(stream, dict(entry, **{keys.FIELD_CLICK_ID: "not-a-uuid"}))

    stats = drain.drain_available()

    assert (stats.entries, stats.inserted, stats.dropped) == (3, 1, 2)
    assert stream_length(tracking_redis, prefix) == 0
    [(_, dead)] = tracking_redis.xrange(keys.dead_letter_stream_key(prefix))
    assert dead["reason"] == "malformed"
    assert json.loads(dead["entry"])[keys.FIELD_CLICK_ID] == "not-a-uuid"


def test_clicks_of_a_deleted_link_are_dropped(brands, lane, drain):
    brand, _ = brands
    doomed = brand.add_link()
    assert lane.get(brand.host, f"/r/{doomed.code}").status_code == 302
    with tenant_context(brand.tenant):
        doomed.delete()

    stats = drain.drain_available()

    assert (stats.inserted, stats.duplicates) == (0, 1)


def test_the_crawlers_the_lane_let_through_are_not_written(brands, lane, drain):
    brand, _ = brands
    lane.get(
        brand.host, f"/r/{brand.link.code}", user_agent="Mozilla/5.0 (compatible; YandexAccessibilityBot/3.0)"
    )
    lane.get(brand.host, f"/r/{brand.link.code}", user_agent="Mozilla/5.0 (compatible; Yahoo! Slurp)")

    stats = drain.drain_available()

    assert stats.inserted == 0


_waiting: dict[str, asyncio.Future] = {}


async def _receive(layer, channel: str, timeout: float):
    """The channel's next message within ``timeout``, or None. A receive that times out stays
    pending for the next call: the pub/sub layer drops a channel whose receive is cancelled."""
    waiting = _waiting.pop(channel, None) or asyncio.ensure_future(layer.receive(channel))
    done, _ = await asyncio.wait([waiting], timeout=timeout)
    if not done:
        _waiting[channel] = waiting
        return None
    return waiting.result()


async def test_live_ticks_reach_only_the_brands_groups_at_most_once_a_second(brands, lane, drain_factory):
    brand, other = brands
    layer = channel_layers.make_backend(
        "default"
    )  # its own receive loop: the live server shares the global one
    affiliate_channel = await layer.new_channel()
    program_channel = await layer.new_channel()
    other_channel = await layer.new_channel()
    schema, other_schema = brand.tenant.schema_name, other.tenant.schema_name
    await layer.group_add(group_name(schema, f"affiliate.{brand.affiliate.pk}"), affiliate_channel)
    await layer.group_add(group_name(schema, f"program.{brand.program.pk}"), program_channel)
    # Brand B's groups, including one with A's affiliate id (ids repeat across schemas).
    await layer.group_add(group_name(other_schema, f"affiliate.{other.affiliate.pk}"), other_channel)
    await layer.group_add(group_name(other_schema, f"affiliate.{brand.affiliate.pk}"), other_channel)
    drain = drain_factory(tick_seconds=1.0)

    for n in range(3):
        await asyncio.to_thread(_click, lane, brand, n)
    await asyncio.to_thread(drain.drain_available)
    first_sent = time.monotonic()  # no earlier than the drain's send
    first = await _receive(layer, affiliate_channel, 2)
    by_program = await _receive(layer, program_channel, 2)

    # The ticks carry what the transaction added (core.live): the affiliate's per link, the
    # program's summed per offer; both name the transaction.
    assert first["type"] == by_program["type"] == "affiliate.stats"
    [part] = first["payload"]["parts"]
    [program_part] = by_program["payload"]["parts"]
    assert part["xid"] == program_part["xid"] > 0
    [row] = unseen_rows(first["payload"], None)
    [program_row] = unseen_rows(by_program["payload"], None)
    assert (row.affiliate_id, row.link_id, row.clicks, row.unique_clicks) == (
        brand.affiliate.pk,
        brand.link.pk,
        3,
        3,
    )
    assert (program_row.program_id, program_row.affiliate_id, program_row.link_id) == (brand.program.pk, 0, 0)
    assert (program_row.clicks, program_row.unique_clicks, program_row.day) == (3, 3, row.day)

    for n in range(2):
        await asyncio.to_thread(_click, lane, brand, n)
    await asyncio.to_thread(drain.drain_available)  # within the second: held back
    assert await _receive(layer, affiliate_channel, 0.3) is None
    await asyncio.sleep(max(0.0, first_sent + 1.05 - time.monotonic()))
    await asyncio.to_thread(drain.flush_ticks)
    second = await _receive(layer, affiliate_channel, 2)

    assert [(r.clicks, r.unique_clicks) for r in unseen_rows(second["payload"], None)] == [(2, 0)]
    assert await _receive(layer, other_channel, 0.5) is None


def test_drain_stats_add_up():
    total = DrainStats(entries=1, inserted=1)
    total.add(DrainStats(entries=2, duplicates=2))

    assert (total.entries, total.inserted, total.duplicates) == (3, 1, 2)


def test_unique_clicks_earn_per_click_commissions_once(brands, lane, drain_factory):
    brand, _ = brands
    paying = brand_links(
        brand.tenant, commission_kind=CommissionKind.PER_CLICK, per_click_amount=Decimal("0.25")
    )
    for n in range(5):  # three IPs: three unique clicks
        assert lane.get(brand.host, f"/r/{paying.link.code}", ip=f"198.51.100.{n % 3}").status_code == 302
    crashing = drain_factory(CrashBeforeAcknowledge, consumer="drain-1")
    with pytest.raises(Crash):
        crashing.drain_available()

    drain_factory(consumer="drain-2", claim_idle_ms=0).drain_available()

    with tenant_context(brand.tenant):
        [commission] = Commission.objects.filter(beneficiary=paying.affiliate)
    assert commission.kind == CommissionKind.PER_CLICK
    assert commission.click_count == 3
    assert commission.amount == Decimal("0.75")


def test_a_fresh_entry_whose_click_is_already_stored_is_recognised(
    brands, lane, drain, tracking_redis, prefix
):
    """The lane may put a click both in the stream and in its fallback file (Redis failed
    after taking part of a batch): the copy that comes second must not count."""
    brand, _ = brands
    _click(lane, brand, 0)
    [(_, entry)] = tracking_redis.xrange(keys.click_stream_key(prefix))
    drain.drain_available()

    tracking_redis.xadd(keys.click_stream_key(prefix), entry)
    stats = drain.drain_available()

    assert (stats.entries, stats.inserted, stats.duplicates) == (1, 0, 1)
    assert _counts(brand) == (1, 1, 1, 1)
    assert stream_length(tracking_redis, prefix) == 0


def test_batch_keys_stay_short_enough_for_commissions():
    schema = "brand_" + "x" * 57  # the longest subdomain
    stream_key = _batch_key(schema, "1763770000000-0", "1763770000999-12")
    file_key = _batch_key(
        schema, "clicks-host-12345-1763770000000000000-1#0", "clicks-host-12345-1763770000000000000-1#1999"
    )

    assert stream_key == f"{schema}:1763770000000-0:1763770000999-12"
    assert file_key.startswith(f"{schema}:")
    assert len(file_key) <= 96
    assert file_key == _batch_key(
        schema, "clicks-host-12345-1763770000000000000-1#0", "clicks-host-12345-1763770000000000000-1#1999"
    )


def test_each_batch_is_one_click_recorded_event_and_a_redelivery_none(brands, lane, drain_factory):
    from core.models import OutboxEvent

    brand, other = brands
    with tenant_context(brand.tenant):
        earlier = set(OutboxEvent.objects.values_list("id", flat=True))
    with tenant_context(other.tenant):
        their_earlier = set(OutboxEvent.objects.values_list("id", flat=True))
    for n in range(4):
        _click(lane, brand, n)  # three IPs: three unique clicks
    crashing = drain_factory(CrashBeforeAcknowledge, consumer="drain-1")
    with pytest.raises(Crash):
        crashing.drain_available()

    drain_factory(consumer="drain-2", claim_idle_ms=0).drain_available()  # the same entries again

    with tenant_context(brand.tenant):
        [event] = OutboxEvent.objects.filter(name="click.recorded").exclude(id__in=earlier)
    assert (event.payload["clicks"], event.payload["unique_clicks"]) == (4, 3)
    assert event.payload["links"] == [
        {
            "link_id": brand.link.pk,
            "affiliate_id": brand.affiliate.pk,
            "program_id": brand.program.pk,
            "clicks": 4,
            "unique_clicks": 3,
        }
    ]
    with tenant_context(other.tenant):
        assert not OutboxEvent.objects.filter(name="click.recorded").exclude(id__in=their_earlier).exists()


def test_values_with_tabs_backslashes_and_line_breaks_are_stored_as_sent(
    brands, drain, tracking_redis, prefix
):
    from tracking.redirect import _click_id

    brand, _ = brands
    now_ms = int(time.time() * 1000)
    click_id = _click_id(now_ms)
    referrer = "https://news.example.org/a\tb\\c\nd\re"
    sub_ids = json.dumps({"sub1": 'quote " back \\ slash', "sub2": "tab\there"})
    tracking_redis.xadd(
        keys.click_stream_key(prefix),
        {
            keys.FIELD_SCHEMA: brand.tenant.schema_name,
            keys.FIELD_CLICK_ID: click_id,
            keys.FIELD_TIME_MS: str(now_ms),
            keys.FIELD_LINK: str(brand.link.pk),
            keys.FIELD_IP_HASH: "a" * 32,
            keys.FIELD_USER_AGENT: "Mozilla/5.0 (X11; Linux x86_64)\tback\\slash",
            keys.FIELD_REFERRER: referrer,
            keys.FIELD_SUB_IDS: sub_ids,
        },
    )

    stats = drain.drain_available()

    assert (stats.inserted, stats.dropped) == (1, 0)
    with tenant_context(brand.tenant):
        click = Click.objects.get(id=click_id)
    assert click.user_agent == "Mozilla/5.0 (X11; Linux x86_64)\tback\\slash"
    assert click.referrer == referrer
    assert click.sub_ids == json.loads(sub_ids)
    assert click.created_at.timestamp() == now_ms / 1000
