"""Housekeeping: hourly rollups past their retention and past days' visitor and session keys go;
daily rollups stay."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from analytics.models import AnalyticsRollup, Granularity, PageSessionKey, PageVisitorKey
from analytics.rollups import EventValues
from analytics.services import analytics_purge
from tests.analytics.conftest import add_events


def test_old_hourly_rows_and_day_keys_are_purged(brand_a, settings):
    settings.ANALYTICS_HOURLY_RETENTION_DAYS = 30
    now = timezone.now()
    values = EventValues(program_id=1, affiliate_id=1, offer_ref="", currency="EUR")
    with tenant_context(brand_a):
        add_events(now - dt.timedelta(days=31), values, clicks=2)
        add_events(now - dt.timedelta(days=2), values, clicks=3)
        with connection.cursor() as cursor:
            for day in (now.date(), now.date() - dt.timedelta(days=3)):
                cursor.execute(
                    "INSERT INTO analytics_page_visitor (day, visitor_hash) VALUES (%s, %s)", [day, "v" * 32]
                )
                cursor.execute(
                    "INSERT INTO analytics_page_session (day, session_hash) VALUES (%s, %s)", [day, "s" * 32]
                )

        purged = analytics_purge(now=now)

        assert purged["visitor_keys"] == 1
        assert purged["session_keys"] == 1
        assert purged["hourly_rollups"] > 0
        hourly = AnalyticsRollup.objects.filter(granularity=Granularity.HOUR)
        assert sum(row.clicks for row in hourly.filter(dimension="all", affiliate_id=0)) == 3
        daily = AnalyticsRollup.objects.filter(granularity=Granularity.DAY, dimension="all", affiliate_id=0)
        assert sum(row.clicks for row in daily) == 5
        assert list(PageVisitorKey.objects.values_list("day", flat=True)) == [now.date()]
        assert list(PageSessionKey.objects.values_list("day", flat=True)) == [now.date()]
