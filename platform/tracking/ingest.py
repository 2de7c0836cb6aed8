"""The drain: clicks from the Redis stream (and the lane's fallback files) into Postgres.

A consumer group reads batches; each brand's part of a batch is written in one transaction
of that brand's schema:

1. the clicks of links deleted since are dropped, and, when the entries may have been
   read before (a redelivery), so are the clicks already stored;
2. the first click of each (link, IP hash, hour) claims ``tracking_uniqueclickkey`` with
   ``INSERT … ON CONFLICT DO NOTHING RETURNING``: the keys returned are the unique clicks;
3. the clicks go into ``tracking_click`` by COPY (the fastest way in, see ARCHITECTURE.md;
   the UUIDv7 key appends to the index);
4. the batch's fresh clicks go to the recorders registered in ``tracking.recording``, in the
   same transaction: analytics' counts them into the one click rollup (``analytics_rollup``,
   per hour and day, per dimension), accrues the per-click commissions of the unique clicks
   (keyed by the batch: ``<schema>:<first id>:<last id>``) and counts those too; the batch
   is recorded as one ``click.recorded`` event (``core.events``: the outbox, for webhooks and
   other subscribers; the live ticks do not wait for it).

Only the clicks inserted by this transaction are counted anywhere, so a redelivered batch
adds nothing to the rollup.

Entries are acknowledged (XACK) after the commit, then trimmed from the stream (XTRIM
MINID, about every second: the stream holds only what is not yet in Postgres). A crash
before the commit leaves them pending: they are read again (this consumer's at start, a
dead consumer's through XAUTOCLAIM). A crash between commit and acknowledgement redelivers
entries whose clicks are stored: step 1 drops them, nothing counts twice.

After each commit, what the recorders added goes to the brand's live groups (``affiliate.<id>``:
that affiliate's rows, per link; ``program.<id>``: summed per day, offer and currency), as
deltas naming the transaction (``core.live``), aggregated: at most one message per group per
``tick_seconds``. Subscribers apply them without reading the database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
import socket
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import redis
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import DataError, IntegrityError, InterfaceError, OperationalError, transaction
from django_tenants.utils import get_public_schema_name, schema_context

from core.agents import AgentDetails, DeviceType, agent_details
from core.events import emit, group_name
from core.live import (
    STATS_EVENT,
    DeltaRow,
    affiliate_stats_topic,
    part,
    program_rows,
    program_stats_topic,
)
from core.logs import log_context
from core.tenancy import tenant_connection
from tenants.models import Tenant, TenantKind
from tracking import keys
from tracking.fallback import fallback_file_read, fallback_files_claim
from tracking.metrics import drain_batch_count
from tracking.recording import ClickBatch, LinkFacts, click_batch_record, click_screen

logger = logging.getLogger(__name__)

_NO_AGENT = AgentDetails(False, DeviceType.OTHER, "", "")

_LINKS = (
    "SELECT l.id, l.affiliate_id, l.program_id, l.offer_ref, p.currency FROM affiliation_link l"
    " JOIN affiliation_program p ON p.id = l.program_id WHERE l.id = ANY(%s)"
)
_STORED = "SELECT id::text FROM tracking_click WHERE id = ANY(%s::uuid[])"
# The first click of each (link, IP hash, hour) of the batch claims its key; the keys
# returned are those no earlier batch had claimed: their clicks are the unique ones.
_CLAIM = """
INSERT INTO tracking_uniqueclickkey (link_id, ip_hash, hour)
SELECT link_id, ip_hash, to_timestamp(hour_s)
FROM unnest(%s::bigint[], %s::text[], %s::bigint[]) AS k(link_id, ip_hash, hour_s)
ORDER BY 1, 2, 3
ON CONFLICT (link_id, ip_hash, hour) DO NOTHING
RETURNING link_id, ip_hash, extract(epoch FROM hour)::bigint
"""
_COPY = (
    "COPY tracking_click (id, link_id, affiliate_id, program_id, created_at, ip_hash, is_unique,"
    " user_agent, referrer, referrer_host, country, device_type, browser, os, sub_ids) FROM STDIN"
)
_TRANSACTION_ID = "SELECT pg_current_xact_id()::text"
_CLICK_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_HOUR_MS = 3_600_000
_BATCH_KEY_MAX = 96

Entry = tuple[str, dict[str, Any] | None]  # (stream id, fields); fields None: deleted from the stream


@dataclass
class DrainStats:
    """What a drain did, for logs, the bench and tests."""

    entries: int = 0
    inserted: int = 0
    unique: int = 0
    duplicates: int = 0
    bots: int = 0
    dropped: int = 0  # unknown brand, deleted link, malformed (dead-lettered)
    batches: int = 0
    files: int = 0

    def add(self, other: DrainStats) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class WrittenRows:
    """What ``write_rows`` inserted: (affiliate id, program id, clicks, unique clicks) per
    affiliate and program; what the recorders added (``deltas``) and the transaction's id."""

    counts: list[tuple[int, int, int, int]]
    deltas: list[DeltaRow] = field(default_factory=list)
    transaction_id: int = 0


