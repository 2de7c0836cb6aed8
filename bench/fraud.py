"""The fraud rules: what they cost a sale and the click drain, against the same work without them.

Three measurements on a scratch database (see _common.py), each with its baseline in the same run:

1. **Rules on stored sales**: ``fraud.screening.conversion_rules_screen`` on N sales seeded in
   ``affiliation_conversion`` (default 100,000 over 5,000 affiliates; every rule on, the program
   with an allowed-countries list and every sale carrying a buyer email and IP, so each rule does
   its lookup), one transaction per sale as in ``conversion_record``: rows/s and p50/p95/p99 per sale.
2. **Added latency per sale**: ``affiliation.services.conversion_record`` end to end, screening on
   and off alternately (the screener unregistered for "off") on affiliates of their own whose
   sales trip no rule: p50/p95 of each, the difference, and the screener's own time inside
   ``conversion_record`` (steadier than the difference on a loaded machine). Goal: ≤ 5 ms added
   at p95.
3. **The drain with and without screening**: M clicks (default 1,000,000) through the stream and
   ``tracking.ingest.ClickDrain`` in rounds of 100,000 alternating off/on (the click screener
   unregistered for "off"): rows/s of each, their ratio (goal ≥ 0.9), and the screener's own
   rows/s (time inside ``click_batch_screen``).

    python bench/fraud.py [--scale 1.0] [--latency-sales 1000] [--batch-size 2000]

``--scale`` multiplies the sales and clicks (0.1: 10,000 sales, 100,000 clicks). Exits 0 either way.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BRAND = "benchfraud"
GOAL_ADDED_P95_MS = 5.0
GOAL_DRAIN_RATIO = 0.9
ROUND = 100_000
COUNTRIES = ["MA", "FR", "US", "DE", ""]


def _world(affiliates: int) -> dict[str, Any]:
    """A program (every rule on, countries listed) and its approved affiliates."""
    from decimal import Decimal

    from affiliation.models import CommissionTier, Program
    from fraud.services import RuleInput, rule_settings_set

    program = Program.objects.create(
        name="Bench", slug="bench", landing_url="https://shop.example.com/", currency="USD", hold_days=30
    )
    tier = CommissionTier.objects.create(
        program=program, code="default", label="Default", rate=Decimal("20"), is_default=True
    )
    members, links = _members(program, tier, affiliates, "aff")
    rule_settings_set(
        actor=None,
        program=program,
        rules=[RuleInput(code="country_not_allowed", enabled=True, action="hold", countries=COUNTRIES[:4])],
    )
    return {"program": program, "tier": tier, "affiliates": members, "links": links}


def _members(program: Any, tier: Any, count: int, tag: str) -> tuple[list[Any], list[Any]]:
    """``count`` approved affiliates of ``program`` with a link each."""
    from accounts.models import Role, User
    from affiliation.models import Affiliate, AffiliateStatus, Link

    users = User.objects.bulk_create(
        User(email=f"{tag}{n}@bench.example.com", role=Role.AFFILIATE) for n in range(count)
    )
    members = Affiliate.objects.bulk_create(
        Affiliate(
            user=user, program=program, tier=tier, status=AffiliateStatus.APPROVED, referral_code=f"{tag}{n}"
        )
        for n, user in enumerate(users)
    )
    links = Link.objects.bulk_create(
        Link(affiliate=member, program=program, code=f"{tag}l{n}", target_url="https://shop.example.com/")
        for n, member in enumerate(members)
    )
    return members, links


def _clicks_create(links: list[Any], count: int, rng: random.Random, age_s: tuple[int, int]) -> list[Any]:
    from django.utils import timezone

    from core.ids import new_time_ordered_id
    from tracking.models import Click

    now = timezone.now()
    clicks = [
        Click(
            id=new_time_ordered_id(),
            link=link,
            affiliate_id=link.affiliate_id,
            program_id=link.program_id,
            created_at=now - dt.timedelta(seconds=rng.randint(*age_s)),
            ip_hash=f"{rng.getrandbits(128):032x}",
            is_unique=True,
            country=rng.choice(COUNTRIES),
        )
        for link in (links[n % len(links)] for n in range(count))
    ]
    for start in range(0, len(clicks), 5000):
        Click.objects.bulk_create(clicks[start : start + 5000])
    return clicks


def _rules_on_stored_sales(world: dict[str, Any], count: int, rng: random.Random) -> dict[str, Any]:
    from decimal import Decimal

    from _common import percentile
    from django.db import transaction
    from django.utils import timezone

    from affiliation.models import Conversion
    from affiliation.screening import ConversionFacts
    from fraud.models import FraudCase
    from fraud.screening import conversion_rules_screen

    program, links = world["program"], world["links"]
    affiliates = {member.pk: member for member in world["affiliates"]}
    # ~1 % of sales seconds after their click (click injection), the rest minutes to days after.
    clicks = _clicks_create(links, count, rng, (20, 3 * 86_400))
    now = timezone.now()
    conversions = [
        Conversion(
            source="postback",
            order_id=f"seed-{n}",
            program=program,
            affiliate_id=click.affiliate_id,
            click_id=click.id,
            link_id=click.link_id,
            amount=Decimal("49.90"),
            currency="USD",
            occurred_at=now if n % 100 else click.created_at + dt.timedelta(seconds=3),
        )
        for n, click in enumerate(clicks)
    ]
    for start in range(0, len(conversions), 5000):
        Conversion.objects.bulk_create(conversions[start : start + 5000])
    timings = []
    started = time.perf_counter()
    for n, (conversion, click) in enumerate(zip(conversions, clicks, strict=True)):
        facts = ConversionFacts(
            conversion=conversion,
            program=program,
            affiliate=affiliates[conversion.affiliate_id],
            click_id=click.id,
            click_at=click.created_at,
            buyer_email=f"buyer{n}@example.org",
            buyer_ip=f"198.51.{n % 250}.{n % 200 + 1}",
        )
        begun = time.perf_counter()
        with transaction.atomic():
            conversion_rules_screen(facts)
        timings.append((time.perf_counter() - begun) * 1000)
    elapsed = time.perf_counter() - started
    return {
        "rows": count,
        "seconds": elapsed,
        "p50": percentile(timings, 0.5),
        "p95": percentile(timings, 0.95),
        "p99": percentile(timings, 0.99),
        "cases": FraudCase.objects.count(),
    }


def _latency(world: dict[str, Any], count: int, rng: random.Random) -> dict[str, list[float]]:
    from affiliation.screening import conversion_screener_register, conversion_screener_unregister
    from affiliation.services import conversion_record
    from fraud.models import FraudCase
    from fraud.screening import conversion_rules_screen

    # Affiliates of their own: section 1 already filled this hour's counters of the others
    # (every sale would trip conversion_velocity and open a case). 4 sales each, none trips.
    _, links = _members(world["program"], world["tier"], max(1, count // 2), "lat")
    clicks = _clicks_create(links, 2 * count, rng, (60, 3600))
    cases_before = FraudCase.objects.count()
    results: dict[str, list[float]] = {"off": [], "on": [], "inside": []}

    def timed_screen(facts: Any) -> Any:
        begun = time.perf_counter()
        try:
            return conversion_rules_screen(facts)
        finally:
            results["inside"].append((time.perf_counter() - begun) * 1000)

    # The screener's own time inside conversion_record: what it adds, less the machine's noise.
    conversion_screener_unregister(conversion_rules_screen)
    for n, click in enumerate(clicks):
        mode = "on" if n % 2 else "off"
        if mode == "on":
            conversion_screener_register(timed_screen)
        begun = time.perf_counter()
        conversion_record(
            source="postback",
            order_id=f"latency-{n}",
            amount="49.90",
            currency="USD",
            click_id=str(click.id),
            buyer_email=f"latency{n}@example.org",
            buyer_ip=f"203.0.113.{n % 250 + 1}",
        )
        results[mode].append((time.perf_counter() - begun) * 1000)
        conversion_screener_unregister(timed_screen)
    conversion_screener_register(conversion_rules_screen)
    results["cases"] = [float(FraudCase.objects.count() - cases_before)]
    return results


def _entries(count: int, links: list[Any], schema_name: str, rng: random.Random) -> list[dict[str, str]]:
    from tracking import keys
    from tracking.redirect import _click_id

    now_ms = int(time.time() * 1000)
    visitors = [hashlib.sha256(f"visitor{n}".encode()).hexdigest()[:32] for n in range(count // 4 or 1)]
    entries = []
    for n in range(count):
        link = links[n % len(links)]
        at_ms = now_ms - 3_600_000 + n * 3_600_000 // count
        entry = {
            keys.FIELD_SCHEMA: schema_name,
            keys.FIELD_CLICK_ID: _click_id(at_ms),
            keys.FIELD_TIME_MS: str(at_ms),
            keys.FIELD_LINK: str(link.pk),
            keys.FIELD_AFFILIATE: str(link.affiliate_id),
            keys.FIELD_PROGRAM: str(link.program_id),
            keys.FIELD_IP_HASH: rng.choice(visitors),
            keys.FIELD_USER_AGENT: "Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0",
        }
        if country := rng.choice(COUNTRIES):
            entry[keys.FIELD_COUNTRY] = country
        entries.append(entry)
    return entries


def _drain(
    world: dict[str, Any], total: int, batch_size: int, prefix: str, rng: random.Random
) -> dict[str, Any]:
    import redis
    from django.conf import settings

    from fraud import screening
    from tenants.services import schema_name_for_subdomain
    from tracking import keys
    from tracking.ingest import ClickDrain
    from tracking.recording import click_screener_register, click_screener_unregister

    inside = {"seconds": 0.0, "rows": 0}

    def timed_screen(batch: Any, rows: list[Any]) -> set[str]:
        begun = time.perf_counter()
        try:
            return screening.click_batch_screen(batch, rows)
        finally:
            inside["seconds"] += time.perf_counter() - begun
            inside["rows"] += len(rows)

    click_screener_unregister(screening.click_batch_screen)
    schema_name = schema_name_for_subdomain(BRAND)
    client = redis.Redis.from_url(settings.TRACKING_REDIS_URL)
    stream = keys.click_stream_key(prefix)
    drain = ClickDrain(consumer="benchfraud", batch_size=batch_size, key_prefix=prefix, tick_seconds=1)
    per_mode: dict[str, dict[str, float]] = {
        "off": {"rows": 0, "seconds": 0.0},
        "on": {"rows": 0, "seconds": 0.0},
    }
    try:
        drain.setup()
        rounds = max(2, round(total / ROUND))
        size = total // rounds
        for number in range(rounds):
            mode = "on" if number % 2 else "off"
            entries = _entries(size, world["links"], schema_name, rng)
            for start in range(0, len(entries), 1000):
                pipe = client.pipeline(transaction=False)
                for entry in entries[start : start + 1000]:
                    pipe.xadd(stream, entry)
                pipe.execute()
            del entries
            if mode == "on":
                click_screener_register(timed_screen)
            begun = time.perf_counter()
            stats = drain.drain_available()
            per_mode[mode]["seconds"] += time.perf_counter() - begun
            per_mode[mode]["rows"] += stats.inserted
            click_screener_unregister(timed_screen)
            client.xtrim(stream, maxlen=0)
    finally:
        drain.close()
        stale = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if stale:
            client.delete(*stale)
        client.close()
        click_screener_register(screening.click_batch_screen)
    return {"modes": per_mode, "inside": inside}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies sales and clicks (default 1)")
    parser.add_argument("--latency-sales", type=int, default=1000, help="sales per mode for the latency")
    parser.add_argument("--batch-size", type=int, default=2000, help="drain batch size (default 2000)")
    args = parser.parse_args()
    sales = max(1000, int(100_000 * args.scale))
    clicks = max(2 * 10_000, int(1_000_000 * args.scale))
    affiliates = max(100, sales // 20)

    prefix = f"benchfraud{os.getpid()}-{time.time_ns() % 10**9}"
    os.environ["TRACKING_KEY_PREFIX"] = prefix
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    sys.path.insert(0, str(ROOT / "bench"))
    from _common import median, percentile, print_table, scratch_database

    rng = random.Random(12)
    with scratch_database("fraud") as database:
        from _common import brand_by_clone
        from django_tenants.utils import schema_context

        from tenants.services import schema_name_for_subdomain

        brand_by_clone(BRAND)
        with schema_context(schema_name_for_subdomain(BRAND)):
            print(f"database {database}; {sales} sales, {affiliates} affiliates, {clicks} clicks", flush=True)
            world = _world(affiliates)
            stored = _rules_on_stored_sales(world, sales, rng)
            print("\n1. conversion rules on stored sales (one transaction each)")
            print_table(
                ["rows", "seconds", "rows/s", "p50 ms", "p95 ms", "p99 ms", "cases opened"],
                [
                    [
                        stored["rows"],
                        stored["seconds"],
                        stored["rows"] / stored["seconds"],
                        stored["p50"],
                        stored["p95"],
                        stored["p99"],
                        stored["cases"],
                    ]
                ],
            )
            sys.stdout.flush()
            latency = _latency(world, args.latency_sales, rng)
            print("\n2. conversion_record end to end, screening off / on (alternating)")
            rows = []
            for mode in ("off", "on"):
                values = latency[mode]
                rows.append(
                    [mode, len(values), median(values), percentile(values, 0.95), percentile(values, 0.99)]
                )
            print_table(["screening", "sales", "p50 ms", "p95 ms", "p99 ms"], rows)
            added_p95 = percentile(latency["on"], 0.95) - percentile(latency["off"], 0.95)
            added_p50 = median(latency["on"]) - median(latency["off"])
            print(
                f"added per sale: p50 {added_p50:.2f} ms, p95 {added_p95:.2f} ms "
                f"(rules alone p95 {stored['p95']:.2f} ms; cases opened: {int(latency['cases'][0])})",
                flush=True,
            )
            inside_ = latency["inside"]
            print(
                f"the screener itself inside conversion_record: p50 {median(inside_):.2f} ms, "
                f"p95 {percentile(inside_, 0.95):.2f} ms, p99 {percentile(inside_, 0.99):.2f} ms",
                flush=True,
            )
        drained = _drain(world, clicks, args.batch_size, prefix, rng)

    print("\n3. the click drain, screening off / on (rounds alternating)")
    modes = drained["modes"]
    print_table(
        ["screening", "rows", "seconds", "rows/s"],
        [
            [mode, int(rows_["rows"]), rows_["seconds"], rows_["rows"] / rows_["seconds"]]
            for mode, rows_ in ((mode, modes[mode]) for mode in ("off", "on"))
        ],
    )
    ratio = (modes["on"]["rows"] / modes["on"]["seconds"]) / (modes["off"]["rows"] / modes["off"]["seconds"])
    inside = drained["inside"]
    print(
        f"ratio on/off (rows/s): {ratio:.2f}; the click screener alone: {inside['rows']} rows in "
        f"{inside['seconds']:.2f} s ({inside['rows'] / max(inside['seconds'], 1e-9):,.0f} rows/s)"
    )
    goal_latency = added_p95 <= GOAL_ADDED_P95_MS
    print(f"goal: added p95 per sale <= {GOAL_ADDED_P95_MS} ms: {'met' if goal_latency else 'NOT met'}")
    print(f"goal: drain ratio >= {GOAL_DRAIN_RATIO}: {'met' if ratio >= GOAL_DRAIN_RATIO else 'NOT met'}")


if __name__ == "__main__":
    main()
