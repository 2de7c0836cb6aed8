"""The cost of a no-op ``migrate_schemas --tenant`` per schema, at 10, 100 (and 1,000) brands.

A measurement, not a test. On a scratch database (see _common.py) brands are cloned from the
template with tenants.services.brand_create up to each size; at each size a no-op
``migrate_schemas --tenant`` (every migration already applied) is timed with django-tenants'
standard executor (one schema after the other) and its multiprocessing executor (a pool of
``TENANT_MULTIPROCESSING_MAX_PROCESSES`` forked workers), the median of ``--repeat`` runs.
The schemas migrated are the brands plus the template. Also prints what cloning costs as the
brands pile up (the last brands created at each size).

A last row times ``--check`` (the plan only: the same per-schema connection and migration
graph, without the post_migrate handlers that recreate content types and permissions).

    python bench/migrate_schemas.py [--max 100] [--repeat 3] [--processes 2,4]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from functools import partial

from _common import median, print_table, scratch_database, timed_ms

SIZES = (10, 100, 1000)
LAST = 5  # clone times reported per size: the last LAST brands created


@dataclass(frozen=True)
class Variant:
    """One way of running ``migrate_schemas --tenant``."""

    label: str
    executor: str = "standard"
    processes: int = 1
    check: bool = False  # --check: plan only, stops before the post_migrate handlers

    def run(self) -> None:
        from django.core.management import call_command
        from django.test import override_settings

        with override_settings(TENANT_MULTIPROCESSING_MAX_PROCESSES=self.processes):
            call_command(
                "migrate_schemas",
                tenant=True,
                executor=self.executor,
                check_unapplied=self.check,
                interactive=False,
                verbosity=0,
            )


def clone_brand(number: int) -> None:
    from tenants.services import brand_create

    subdomain = f"bench-{number:04d}"
    brand_create(
        actor=None, name=subdomain, subdomain=subdomain, theme="default", currency="USD", language="en"
    )


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
        default="2",
        help="comma-separated pool sizes for the multiprocessing executor (default 2, the setting)",
    )
    args = parser.parse_args()
    variants = [
        Variant("standard"),
        *(Variant(f"multiprocessing x{n}", "multiprocessing", int(n)) for n in args.processes.split(",")),
        Variant("standard --check", check=True),
    ]

    with scratch_database("migrate") as database:
        print(f"database {database}; no-op migrate_schemas --tenant, median of {args.repeat} runs")
        created = 0
        clones: list[list[object]] = []
        results: dict[Variant, list[tuple[int, float]]] = {variant: [] for variant in variants}
        for size in (size for size in SIZES if size <= args.max):
            started = time.perf_counter()
            clone_ms = [timed_ms(partial(clone_brand, number)) for number in range(created, size)]
            elapsed = time.perf_counter() - started
            created = size
            clones.append([str(created), len(clone_ms), elapsed, median(clone_ms[-LAST:])])
            print(f"  {created} brands ({elapsed:.1f} s to clone {len(clone_ms)} more)", flush=True)
            if size == SIZES[0]:
                variants[0].run()  # warm-up, not measured: migration modules imported
            schemas = tenant_schema_count()
            for variant in variants:
                runs = [timed_ms(variant.run) for _ in range(args.repeat)]
                results[variant].append((schemas, median(runs)))

        print("\ncloning as brands pile up (tenants.services.brand_create)")
        print_table(["brands", "cloned", "seconds", f"last {LAST} median ms"], clones)
        print("\nno-op migrate_schemas --tenant (schemas = brands + template)")
        rows: list[list[object]] = []
        for variant, points in results.items():
            previous: tuple[int, float] | None = None
            for schemas, total in points:
                marginal = "" if previous is None else (total - previous[1]) / (schemas - previous[0])
                rows.append([variant.label, schemas, total, total / schemas, marginal])
                previous = (schemas, total)
        print_table(["run", "schemas", "total ms", "ms/schema", "marginal ms/schema"], rows)


if __name__ == "__main__":
    main()
