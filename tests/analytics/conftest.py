"""Fixtures of the analytics tests: committed brands of their own for the click path (the lane
and the drain of tests/tracking, driven in-process), and builders of rollup rows through the
same writer the drain and the services use."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from analytics.models import AnalyticsRollup, Dimension, Granularity
from analytics.rollups import EventValues, RollupBatch, epoch_seconds
from tenants.models import Tenant
from tenants.services import brand_create
from tests.conftest import two_factor_optional
from tests.tracking.conftest import (  # noqa: F401 (fixtures, function-scoped)
    BrandLinks,
    brand_links,
    committed,
    drain,
    drain_factory,
    lane,
    lane_factory,
    prefix,
    tracking_redis,
)

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Mobile/15E148 Safari/604.1"
)
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0"


@pytest.fixture(scope="session")
def analytics_tenants(django_db_setup: Any, django_db_blocker: Any) -> tuple[Tenant, Tenant]:
    """Two committed brands for the click-path tests here (each test brings its own links)."""
    run = os.environ["TEST_RUN_ID"][-6:]
    with django_db_blocker.unblock():
        return two_factor_optional(  # type: ignore[return-value]
            *(
                brand_create(
                    actor=None,
                    name=f"Analytics {letter.upper()}",
                    subdomain=f"ana{run}-{letter}",
                    theme="default",
                    currency="EUR",
                    language="en",
                )
                for letter in ("a", "b")
            )
        )


@pytest.fixture
def click_brands(
    analytics_tenants: tuple[Tenant, Tenant],
    committed: None,  # noqa: F811
    prefix: str,  # noqa: F811
) -> tuple[BrandLinks, BrandLinks]:
    first, second = analytics_tenants
    return brand_links(first), brand_links(second)


def add_events(
    at: dt.datetime,
    values: EventValues,
    **counts: Any,
) -> None:
    """Count events in the current schema with the writers' own ``RollupBatch``."""
    batch = RollupBatch()
    batch.add(
        epoch_seconds(at),
        values,
        **{k: Decimal(v) if k in ("revenue", "commissions") else v for k, v in counts.items()},
    )
    with connection.cursor() as cursor:
        batch.write(cursor)


def rollup_sums(**filters: Any) -> dict[str, Any]:
    """Sums of the rollup rows matching ``filters`` (current schema)."""
    from django.db.models import Sum

    rows = AnalyticsRollup.objects.filter(**filters)
    sums = rows.aggregate(
        clicks=Sum("clicks"),
        unique_clicks=Sum("unique_clicks"),
        signups=Sum("signups"),
        conversions=Sum("conversions"),
        revenue=Sum("revenue"),
        commissions=Sum("commissions"),
    )
    return {
        key: value if value is not None else (Decimal(0) if key in ("revenue", "commissions") else 0)
        for key, value in sums.items()
    }


def by_value(dimension: str, *, granularity: str = Granularity.DAY, **filters: Any) -> dict[str, int]:
    """Clicks per value of one dimension (current schema)."""
    from django.db.models import Sum

    return {
        row["dimension_value"]: row["clicks"]
        for row in AnalyticsRollup.objects.filter(granularity=granularity, dimension=dimension, **filters)
        .values("dimension_value")
        .annotate(clicks=Sum("clicks"))
    }


ALL = Dimension.ALL
