"""The cost of a no-op ``migrate_schemas --tenant`` per schema, at 10, 100 (and 1,000) brands.

A measurement, not a test, on a scratch database (see _common.py). Brands are cloned from the
template (tenants.services.brand_create) up to each size; the first table says what a clone
cost at that size.

At each size a no-op ``migrate_schemas --tenant`` (the brands plus the template, every
migration applied) is timed, median of ``--repeat`` runs: the platform's executor
(tenants.migration_executor: schemas that have every migration are passed over), and as the
baseline django-tenants' own executors, standard (one schema after the other) and
multiprocessing (a pool of forked workers), and its ``--check`` (the plan only, without the
post_migrate handlers). The last line extrapolates each to 1,000 brands (goal: the platform's
under 2 minutes).

    python bench/migrate_schemas.py [--max 100|1000] [--repeat 3] [--processes 2,4]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial

from _common import brand_by_clone, median, print_table, scratch_database, timed_ms

SIZES = (10, 100, 1000)
LAST = 5  # clone times reported per size: the median of the last LAST brands created


@dataclass(frozen=True)
class Variant:
    """One way of running ``migrate_schemas --tenant``."""

    label: str
    executor: str = "standard"
    processes: int = 1
    check: bool = False  # --check: plan only, stops before the post_migrate handlers
    platform: bool = False  # the platform's executor, else django-tenants' own

    def run(self) -> None:
        from django.core.management import call_command
        from django.test import override_settings

        with (
            override_settings(TENANT_MULTIPROCESSING_MAX_PROCESSES=self.processes),
            pools_closed(),
            executor_of(self.platform),
        ):
            call_command(
                "migrate_schemas",
                tenant=True,
                executor=self.executor,
                check_unapplied=self.check,
                interactive=False,
                verbosity=0,
            )


@contextmanager
def executor_of(platform: bool) -> Iterator[None]:
    """migrate_schemas with the platform's executor (settings) or django-tenants' own."""
    from django_tenants.management.commands import migrate_schemas
    from django_tenants.migration_executors import get_executor

    from tenants.migration_executor import get_executor as platform_executor

    chosen = migrate_schemas.GET_EXECUTOR_FUNCTION
    migrate_schemas.GET_EXECUTOR_FUNCTION = platform_executor if platform else get_executor
    try:
        yield
    finally:
        migrate_schemas.GET_EXECUTOR_FUNCTION = chosen


@contextmanager
def pools_closed() -> Iterator[None]:
    """Close and join the pools django-tenants' multiprocessing executor opens.

    It leaves its ``multiprocessing.Pool`` to the garbage collector, which the Python docs
    warn may hang in the pool's finalizer: here it once blocked for good on an idle worker.
    """
    from multiprocessing.pool import Pool

    from django_tenants.migration_executors import multiproc

    opened: list[Pool] = []
    get_pool = multiproc.get_pool

    def tracked() -> Pool:
        opened.append(get_pool())
        return opened[-1]

    multiproc.get_pool = tracked
    try:
        yield
    finally:
        multiproc.get_pool = get_pool
        for pool in opened:
            pool.close()
            pool.join()


def tenant_schema_count() -> int:
    from django_tenants.utils import get_public_schema_name

    from tenants.models import Tenant

    return Tenant.objects.exclude(schema_name=get_public_schema_name()).count()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--max", type=int, default=100, choices=SIZES, help="largest size measured (default 100)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per executor and size (default 3)")
    parser.add_argument(
        "--processes",
        default="2,4",
        help="comma-separated pool sizes for the multiprocessing executor (default 2,4)",
    )
    args = parser.parse_args()
    variants = [
        Variant("platform (skips migrated schemas)", platform=True),
        Variant("django-tenants standard"),
        *(
            Variant(f"django-tenants multiprocessing x{n}", "multiprocessing", int(n))
            for n in args.processes.split(",")
        ),
        Variant("django-tenants standard --check", check=True),
    ]

    with scratch_database("migrate") as database:
        print(f"database {database}; no-op migrate_schemas --tenant, median of {args.repeat} runs")
        created = 0
        provisioned: list[list[object]] = []
        results: dict[Variant, list[tuple[int, float]]] = {variant: [] for variant in variants}
        for size in (size for size in SIZES if size <= args.max):
            started = time.perf_counter()
            brand_ms = [timed_ms(partial(brand_by_clone, f"bench-{n:04d}")) for n in range(created, size)]
            elapsed = time.perf_counter() - started
            created = size
            provisioned.append([created, len(brand_ms), elapsed, median(brand_ms[-LAST:])])
            print(f"  {created} brands ({elapsed:.1f} s to clone {len(brand_ms)} more)", flush=True)
            if size == SIZES[0]:
                variants[0].run()  # warm-up, not measured: migration modules imported
            schemas = tenant_schema_count()
            for variant in variants:
                runs = [timed_ms(variant.run) for _ in range(args.repeat)]
                results[variant].append((schemas, median(runs)))

        print("\ncloning brands (tenants.services.brand_create) as they pile up")
        print_table(["brands", "cloned", "seconds", f"last {LAST} median ms"], provisioned)
        print("\nno-op migrate_schemas --tenant (schemas = brands + template)")
        rows: list[list[object]] = []
        for variant, points in results.items():
            previous: tuple[int, float] | None = None
            for schemas, total in points:
                marginal = "" if previous is None else (total - previous[1]) / (schemas - previous[0])
                rows.append([variant.label, schemas, total, total / schemas, marginal])
                previous = (schemas, total)
        print_table(["run", "schemas", "total ms", "ms/schema", "marginal ms/schema"], rows)
        print("\nextrapolated to 1,000 brands (1,001 schemas) from the largest size measured")
        baseline = results[variants[1]][-1]
        projected: list[list[object]] = []
        for variant, points in results.items():
            schemas, total = points[-1]
            seconds = total / schemas * 1001 / 1000
            projected.append([variant.label, seconds, baseline[1] / total])
        print_table(["run", "seconds", "x faster than django-tenants standard"], projected)
        platform_seconds = float(projected[0][1])  # type: ignore[arg-type]
        verdict = "met" if platform_seconds <= 120 else "NOT met"
        print(f"goal: no-op migrate_schemas for 1,000 brands <= 120 s: {platform_seconds:.1f} s, {verdict}")


if __name__ == "__main__":
    main()
