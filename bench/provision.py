"""Provisioning a brand: clone of the template schema against replaying the migrations.

A measurement, not a test: it prints both paths' per-brand times, their ratio and whether
the goals hold (a new brand in <= 0.5 s, and <= 0.3 x the migration path), and exits 0
either way. Runs on a scratch database (see _common.py); the two paths alternate so that
a drift of the machine weighs on both alike, and each path's first brand (cold caches) is
reported apart from the statistics.

    python bench/provision.py [--count 5] [--existing 0]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from functools import partial

from _common import (
    brand_by_clone,
    brand_by_migrations,
    median,
    percentile,
    print_table,
    scratch_database,
    timed_ms,
)

GOAL_CLONE_MS = 500.0
GOAL_RATIO = 0.3


PATHS: dict[str, tuple[str, Callable[[str], None]]] = {
    "clone": ("c", brand_by_clone),
    "migrations": ("m", brand_by_migrations),
}


def _verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=5, help="brands measured per path (default 5)")
    parser.add_argument(
        "--existing",
        type=int,
        default=0,
        help="brands cloned beforehand, not measured: provisioning cost at that size (default 0)",
    )
    args = parser.parse_args()

    with scratch_database("provision") as database:
        from tenants.models import Tenant, TenantKind

        if args.existing:
            fill_ms = sum(timed_ms(partial(brand_by_clone, f"bench-e-{i:04d}")) for i in range(args.existing))
            print(f"{args.existing} existing brands cloned beforehand in {fill_ms / 1000:.1f} s")
        first: dict[str, float] = {}
        times: dict[str, list[float]] = {path: [] for path in PATHS}
        for i in range(args.count + 1):  # round 0 warms each path up and is reported apart
            for path, (letter, provision) in PATHS.items():
                elapsed = timed_ms(partial(provision, f"bench-{letter}-{i:03d}"))
                if i == 0:
                    first[path] = elapsed
                else:
                    times[path].append(elapsed)
        brands = Tenant.objects.filter(kind=TenantKind.BRAND).count()

        print(f"database {database}: {brands} brands; per brand, first brand of each path excluded")
        print_table(
            ["path", "brands", "first ms", "median ms", "p90 ms", "min ms", "max ms"],
            [
                [path, len(ms), first[path], median(ms), percentile(ms, 0.9), min(ms), max(ms)]
                for path, ms in times.items()
            ],
        )
        clone_p90 = percentile(times["clone"], 0.9)
        ratio = median(times["clone"]) / median(times["migrations"])
        print(f"ratio clone/migrations (medians): {ratio:.2f}x")
        print(f"goal: clone p90 <= {GOAL_CLONE_MS:.0f} ms: {_verdict(clone_p90 <= GOAL_CLONE_MS)}")
        print(f"goal: clone <= {GOAL_RATIO}x migrations: {_verdict(ratio <= GOAL_RATIO)}")


if __name__ == "__main__":
    main()
