"""Dashboard queries over the rollups of 10 million clicks against trivial queries of the same
table: what ``analytics.selectors.analytics_report`` (the GraphQL ``analytics`` query) costs
when a brand has a lot of traffic.

A measurement, not a test: it prints the p50 / p95 of each dashboard and the ratios to two
baselines measured in the same run (a primary-key lookup and a ``count(*)`` of the whole rollup
table), and whether every dashboard's median stays under one full scan of the table. Exits 0
either way. Runs on a scratch database (see _common.py).

The rollups are seeded in SQL (``generate_series``, then ``INSERT … SELECT`` in time order, the
order the drain appends them in): per link and day, clicks drawn around ``clicks / (days x
links x active share)``, then split over countries, devices, browsers and sources by fixed
weights with floor differences of cumulative shares, so every dimension sums to the same
totals, exactly as the drain leaves them; hourly rows for the last ``--hourly-days`` days;
program-level rows summed from affiliate-level ones. Indexes are rebuilt after the load and
the table is vacuumed and analysed (what autovacuum does on a live table).

    python bench/analytics.py [--clicks 10000000] [--days 90] [--links 2000] [--affiliates 400]
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from _common import brand_by_clone, median, percentile, print_table, scratch_database

BRAND = "benchanalytics"
ACTIVE_SHARE = 0.6  # a link has clicks on 60 % of the days
# (value, weight): the traffic's spread over each row dimension.
SPREADS: dict[str, list[tuple[str, float]]] = {
    "country": [
        ("FR", 0.28),
        ("US", 0.16),
        ("MA", 0.12),
        ("DE", 0.09),
        ("GB", 0.08),
        ("ES", 0.07),
        ("IT", 0.05),
        ("BE", 0.04),
        ("CA", 0.04),
        ("NL", 0.03),
        ("CH", 0.02),
        ("", 0.02),
    ],
    "device": [("mobile", 0.52), ("desktop", 0.40), ("tablet", 0.06), ("other", 0.02)],
    "browser": [
        ("Chrome Mobile", 0.30),
        ("Chrome", 0.25),
        ("Mobile Safari", 0.20),
        ("Safari", 0.08),
        ("Firefox", 0.07),
        ("Edge", 0.06),
        ("Samsung Internet", 0.04),
    ],
    "source": [("social", 0.38), ("direct", 0.27), ("search", 0.20), ("email", 0.10), ("other", 0.05)],
}
_METRICS = "clicks, unique_clicks, signups, conversions, revenue, commissions"


def _world(programs: int, affiliates: int, links: int, offers: int) -> dict[str, Any]:
    """Programs, affiliates (users), links, and the products behind the offers (five each, of
    ten merchants: one merchant's dashboard covers a tenth of the offers)."""
    from decimal import Decimal

    from django_tenants.utils import schema_context

    from accounts.models import Role, User
    from affiliation.models import Affiliate, AffiliateStatus, CommissionTier, Link, Program
    from marketplace.models import Product
    from tenants.services import schema_name_for_subdomain

    with schema_context(schema_name_for_subdomain(BRAND)):
        program_rows = [
            Program.objects.create(
                name=f"Program {n}",
                slug=f"program-{n}",
                landing_url="https://shop.example.com/",
                currency="EUR",
            )
            for n in range(programs)
        ]
        tiers = [
            CommissionTier.objects.create(
                program=program, code="default", label="Default", rate=Decimal(20), is_default=True
            )
            for program in program_rows
        ]
        users = User.objects.bulk_create(
            User(email=f"affiliate{n}@bench.test", role=Role.AFFILIATE) for n in range(affiliates)
        )
        merchants = User.objects.bulk_create(
            User(email=f"merchant{n}@bench.test", role=Role.MERCHANT) for n in range(10)
        )
        members = Affiliate.objects.bulk_create(
            Affiliate(
                user=user,
                program=program_rows[n % programs],
                tier=tiers[n % programs],
                status=AffiliateStatus.APPROVED,
                referral_code=f"bench{n}",
            )
            for n, user in enumerate(users)
        )
        products = Product.objects.bulk_create(
            Product(
                merchant=merchants[n % 10],
                program=program_rows[n % programs],
                title=f"Deal {n}",
                slug=f"deal-{n}",
                currency="EUR",
                original_price=Decimal(80),
                price=Decimal(50),
            )
            for n in range(offers)
        )
        by_program = {
            program.pk: [product for product in products if product.program_id == program.pk]
            for program in program_rows
        }

        def offer(number: int, program_id: int) -> str:
            """Seven links in ten promote a product of their program; the others its landing page."""
            choices = by_program[program_id]
            return (
                choices[number // affiliates % len(choices)].offer_ref if number % 10 < 7 and choices else ""
            )

        Link.objects.bulk_create(
            Link(
                affiliate=members[n % affiliates],
                program_id=members[n % affiliates].program_id,
                code=f"b{n}",
                target_url="https://shop.example.com/",
                offer_ref=offer(n, members[n % affiliates].program_id),
            )
            for n in range(links)
        )
        return {
            "affiliate": members[0],
            "merchant": merchants[0],
            "programs": [program.pk for program in program_rows],
        }


def _spread_sql(dimension: str) -> str:
    """``(VALUES (value, low, high), ...)`` of cumulative shares."""
    rows = []
    low = 0.0
    for value, weight in SPREADS[dimension]:
        high = min(1.0, low + weight)
        rows.append(f"('{value}', {low:.6f}::numeric, {high:.6f}::numeric)")
        low = high
    return "(VALUES " + ", ".join(rows) + ") AS v(value, low, high)"


def _parts(granularity: str, source: str) -> list[str]:
    """SELECTs of every rollup row of ``source`` (bench_day or bench_hour) at one granularity."""
    sums = "sum(clicks), sum(unique_clicks), sum(signups), sum(conversions), sum(revenue), sum(commissions)"
    parts = [
        f"SELECT '{granularity}', bucket, 'link', link_id::text, program_id, affiliate_id, offer_ref, "
        f"currency, {_METRICS} FROM {source}",
        f"SELECT '{granularity}', bucket, 'all', '', program_id, affiliate_id, offer_ref, currency, {sums} "
        f"FROM {source} GROUP BY bucket, program_id, affiliate_id, offer_ref, currency",
        f"SELECT '{granularity}', bucket, 'all', '', program_id, 0, '', currency, {sums} "
        f"FROM {source} GROUP BY bucket, program_id, currency",
    ]
    split = (
        "sum(floor(clicks * high) - floor(clicks * low)), "
        "sum(floor(unique_clicks * high) - floor(unique_clicks * low)), "
        "sum(floor(signups * high) - floor(signups * low)), "
        "sum(floor(conversions * high) - floor(conversions * low)), "
        "sum(round(revenue * high, 2) - round(revenue * low, 2)), "
        "sum(round(commissions * high, 2) - round(commissions * low, 2))"
    )
    for dimension in SPREADS:
        spread = _spread_sql(dimension)
        parts.append(
            f"SELECT '{granularity}', bucket, '{dimension}', v.value, program_id, affiliate_id, offer_ref, "
            f"currency, {split} FROM {source} CROSS JOIN {spread} "
            "GROUP BY bucket, program_id, affiliate_id, offer_ref, currency, v.value "
            "HAVING sum(floor(clicks * high) - floor(clicks * low)) > 0 "
            "OR sum(floor(conversions * high) - floor(conversions * low)) > 0"
        )
        parts.append(
            f"SELECT '{granularity}', bucket, '{dimension}', v.value, program_id, 0, '', currency, "
            f"{split} FROM {source} CROSS JOIN {spread} "
            "GROUP BY bucket, program_id, currency, v.value "
            "HAVING sum(floor(clicks * high) - floor(clicks * low)) > 0 "
            "OR sum(floor(conversions * high) - floor(conversions * low)) > 0"
        )
    return parts


def _seed(args: argparse.Namespace, today: dt.datetime) -> dict[str, Any]:
    from django.db import connection
    from django_tenants.utils import schema_context

    from tenants.services import schema_name_for_subdomain

    average = args.clicks / (args.days * args.links * ACTIVE_SHARE)
    first_day = today - dt.timedelta(days=args.days - 1)
    timings: dict[str, Any] = {}
    with schema_context(schema_name_for_subdomain(BRAND)), connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute("SELECT setseed(0.42)")
        cursor.execute(
            "CREATE TEMP TABLE bench_day AS "
            "SELECT bucket, link_id, affiliate_id, program_id, offer_ref, currency, clicks, "
            "floor(clicks * 0.85)::bigint AS unique_clicks, "
            "floor(clicks * 0.03 + random())::bigint AS signups, c AS conversions, "
            "c * 40.00 AS revenue, c * 8.00 AS commissions FROM ("
            " SELECT d AS bucket, l.id AS link_id, l.affiliate_id, l.program_id, l.offer_ref, p.currency,"
            " floor(random() * 2 * %s)::bigint AS clicks, random() AS draw"
            " FROM generate_series(%s::timestamptz, %s::timestamptz, interval '1 day') AS d"
            " CROSS JOIN affiliation_link l JOIN affiliation_program p ON p.id = l.program_id"
            ") AS drawn CROSS JOIN LATERAL (SELECT floor(clicks * 0.02 + random())::bigint AS c) AS sales "
            "WHERE draw < %s AND clicks > 0",
            [average, first_day, today, ACTIVE_SHARE],
        )
        cursor.execute(
            "CREATE TEMP TABLE bench_hour AS "
            "SELECT bucket + make_interval(hours => h) AS bucket, link_id, affiliate_id, program_id, "
            "offer_ref, currency, "
            "floor(clicks * (h + 1) / 24.0) - floor(clicks * h / 24.0) AS clicks, "
            "floor(unique_clicks * (h + 1) / 24.0) - floor(unique_clicks * h / 24.0) AS unique_clicks, "
            "floor(signups * (h + 1) / 24.0) - floor(signups * h / 24.0) AS signups, "
            "floor(conversions * (h + 1) / 24.0) - floor(conversions * h / 24.0) AS conversions, "
            "round(revenue * (h + 1) / 24.0, 2) - round(revenue * h / 24.0, 2) AS revenue, "
            "round(commissions * (h + 1) / 24.0, 2) - round(commissions * h / 24.0, 2) AS commissions "
            "FROM bench_day CROSS JOIN generate_series(0, 23) AS h WHERE bucket >= %s",
            [today - dt.timedelta(days=args.hourly_days - 1)],
        )
        cursor.execute("DELETE FROM bench_hour WHERE clicks = 0 AND conversions = 0 AND signups = 0")
        cursor.execute("SELECT sum(clicks), count(*) FROM bench_day")
        clicks, link_days = cursor.fetchone()
        timings["draw"] = time.perf_counter() - started

        started = time.perf_counter()
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'analytics_rollup' "
            "AND schemaname = current_schema() AND indexname IN ('analytics_rollup_affiliate', "
            "'analytics_rollup_offer')"
        )
        index_definitions = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'analytics_rollup_key' "
            "AND connamespace = current_schema()::regnamespace"
        )
        (unique_definition,) = cursor.fetchone()
        cursor.execute("ALTER TABLE analytics_rollup DROP CONSTRAINT analytics_rollup_key")
        for name in ("analytics_rollup_affiliate", "analytics_rollup_offer"):
            cursor.execute(f"DROP INDEX {name}")
        union = " UNION ALL ".join(
            f"({part})"
            for granularity, source in (("day", "bench_day"), ("hour", "bench_hour"))
            for part in _parts(granularity, source)
        )
        columns = "granularity, bucket, dimension, value, program_id, affiliate_id, offer_ref, currency"
        cursor.execute(
            "INSERT INTO analytics_rollup (granularity, bucket_start, dimension, dimension_value, "
            f"program_id, affiliate_id, offer_ref, currency, {_METRICS}) "
            f"SELECT * FROM ({union}) AS u({columns}, {_METRICS}) "
            "ORDER BY date_trunc('day', bucket), granularity"  # as the drain appends them: by time
        )
        timings["insert"] = time.perf_counter() - started
        started = time.perf_counter()
        cursor.execute(
            f"ALTER TABLE analytics_rollup ADD CONSTRAINT analytics_rollup_key {unique_definition}"
        )
        for definition in index_definitions:
            cursor.execute(definition)
        timings["index"] = time.perf_counter() - started
        started = time.perf_counter()
        cursor.execute("VACUUM ANALYZE analytics_rollup")
        timings["vacuum"] = time.perf_counter() - started
        cursor.execute("SELECT granularity, count(*) FROM analytics_rollup GROUP BY 1")
        timings["rows"] = dict(cursor.fetchall())
        cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('analytics_rollup'))")
        (timings["size"],) = cursor.fetchone()
        timings["clicks"] = int(clicks)
        timings["link_days"] = int(link_days)
    return timings


