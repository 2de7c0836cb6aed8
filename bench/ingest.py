"""The click drain against a raw COPY of the same rows: clicks/s from the Redis stream into
Postgres (dedup, unique keys, the analytics rollup, user agents parsed, acknowledged after commit)
against rows/s of a bare COPY into a table shaped and indexed like ``tracking_click``.

A measurement, not a test: it prints both rates, their ratio, whether the goal holds
(ratio >= 0.5) and the lost / duplicated click counts (must be 0), then redelivers a tenth
of the entries (as after a crash between commit and acknowledgement) and checks that
nothing is counted twice. Exits 0 either way. Runs on a scratch database (see _common.py)
and a Redis key prefix of its own (removed at the end); the COPY baseline commits once per
batch, like the drain.

    python bench/ingest.py [--count 100000] [--links 50] [--batch-size 2000]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BRAND = "benchingest"
GOAL_RATIO = 0.5
USER_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile "
    "Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 "
    "Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0",
    "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 "
    "Mobile/15E148 Safari/604.1",
]
REFERRERS = ["", "https://www.instagram.com/", "https://t.co/abc", "https://news.example.org/article?id=7"]
COUNTRIES = ["FR", "MA", "US", "DE", ""]


def _links_create(count: int) -> list[tuple[int, int, int]]:
    """A program, an approved affiliate and ``count`` links: (link, affiliate, program) ids."""
    from decimal import Decimal

    from django_tenants.utils import schema_context

    from accounts.models import Role, User
    from affiliation.models import Affiliate, AffiliateStatus, CommissionTier, Link, Program
    from tenants.services import schema_name_for_subdomain

    with schema_context(schema_name_for_subdomain(BRAND)):
        program = Program.objects.create(
            name="Bench", slug="bench", landing_url="https://shop.example.com/", currency="USD"
        )
        tier = CommissionTier.objects.create(
            program=program, code="default", label="Default", rate=Decimal("20"), is_default=True
        )
        user = User.objects.create_user(email="bench@example.com", password=None, role=Role.AFFILIATE)
        affiliate = Affiliate.objects.create(
            user=user, program=program, tier=tier, status=AffiliateStatus.APPROVED, referral_code="bench"
        )
        links = Link.objects.bulk_create(
            Link(
                affiliate=affiliate, program=program, code=f"bench{n}", target_url="https://shop.example.com/"
            )
            for n in range(count)
        )
        return [(link.pk, affiliate.pk, program.pk) for link in links]


def _entries(count: int, links: list[tuple[int, int, int]], schema_name: str) -> list[dict[str, str]]:
    """Stream entries as the lane writes them: the same fields, clicks over the last hour
    from a pool of visitors (so that some repeat and are not unique)."""
    from tracking import keys
    from tracking.redirect import _click_id

    rng = random.Random(7)
    now_ms = int(time.time() * 1000)
    visitors = [hashlib.sha256(f"visitor{n}".encode()).hexdigest()[:32] for n in range(count // 4 or 1)]
    entries = []
    for n in range(count):
        link, affiliate, program = links[n % len(links)]
        at_ms = now_ms - 3_600_000 + n * 3_600_000 // count
        entry = {
            keys.FIELD_SCHEMA: schema_name,
            keys.FIELD_CLICK_ID: _click_id(at_ms),
            keys.FIELD_TIME_MS: str(at_ms),
            keys.FIELD_LINK: str(link),
            keys.FIELD_AFFILIATE: str(affiliate),
            keys.FIELD_PROGRAM: str(program),
            keys.FIELD_IP_HASH: rng.choice(visitors),
            keys.FIELD_USER_AGENT: rng.choice(USER_AGENTS),
        }
        if referrer := rng.choice(REFERRERS):
            entry[keys.FIELD_REFERRER] = referrer
        if country := rng.choice(COUNTRIES):
            entry[keys.FIELD_COUNTRY] = country
        if n % 10 == 0:
            entry[keys.FIELD_SUB_IDS] = f'{{"sub1":"campaign{n % 7}"}}'
        entries.append(entry)
    return entries


def _seed(client: Any, stream: str, entries: list[dict[str, str]]) -> float:
    started = time.perf_counter()
    for start in range(0, len(entries), 1000):
        pipe = client.pipeline(transaction=False)
        for entry in entries[start : start + 1000]:
            pipe.xadd(stream, entry)
        pipe.execute()
    return time.perf_counter() - started


def _copy_baseline(schema_name: str, entries: list[dict[str, str]], batch_size: int) -> float:
    """The same rows, already shaped in Python, COPYed into a copy of ``tracking_click``
    (same columns and indexes), one transaction per batch. Only the COPY is timed."""
    import datetime as dt
    import json

    from django.db import connection, transaction
    from django_tenants.utils import schema_context

    from core.agents import agent_details
    from tracking import keys
    from tracking.ingest import _referrer_host

    rows = []
    for entry in entries:
        details = agent_details(entry[keys.FIELD_USER_AGENT])
        referrer = entry.get(keys.FIELD_REFERRER, "")
        rows.append(
            (
                entry[keys.FIELD_CLICK_ID],
                int(entry[keys.FIELD_LINK]),
                int(entry[keys.FIELD_AFFILIATE]),
                int(entry[keys.FIELD_PROGRAM]),
                dt.datetime.fromtimestamp(int(entry[keys.FIELD_TIME_MS]) / 1000, dt.UTC),
                entry[keys.FIELD_IP_HASH],
                False,
                entry[keys.FIELD_USER_AGENT],
                referrer,
                _referrer_host(referrer),
                entry.get(keys.FIELD_COUNTRY, ""),
                details.device_type,
                details.browser,
                details.os,
                entry.get(keys.FIELD_SUB_IDS) or json.dumps({}),
            )
        )
    columns = (
        "id, link_id, affiliate_id, program_id, created_at, ip_hash, is_unique, user_agent, referrer, "
        "referrer_host, country, device_type, browser, os, sub_ids"
    )
    with schema_context(schema_name):
        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE bench_copy (LIKE tracking_click INCLUDING ALL)")
        started = time.perf_counter()
        for start in range(0, len(rows), batch_size):
            with (
                transaction.atomic(),
                connection.cursor() as cursor,
                cursor.cursor.copy(f"COPY bench_copy ({columns}) FROM STDIN") as copy,
            ):
                for row in rows[start : start + batch_size]:
                    copy.write_row(row)
        elapsed = time.perf_counter() - started
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM bench_copy")
            assert cursor.fetchone()[0] == len(rows)
    return elapsed


def _counts(schema_name: str, click_ids: set[str]) -> dict[str, int]:
    from django.db import connection
    from django_tenants.utils import schema_context

    with schema_context(schema_name), connection.cursor() as cursor:
        cursor.execute("SELECT id::text FROM tracking_click")
        stored = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "SELECT coalesce(sum(clicks), 0), coalesce(sum(unique_clicks), 0) FROM analytics_rollup"
            " WHERE granularity = 'day' AND dimension = 'all' AND affiliate_id > 0"
        )
        rollup_clicks, rollup_unique = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM tracking_click WHERE is_unique")
        (unique,) = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM tracking_uniqueclickkey")
        (keys_claimed,) = cursor.fetchone()
    stored_set = set(stored)
    return {
        "rows": len(stored),
        "lost": len(click_ids - stored_set),
        "duplicated": len(stored) - len(stored_set) + len(stored_set - click_ids),
        "rollup_clicks": int(rollup_clicks),
        "rollup_unique": int(rollup_unique),
        "unique": int(unique),
        "keys": int(keys_claimed),
    }


def _drain_all(drains: list[Any]) -> Any:
    """Each consumer drains in a thread of its own (its own Postgres connection); merged stats."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    from tracking.ingest import DrainStats

    def run(drain: Any) -> Any:
        try:
            return drain.drain_available()
        finally:
            connection.close()

    if len(drains) == 1:
        return drains[0].drain_available()
    total = DrainStats()
    with ThreadPoolExecutor(len(drains)) as pool:
        for stats in pool.map(run, drains):
            total.add(stats)
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000, help="clicks seeded (default 100000)")
    parser.add_argument("--links", type=int, default=50, help="links they spread over (default 50)")
    parser.add_argument("--batch-size", type=int, default=2000, help="entries per batch (default 2000)")
    parser.add_argument("--consumers", type=int, default=1, help="drain consumers, a thread each (default 1)")
    args = parser.parse_args()

    prefix = f"bench{os.getpid()}-{time.time_ns() % 10**9}"  # keys of this run only
    os.environ["TRACKING_KEY_PREFIX"] = prefix
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    sys.path.insert(0, str(ROOT / "bench"))
    from _common import brand_by_clone, print_table, scratch_database

    with scratch_database("ingest") as database:
        import redis
        from django.conf import settings

        from tenants.services import schema_name_for_subdomain
        from tracking import keys
        from tracking.ingest import ClickDrain

        brand_by_clone(BRAND)
        schema_name = schema_name_for_subdomain(BRAND)
        links = _links_create(args.links)
        entries = _entries(args.count, links, schema_name)
        click_ids = {entry[keys.FIELD_CLICK_ID] for entry in entries}
        client = redis.Redis.from_url(settings.TRACKING_REDIS_URL)
        stream = keys.click_stream_key(prefix)
        drains = [
            ClickDrain(consumer=f"bench{n}", batch_size=args.batch_size, key_prefix=prefix, tick_seconds=1)
            for n in range(args.consumers)
        ]
        try:
            print(
                f"database {database}; {args.count} clicks, {args.links} links, batches of {args.batch_size}"
            )
            copy_seconds = _copy_baseline(schema_name, entries, args.batch_size)
            drains[0].setup()
            seed_seconds = _seed(client, stream, entries)
            started = time.perf_counter()
            stats = _drain_all(drains)
            drain_seconds = time.perf_counter() - started
            left = int(client.xlen(stream))
            counts = _counts(schema_name, click_ids)

            redelivered = entries[: args.count // 10]
            _seed(client, stream, redelivered)
            again = drains[0].drain_available()
            after = _counts(schema_name, click_ids)
        finally:
            for drain in drains:
                drain.close()
            stale = list(client.scan_iter(match=f"{prefix}:*", count=1000))
            if stale:
                client.delete(*stale)
            client.close()

    print(
        f"seeded the stream in {seed_seconds:.1f} s ({args.count / seed_seconds:,.0f} XADD/s, not compared)"
    )
    print_table(
        ["path", "rows", "seconds", "rows/s"],
        [
            ["raw COPY (baseline)", args.count, copy_seconds, args.count / copy_seconds],
            ["drain (stream -> Postgres)", stats.inserted, drain_seconds, stats.inserted / drain_seconds],
        ],
    )
    ratio = (stats.inserted / drain_seconds) / (args.count / copy_seconds)
    print(f"ratio drain/COPY (rows/s): {ratio:.2f} with {args.consumers} consumer(s)")
    print(
        f"drain: {stats.entries} entries, {stats.inserted} inserted, {stats.unique} unique, "
        f"{stats.batches} batches; stream left: {left}"
    )
    print(
        f"lost: {counts['lost']}, duplicated: {counts['duplicated']}; rollups: {counts['rollup_clicks']} "
        f"clicks, {counts['rollup_unique']} unique (rows: {counts['rows']}, {counts['unique']} unique, "
        f"{counts['keys']} unique keys)"
    )
    print(
        f"redelivered {len(redelivered)} entries: {again.inserted} inserted, {again.duplicates} recognised; "
        f"then lost: {after['lost']}, duplicated: {after['duplicated']}, rollups: "
        f"{after['rollup_clicks']} clicks, {after['rollup_unique']} unique"
    )
    exact = (
        counts["lost"] == counts["duplicated"] == after["lost"] == after["duplicated"] == again.inserted == 0
        and counts["rows"] == counts["rollup_clicks"] == after["rollup_clicks"] == args.count
        and counts["unique"] == counts["rollup_unique"] == counts["keys"] == after["rollup_unique"]
    )
    print(f"goal: ratio >= {GOAL_RATIO}: {'met' if ratio >= GOAL_RATIO else 'NOT met'}")
    print(f"goal: zero lost, zero duplicated, rollups exact: {'met' if exact else 'NOT met'}")


if __name__ == "__main__":
    main()