@dataclass
class _Prepared:
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    bots: int = 0
    malformed: list[dict[str, Any]] = field(default_factory=list)


class Ticks:
    """Live deltas per channel-layer group, sent at most once per ``interval`` per group.

    The first batch after a quiet period goes out at once; what follows within the interval
    accumulates (one part per transaction, see ``core.live``) and leaves with the next send.
    Many small messages are what channels-redis has been seen to drop under fan-out; one
    message per second per group is what a dashboard needs.
    """

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._pending: dict[str, list[dict[str, Any]]] = {}
        self._sent_at: dict[str, float] = {}

    def add(self, group: str, transaction_id: int, rows: list[DeltaRow]) -> None:
        if rows:
            self._pending.setdefault(group, []).append(part(transaction_id, rows))

    def due(self, now: float, *, force: bool = False) -> list[tuple[str, dict[str, Any]]]:
        messages = []
        for group, parts in list(self._pending.items()):
            if force or now - self._sent_at.get(group, -self.interval) >= self.interval:
                del self._pending[group]
                self._sent_at[group] = now
                messages.append((group, {"type": STATS_EVENT, "payload": {"parts": parts}}))
        if len(self._sent_at) > 10_000:
            self._sent_at = {g: t for g, t in self._sent_at.items() if now - t < self.interval}
        return messages

    @property
    def pending(self) -> int:
        return len(self._pending)