def _measure(function: Callable[[], Any], repeat: int) -> list[float]:
    for _ in range(2):  # warm-up: plans and caches
        function()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--clicks", type=int, default=10_000_000, help="clicks the rollups hold (default 10M)"
    )
    parser.add_argument("--days", type=int, default=90, help="days of daily rollups (default 90)")
    parser.add_argument("--hourly-days", type=int, default=7, help="of which with hourly rollups (default 7)")
    parser.add_argument("--links", type=int, default=2000, help="links (default 2000)")
    parser.add_argument("--affiliates", type=int, default=400, help="affiliates (default 400)")
    parser.add_argument("--programs", type=int, default=4, help="programs (default 4)")
    parser.add_argument("--offers", type=int, default=50, help="products promoted (default 50)")
    parser.add_argument("--repeat", type=int, default=20, help="runs of each query (default 20)")
    args = parser.parse_args()

    with scratch_database("analytics") as database:
        from django.db import connection
        from django_tenants.utils import schema_context

        from analytics.selectors import AnalyticsFilter, AnalyticsScope, analytics_report, analytics_scope_for
        from tenants.services import schema_name_for_subdomain

        brand_by_clone(BRAND)
        world = _world(args.programs, args.affiliates, args.links, args.offers)
        now = dt.datetime.now(dt.UTC)
        today = now.replace(hour=0, minute=0, second=0, microsecond=0)
        seeded = _seed(args, today)
        rows = seeded["rows"]
        print(
            f"database {database}: {seeded['clicks']:,} clicks over {args.days} days "
            f"({seeded['link_days']:,} link-days), {args.links} links, {args.affiliates} affiliates, "
            f"{args.programs} programs, {args.offers} offers"
        )
        print(
            f"rollup rows: {rows.get('day', 0):,} daily, {rows.get('hour', 0):,} hourly "
            f"(last {args.hourly_days} days); table with indexes {seeded['size']}; seeded in "
            f"{seeded['draw']:.1f} s (draw) + {seeded['insert']:.1f} s (insert) + {seeded['index']:.1f} s "
            f"(indexes) + {seeded['vacuum']:.1f} s (vacuum analyze)"
        )

        schema = schema_name_for_subdomain(BRAND)
        end = today + dt.timedelta(days=1)

        def report(scope: AnalyticsScope, days: int = 30, granularity: str = "day", **filters: Any) -> None:
            start = end - dt.timedelta(days=days)
            analytics_report(
                report_filter=AnalyticsFilter(start=start, end=end, granularity=granularity, **filters),
                scope=scope,
                default_currency="EUR",
                compare_to_previous=True,
            )

        admin = AnalyticsScope(is_brand_admin=True)
        with schema_context(schema):
            affiliate_scope = analytics_scope_for(world["affiliate"].user)
            merchant_scope = analytics_scope_for(world["merchant"])

            def lookup() -> None:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT id, clicks FROM analytics_rollup WHERE id = %s", [12345])
                    cursor.fetchall()

            def count() -> None:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT count(*) FROM analytics_rollup")
                    cursor.fetchall()

            scenarios: list[tuple[str, Callable[[], None]]] = [
                ("brand admin, 30 days by day, vs previous", lambda: report(admin)),
                ("brand admin, 90 days by day, vs previous", lambda: report(admin, days=90)),
                (
                    "brand admin, 7 days by hour, vs previous",
                    lambda: report(admin, days=7, granularity="hour"),
                ),
                ("brand admin, 30 days, country = FR", lambda: report(admin, country="FR")),
                ("brand admin, 30 days, one program", lambda: report(admin, program_id=world["programs"][0])),
                ("affiliate (own traffic), 30 days", lambda: report(affiliate_scope)),
                ("merchant (own offers), 30 days", lambda: report(merchant_scope)),
            ]
            baseline_lookup = _measure(lookup, args.repeat * 5)
            baseline_count = _measure(count, max(5, args.repeat // 2))
            measured = [(name, _measure(function, args.repeat)) for name, function in scenarios]

    lookup_p50 = median(baseline_lookup)
    count_p50 = median(baseline_count)
    table = [
        ["baseline: primary-key lookup", lookup_p50, percentile(baseline_lookup, 0.95), "1.0", "-"],
        [
            "baseline: count(*) of the table",
            count_p50,
            percentile(baseline_count, 0.95),
            f"{count_p50 / lookup_p50:.0f}",
            "1.00",
        ],
    ]
    worst = 0.0
    for name, times in measured:
        p50, p95 = median(times), percentile(times, 0.95)
        worst = max(worst, p50 / count_p50)
        table.append([name, p50, p95, f"{p50 / lookup_p50:.0f}", f"{p50 / count_p50:.2f}"])
    print(
        f"each dashboard: {args.repeat} runs after 2 warm-ups (series, breakdowns, labels, previous period)"
    )
    print_table(["query", "p50 ms", "p95 ms", "p50 / lookup", "p50 / count(*)"], table)
    verdict = "met" if worst <= 1.0 else "NOT met"
    print(
        f"goal: every dashboard's p50 below one count(*) of the rollup table (worst {worst:.2f}): {verdict}"
    )


if __name__ == "__main__":
    main()