async def _group_send_all(messages: list[tuple[str, dict[str, Any]]]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    for group, message in messages:
        await layer.group_send(group, message)


def _click_recorded(batch: ClickBatch) -> dict[str, Any]:
    """The ``click.recorded`` event of a batch: its totals and its counts per link."""
    per_link: dict[int, list[int]] = {}
    for (_, link_id, *_values), (clicks, unique_clicks) in batch.combos.items():
        counts = per_link.setdefault(link_id, [0, 0])
        counts[0] += clicks
        counts[1] += unique_clicks
    return {
        "batch_key": batch.batch_key,
        "clicks": sum(clicks for clicks, _ in per_link.values()),
        "unique_clicks": sum(unique for _, unique in per_link.values()),
        "links": [
            {
                "link_id": link_id,
                "affiliate_id": batch.links[link_id].affiliate_id,
                "program_id": batch.links[link_id].program_id,
                "clicks": clicks,
                "unique_clicks": unique_clicks,
            }
            for link_id, (clicks, unique_clicks) in sorted(per_link.items())
        ],
    }


def _batch_key(schema_name: str, first_id: str, last_id: str) -> str:
    """``<schema>:<first entry id>:<last entry id>``: stable when the same entries are
    written again. Hashed when long (fallback files' entry ids are): commissions keep it,
    with the affiliate id, in a column of 120 characters."""
    key = f"{schema_name}:{first_id}:{last_id}"
    if len(key) > _BATCH_KEY_MAX:
        key = f"{schema_name}:{hashlib.sha256(key.encode()).hexdigest()[:24]}"
    return key


_COPY_SPECIAL = re.compile(r"[\\\n\r]")  # besides tabs
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(values: tuple[str, ...]) -> str:
    """Strings as fields of COPY's text format, tab-separated, with backslashes, tabs and line
    breaks escaped (headers may hold them; they rarely do, so the check comes first)."""
    joined = "\t".join(values)
    if joined.count("\t") == len(values) - 1 and _COPY_SPECIAL.search(joined) is None:
        return joined
    return "\t".join(value.translate(_COPY_ESCAPES) for value in values)


def _is_lost_group(error: redis.ResponseError) -> bool:
    """NOGROUP (the group, or the whole stream, is gone), or XINFO's "no such key"."""
    message = str(error)
    return message.startswith("NOGROUP") or "no such key" in message


@lru_cache(maxsize=10_000)
def _referrer_host(referrer: str) -> str:
    if not referrer:
        return ""
    try:
        return (urlsplit(referrer).hostname or "")[:253]
    except ValueError:
        return ""


class ClickDrain:
    """One consumer of the click stream. ``run`` loops forever; ``drain_available`` empties
    the stream and the fallback files once (tests, benches, ``tracking_drain --once``)."""

    def __init__(
        self,
        *,
        consumer: str | None = None,
        batch_size: int | None = None,
        block_ms: int | None = None,
        claim_idle_ms: int | None = None,
        fallback_dir: Path | None = None,
        tick_seconds: float | None = None,
        redis_url: str | None = None,
        key_prefix: str | None = None,
    ) -> None:
        self.consumer = consumer or settings.CLICK_DRAIN_CONSUMER or socket.gethostname()
        self.batch_size = batch_size or settings.CLICK_DRAIN_BATCH_SIZE
        self.block_ms = block_ms if block_ms is not None else settings.CLICK_DRAIN_BLOCK_MS
        self.claim_idle_ms = (
            claim_idle_ms if claim_idle_ms is not None else settings.CLICK_DRAIN_CLAIM_IDLE_SECONDS * 1000
        )
        self.fallback_dir = Path(fallback_dir or settings.CLICK_FALLBACK_DIR)
        prefix = key_prefix or keys.key_prefix()
        self.stream = keys.click_stream_key(prefix)
        self.dead_letters = keys.dead_letter_stream_key(prefix)
        self.redis = redis.Redis.from_url(
            redis_url or settings.TRACKING_REDIS_URL,
            decode_responses=True,
            encoding_errors="replace",  # headers arrive as the client sent them
            socket_timeout=10,
        )
        self.ticks = Ticks(tick_seconds if tick_seconds is not None else settings.CLICK_TICK_SECONDS)
        self.stats = DrainStats()
        self._recovering = True  # read this consumer's pending entries before new ones
        self._reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="click-drain-read")
        self._prefetched: Future[list[Entry]] | None = None
        self._schemas: frozenset[str] = frozenset()

    # --- loop ------------------------------------------------------------------------

    def close(self) -> None:
        """Stop the reader thread and close the Redis connections."""
        if self._prefetched is not None:
            self._prefetched.exception()
            self._prefetched = None
        self._reader.shutdown(wait=True)
        self.redis.close()

    def setup(self) -> None:
        """The stream and its group, created if missing. A new group starts at the stream's
        first entry: entries already in Postgres are read again and dropped (by click id)."""
        try:
            self.redis.xgroup_create(self.stream, keys.DRAIN_GROUP, id="0", mkstream=True)
        except redis.ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise

    def run(self, should_stop: Callable[[], bool]) -> None:
        """Until ``should_stop()``: fallback files, batches, stale entries of dead consumers,
        ticks. Redis or Postgres going away pauses the loop; it resumes with the pending
        entries. A stream or group gone (a Redis restarted without its data, a key deleted:
        NOGROUP) is created again. The fallback files do not wait for the stream: the lane
        writes them precisely when Redis is out of reach."""
        claim_every = max(self.claim_idle_ms / 2000, 1.0)
        files_every = 5.0
        last_claim = last_files = last_trim = 0.0
        needs_setup = True
        while not should_stop():
            try:
                now = time.monotonic()
                if now - last_files >= files_every:
                    last_files = now
                    self.ingest_fallback_files()
                if needs_setup:
                    self.setup()
                    needs_setup = False
                if now - last_claim >= claim_every:
                    self.claim_stale()
                    last_claim = now
                self.step(self.block_ms)
                self.flush_ticks()
                if time.monotonic() - last_trim >= 1.0:
                    self.trim()
                    last_trim = time.monotonic()
            except redis.ResponseError as error:
                needs_setup = True
                if _is_lost_group(error):
                    logger.warning("click drain: the stream or its group is gone (%s), creating them", error)
                    self._recovering = True
                    time.sleep(0.1)
                else:
                    logger.warning("click drain: Redis refused a command (%s), retrying", error)
                    self._pause()
            except (redis.RedisError, OSError) as error:
                needs_setup = True  # a Redis restarted without its data has lost the group
                logger.warning("click drain: Redis unavailable (%s), retrying", error)
                self._pause()
            except (OperationalError, InterfaceError) as error:
                logger.warning("click drain: Postgres unavailable (%s), retrying", error)
                tenant_connection().close()
                self._pause()
        self._finish_prefetched()
        self.flush_ticks(force=True)

    def _finish_prefetched(self) -> None:
        """On the way out (SIGTERM), the batch read ahead is written and acknowledged too: it is
        pending for this consumer, and left so it would wait for a consumer of the same name,
        or ``CLICK_DRAIN_CLAIM_IDLE_SECONDS`` for another one to take it over. If Postgres or
        Redis fails now, it stays pending (nothing is lost: it is read again)."""
        if self._prefetched is None:
            return
        prefetched, self._prefetched = self._prefetched, None
        try:
            entries = prefetched.result()
            if entries:
                self.handle(entries, first_delivery=True)
        except (redis.RedisError, OSError, OperationalError, InterfaceError) as error:
            logger.warning("click drain: the batch read ahead stays pending (%s)", error)

    def _pause(self) -> None:
        self._recovering = True
        time.sleep(1.0)

    def step(self, block_ms: int | None) -> int:
        """One batch: this consumer's pending entries first (after a start or a failure),
        then new ones, waiting up to ``block_ms`` (None: not at all). Returns entries read."""
        if self._recovering:
            if self._prefetched is not None:  # read, so pending: the read below has them too
                self._prefetched.exception()
                self._prefetched = None
            entries = self._read("0", None)
            if entries:
                self.handle(entries)
                return len(entries)
            self._recovering = False
        if self._prefetched is not None:
            entries, self._prefetched = self._prefetched.result(), None
        else:
            entries = self._read(">", block_ms)
        if entries:
            # Reading the next batch from Redis overlaps with writing this one to Postgres.
            self._prefetched = self._reader.submit(self._read, ">", None)
            self.handle(entries, first_delivery=True)
        return len(entries)

    def _read(self, start: str, block_ms: int | None) -> list[Entry]:
        response: Any = self.redis.xreadgroup(
            keys.DRAIN_GROUP, self.consumer, {self.stream: start}, count=self.batch_size, block=block_ms
        )
        if not response:
            return []
        return list(response[0][1])

    def claim_stale(self) -> int:
        """Take over entries other consumers read but never acknowledged (they died)."""
        claimed = 0
        start = "0-0"
        for _ in range(1000):  # bounded: a huge backlog is taken over across several calls
            response: Any = self.redis.xautoclaim(
                self.stream, keys.DRAIN_GROUP, self.consumer, self.claim_idle_ms, start, count=self.batch_size
            )
            start, entries = response[0], response[1]
            if entries:
                self.handle(list(entries))
                claimed += len(entries)
            if start in ("0-0", b"0-0"):
                break
        return claimed

    def drain_available(self, *, max_batches: int = 100_000) -> DrainStats:
        """Everything in the stream now (pending included) and in the fallback files."""
        before = DrainStats()
        before.add(self.stats)
        self.setup()
        self._recovering = True
        self.claim_stale()
        for _ in range(max_batches):
            if not self.step(None):
                break
        self.ingest_fallback_files()
        self.flush_ticks()
        self.trim()
        done = DrainStats()
        done.add(self.stats)
        for name in done.__dataclass_fields__:
            setattr(done, name, getattr(self.stats, name) - getattr(before, name))
        return done

    # --- a batch ---------------------------------------------------------------------

    def handle(self, entries: list[Entry], *, first_delivery: bool = False) -> None:
        """Write ``entries`` to Postgres, then acknowledge them."""
        self.ingest(entries, first_delivery=first_delivery)
        self.acknowledge([stream_id for stream_id, _ in entries])

    def acknowledge(self, stream_ids: list[str]) -> None:
        self.redis.xack(self.stream, keys.DRAIN_GROUP, *stream_ids)

    def trim(self) -> None:
        """Drop the entries the group has read and acknowledged, in one XTRIM: an XDEL of
        each entry cost Redis as much as reading it. Entries still pending (read, not yet
        committed) and entries not yet read are kept. The stream has this one group."""
        group = next(
            (group for group in self.redis.xinfo_groups(self.stream) if group["name"] == keys.DRAIN_GROUP),
            None,
        )
        if group is None or group["last-delivered-id"] in ("0-0", None):
            return
        if group["pending"]:
            oldest = self.redis.xpending(self.stream, keys.DRAIN_GROUP)["min"]
        else:
            milliseconds, _, sequence = str(group["last-delivered-id"]).partition("-")
            oldest = f"{milliseconds}-{int(sequence) + 1}"
        self.redis.xtrim(self.stream, minid=oldest, approximate=False)

    def ingest(self, entries: Iterable[Entry], *, first_delivery: bool = False) -> DrainStats:
        """Group by brand and write each brand's clicks in one transaction of its schema.

        ``first_delivery``: the entries were never read before (XREADGROUP ``>``), so their
        clicks are presumably not in Postgres yet and the check for them is skipped; if one
        is there after all (the lane wrote it to the stream and to its fallback file), the
        COPY fails on the primary key and the batch is written again with the check.
        """
        stats = DrainStats(batches=1)
        by_schema: dict[str, list[Entry]] = {}
        for stream_id, fields in entries:
            stats.entries += 1
            schema_name = fields.get(keys.FIELD_SCHEMA) if fields else None
            if not schema_name:
                stats.dropped += 1
                if fields:
                    self._dead_letter(fields, "no schema")
                continue
            by_schema.setdefault(str(schema_name), []).append((stream_id, fields))
        for schema_name, schema_entries in by_schema.items():
            if not self._is_brand(schema_name):
                logger.warning(
                    "click drain: %d clicks of unknown brand %r dropped", len(schema_entries), schema_name
                )
                stats.dropped += len(schema_entries)
                continue
            batch_key = _batch_key(schema_name, schema_entries[0][0], schema_entries[-1][0])
            # Clicks carry no request id: the drain's lines name the brand and the batch.
            with log_context(schema=schema_name, batch_key=batch_key):
                written = self._ingest_schema(schema_name, batch_key, schema_entries, first_delivery)
                logger.debug(
                    "click batch written",
                    extra={"inserted": written.inserted, "duplicates": written.duplicates},
                )
            stats.add(written)
        self.stats.add(stats)
        drain_batch_count(
            inserted=stats.inserted,
            unique=stats.unique,
            duplicates=stats.duplicates,
            bots=stats.bots,
            dropped=stats.dropped,
        )
        return stats

    def _ingest_schema(
        self, schema_name: str, batch_key: str, entries: list[Entry], first_delivery: bool = False
    ) -> DrainStats:
        """One transaction; a batch that the database refuses (a bad value) is retried one
        click at a time, and a click refused alone goes to the dead-letter stream."""
        prepared = self._prepare([fields for _, fields in entries if fields])
        for fields in prepared.malformed:
            self._dead_letter(fields, "malformed")
        try:
            try:
                stats = self.write(schema_name, batch_key, prepared.rows, check_stored=not first_delivery)
            except IntegrityError:
                # Some of these clicks are there already (written by another consumer, maybe
                # just now, or from the lane's fallback file): this time they are filtered.
                stats = self.write(schema_name, batch_key, prepared.rows)
        except (DataError, IntegrityError):
            if len(prepared.rows) <= 1:
                logger.exception("click drain: click refused by the database, dead-lettered")
                for row in prepared.rows:
                    self._dead_letter(
                        {"schema": schema_name, "row": [str(value) for value in row]}, "refused"
                    )
                stats = DrainStats(dropped=len(prepared.rows))
            else:
                stats = DrainStats()
                for number, row in enumerate(prepared.rows):
                    single = self._ingest_rows_alone(schema_name, f"{batch_key}:{number}", row)
                    stats.add(single)
        stats.bots += prepared.bots
        stats.dropped += len(prepared.malformed)
        return stats

    def _ingest_rows_alone(self, schema_name: str, batch_key: str, row: tuple[Any, ...]) -> DrainStats:
        try:
            return self.write(schema_name, batch_key, [row])
        except (DataError, IntegrityError):
            logger.exception("click drain: click refused by the database, dead-lettered")
            self._dead_letter({"schema": schema_name, "row": [str(value) for value in row]}, "refused")
            return DrainStats(dropped=1)

    def _prepare(self, entries: list[dict[str, Any]]) -> _Prepared:
        """Stream fields → COPY rows; user agents parsed (cached), crawlers counted out."""
        prepared = _Prepared()
        rows = prepared.rows
        for fields in entries:
            try:
                user_agent = str(fields.get(keys.FIELD_USER_AGENT) or "")[: keys.USER_AGENT_MAX_LENGTH]
                details = agent_details(user_agent) if user_agent else _NO_AGENT
                if details.is_bot:
                    prepared.bots += 1
                    continue
                referrer = str(fields.get(keys.FIELD_REFERRER) or "")[: keys.REFERRER_MAX_LENGTH]
                sub_ids = fields.get(keys.FIELD_SUB_IDS)
                if sub_ids and not isinstance(json.loads(sub_ids), dict):
                    raise ValueError("sub ids are not an object")
                ip_hash = str(fields[keys.FIELD_IP_HASH])
                if len(ip_hash) != 32:
                    raise ValueError("not an IP hash")
                click_id = str(fields[keys.FIELD_CLICK_ID]).lower()
                if not _CLICK_ID.fullmatch(click_id):
                    raise ValueError("not a click id")
                rows.append(
                    (
                        click_id,
                        int(fields[keys.FIELD_LINK]),
                        int(fields[keys.FIELD_TIME_MS]),
                        ip_hash,
                        user_agent,
                        referrer,
                        _referrer_host(referrer),
                        str(fields.get(keys.FIELD_COUNTRY) or "")[:2],
                        details.device_type,
                        details.browser,
                        details.os,
                        sub_ids or "{}",
                    )
                )
            except (KeyError, ValueError, TypeError):
                prepared.malformed.append(fields)
        return prepared

    def write(
        self, schema_name: str, batch_key: str, rows: list[tuple[Any, ...]], *, check_stored: bool = True
    ) -> DrainStats:
        """The rows of one brand, in one transaction of its schema; ticks once committed."""
        stats = DrainStats()
        if not rows:
            return stats
        with schema_context(schema_name), transaction.atomic():
            written = self.write_rows(rows, batch_key=batch_key, check_stored=check_stored)
            counts = written.counts
            stats.inserted = sum(clicks for _, _, clicks, _ in counts)
            stats.unique = sum(unique for _, _, _, unique in counts)
            stats.duplicates = len(rows) - stats.inserted  # redelivered, or of a deleted link
        by_affiliate: dict[int, list[DeltaRow]] = {}
        by_program: dict[int, list[DeltaRow]] = {}
        for row in written.deltas:
            by_affiliate.setdefault(row.affiliate_id, []).append(row)
            by_program.setdefault(row.program_id, []).append(row)
        xid = written.transaction_id
        for affiliate_id, affiliate_rows in by_affiliate.items():
            self.ticks.add(group_name(schema_name, affiliate_stats_topic(affiliate_id)), xid, affiliate_rows)
        for program_id, rows_of_program in by_program.items():
            self.ticks.add(
                group_name(schema_name, program_stats_topic(program_id)), xid, program_rows(rows_of_program)
            )
        return stats

    def write_rows(
        self, rows: list[tuple[Any, ...]], *, batch_key: str, check_stored: bool = True
    ) -> WrittenRows:
        """Write prepared rows in the current schema and transaction, and hand the fresh ones
        to the recorders (``tracking.recording``). Returns (affiliate id, program id, clicks
        inserted, unique clicks) of the rows actually inserted, the recorders' delta rows and
        the transaction's id (for the live ticks).

        Clicks already stored (``check_stored``: a redelivery) and clicks of deleted links
        are filtered out first, so the rows go straight into ``tracking_click`` by COPY (no
        staging table). Two consumers writing the same click at once (only after one took
        over the other's entries) make the COPY fail on the primary key: the caller retries,
        and the retry filters it out.
        """
        connection = tenant_connection()
        # The COPY is psycopg's own: its errors are mapped to Django's here, for the callers.
        with connection.wrap_database_errors, connection.cursor() as django_cursor:
            # Django's cursor sets the brand's search path; the statements go through a plain
            # psycopg cursor on the same connection: server-side parameters travel as binary
            # arrays instead of being quoted into the SQL, element by element, in Python.
            cursor = psycopg.Cursor(django_cursor.connection.connection)
            cursor.execute(_LINKS, [sorted({row[1] for row in rows})], binary=True)
            facts = {
                link_id: LinkFacts(affiliate_id, program_id, offer_ref, currency)
                for link_id, affiliate_id, program_id, offer_ref, currency in cursor.fetchall()
            }
            links = {link_id: (fact.affiliate_id, fact.program_id) for link_id, fact in facts.items()}
            batch = ClickBatch(batch_key=batch_key, links=facts, cursor=cursor)
            combos = batch.combos
            stored: set[str] = set()
            if check_stored:
                cursor.execute(_STORED, [[row[0] for row in rows]], binary=True)
                stored = {click_id for (click_id,) in cursor.fetchall()}
            fresh: dict[str, tuple[Any, ...]] = {}
            for row in rows:
                if row[1] in links and row[0] not in stored:
                    fresh.setdefault(row[0], row)
            ordered = sorted(fresh.values(), key=lambda row: (row[2], row[0]))  # earliest first
            firsts: dict[tuple[int, str, int], str] = {}
            for row in ordered:
                firsts.setdefault((row[1], row[3], row[2] // _HOUR_MS * 3600), row[0])
            cursor.execute(
                _CLAIM,
                [[key[0] for key in firsts], [key[1] for key in firsts], [key[2] for key in firsts]],
                binary=True,
            )
            unique_ids = {
                firsts[(link_id, ip_hash, int(hour_s))] for link_id, ip_hash, hour_s in cursor.fetchall()
            }

            counts: dict[tuple[int, int], list[int]] = {}
            lines = []
            for row in ordered:
                click_id, link_id, time_ms = row[0], row[1], row[2]
                affiliate_id, program_id = links[link_id]
                is_unique = click_id in unique_ids
                lines.append(
                    f"{click_id}\t{link_id}\t{affiliate_id}\t{program_id}\t"
                    f"{dt.datetime.fromtimestamp(time_ms / 1000, dt.UTC).isoformat()}\t"
                    f"{_copy_text(row[3:4])}\t{'t' if is_unique else 'f'}\t{_copy_text(row[4:12])}\n"
                )
                hour_s = time_ms // _HOUR_MS * 3600
                # (hour, link, country, device, browser, referrer host): see ClickAnalytics
                combo = combos.setdefault((hour_s, link_id, row[7], row[8], row[9], row[6]), [0, 0])
                combo[0] += 1
                combo[1] += is_unique
                count = counts.setdefault((affiliate_id, program_id), [0, 0])
                count[0] += 1
                count[1] += is_unique
            if lines:
                # COPY's text format, written at once: psycopg's ``write_row`` adapted each
                # value of each row in Python, which cost more than Postgres's whole COPY.
                with cursor.copy(_COPY) as copy:
                    copy.write("".join(lines))
            if not counts:
                return WrittenRows(counts=[])
            # Screened clicks (fraud rules) are stored and counted as clicks, but the refused
            # ones earn no per-click commission.
            batch.unique_ids = frozenset(unique_ids)
            refused = click_screen(batch, ordered)
            for click_id in refused & unique_ids:
                fact = facts[fresh[click_id][1]]
                counts[(fact.affiliate_id, fact.program_id)][1] -= 1
            batch.unique_clicks = {key: unique for key, (_, unique) in counts.items() if unique}
            if refused:  # the drain's own figures count unique clicks as stored
                for click_id in refused & unique_ids:
                    fact = facts[fresh[click_id][1]]
                    counts[(fact.affiliate_id, fact.program_id)][1] += 1
            deltas = click_batch_record(batch)
            emit("click.recorded", _click_recorded(batch))
            cursor.execute(_TRANSACTION_ID)
            (xid,) = cursor.fetchone() or ("0",)
        return WrittenRows(
            counts=[
                (affiliate, program, clicks, unique)
                for (affiliate, program), (clicks, unique) in counts.items()
            ],
            deltas=deltas,
            transaction_id=int(xid),
        )

    def _is_brand(self, schema_name: str) -> bool:
        """Whether the schema is a brand's. A schema not among those known is looked up every
        time (a brand created since): only a deleted brand's entries cost the lookup."""
        if schema_name not in self._schemas:
            with schema_context(get_public_schema_name()):
                self._schemas = frozenset(
                    Tenant.objects.filter(kind=TenantKind.BRAND).values_list("schema_name", flat=True)
                )
        return schema_name in self._schemas

    def _dead_letter(self, fields: dict[str, Any], reason: str) -> None:
        """Kept in a stream of its own for a human to look at: never silently dropped."""
        logger.error("click drain: %s entry dead-lettered: %r", reason, fields)
        try:
            self.redis.xadd(self.dead_letters, {"reason": reason, "entry": json.dumps(fields, default=str)})
        except redis.RedisError:
            logger.exception("click drain: dead letter not kept")

    # --- fallback files --------------------------------------------------------------

    def ingest_fallback_files(self) -> int:
        """Clicks the lane wrote to disk while Redis was down; each file deleted once committed."""
        count = 0
        for path in fallback_files_claim(self.fallback_dir):
            entries = fallback_file_read(path)
            for start in range(0, len(entries), self.batch_size):
                chunk = entries[start : start + self.batch_size]
                # The file name and line numbers make the batch key stable across retries.
                self.ingest(
                    [(f"{path.stem}#{start + number}", fields) for number, fields in enumerate(chunk)]
                )
            path.unlink()
            count += len(entries)
            self.stats.files += 1
        return count

    # --- live ticks ------------------------------------------------------------------

    def flush_ticks(self, *, force: bool = False) -> int:
        messages = self.ticks.due(time.monotonic(), force=force)
        if messages:
            try:
                async_to_sync(_group_send_all)(messages)
            except (redis.RedisError, OSError) as error:  # live stats only: rollups hold the truth
                logger.warning("click drain: %d live ticks not sent: %s", len(messages), error)
        return len(messages)
