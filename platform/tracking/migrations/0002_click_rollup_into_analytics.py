"""One click rollup: ``tracking_clickrollup`` (clicks per link per hour) goes; ``analytics_rollup``
(per hour and day, per dimension) is the one source of click counts.

Before the table is dropped, any clicks it counts that ``analytics_rollup`` does not (clicks
drained before the analytics rollup existed, or rows written by hand) are added to the analytics
rows: per (link, UTC day) into the daily rows, and per (link, hour) into the hourly rows of
the hours still kept (``ANALYTICS_HOURLY_RETENTION_DAYS``). A difference is added to every
dimension (``all`` and the link's value; ``""`` for country, device, browser and source, which
the old table did not know) at affiliate level, and to the program-level rows, so that every
dimension still sums to the same totals. Where both agree (every click drained since the
analytics rollup exists), nothing is added. The reverse migration recreates the table empty.
"""

import datetime as dt

from django.conf import settings
from django.db import migrations

_DIFFERENCES = """
WITH t AS (
    SELECT link_id, affiliate_id, program_id,
        date_trunc(%(grain)s, hour AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS bucket,
        sum(clicks) AS clicks, sum(unique_clicks) AS unique_clicks
    FROM tracking_clickrollup
    WHERE hour >= %(since)s
    GROUP BY 1, 2, 3, 4
), a AS (
    SELECT dimension_value::bigint AS link_id, bucket_start AS bucket,
        sum(clicks) AS clicks, sum(unique_clicks) AS unique_clicks
    FROM analytics_rollup
    WHERE granularity = %(granularity)s AND dimension = 'link' AND affiliate_id > 0
        AND dimension_value <> ''
    GROUP BY 1, 2
), d AS (
    SELECT t.link_id, t.affiliate_id, t.program_id, t.bucket, l.offer_ref, p.currency,
        greatest(t.clicks - coalesce(a.clicks, 0), 0) AS clicks,
        greatest(t.unique_clicks - coalesce(a.unique_clicks, 0), 0) AS unique_clicks
    FROM t
    LEFT JOIN a ON a.link_id = t.link_id AND a.bucket = t.bucket
    JOIN affiliation_link l ON l.id = t.link_id
    JOIN affiliation_program p ON p.id = t.program_id
    WHERE t.clicks > coalesce(a.clicks, 0) OR t.unique_clicks > coalesce(a.unique_clicks, 0)
), added AS (
    SELECT d.bucket, dim, CASE WHEN dim = 'link' THEN d.link_id::text ELSE '' END AS value,
        d.program_id, d.affiliate_id, d.offer_ref, d.currency, d.clicks, d.unique_clicks
    FROM d, unnest(ARRAY['all', 'link', 'country', 'device', 'browser', 'source']) AS dim
    UNION ALL
    SELECT d.bucket, dim, '', d.program_id, 0, '', d.currency, d.clicks, d.unique_clicks
    FROM d, unnest(ARRAY['all', 'country', 'device', 'browser', 'source']) AS dim
)
INSERT INTO analytics_rollup AS r (
    granularity, bucket_start, dimension, dimension_value, program_id, affiliate_id, offer_ref,
    currency, clicks, unique_clicks, signups, conversions, revenue, commissions
)
SELECT %(granularity)s, bucket, dim, value, program_id, affiliate_id, offer_ref, min(currency),
    sum(clicks), sum(unique_clicks), 0, 0, 0, 0
FROM added
GROUP BY bucket, dim, value, program_id, affiliate_id, offer_ref
ORDER BY 1, 3, 2, 5, 6, 7, 4
ON CONFLICT (granularity, dimension, bucket_start, program_id, affiliate_id, offer_ref, dimension_value)
DO UPDATE SET clicks = r.clicks + EXCLUDED.clicks, unique_clicks = r.unique_clicks + EXCLUDED.unique_clicks
"""


def _counts_into_analytics(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.schema_name == "public":  # tenant tables only
        return
    hourly_since = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0) - dt.timedelta(
        days=getattr(settings, "ANALYTICS_HOURLY_RETENTION_DAYS", 30)
    )
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(_DIFFERENCES, {"grain": "day", "granularity": "day", "since": dt.datetime(1970, 1, 1, tzinfo=dt.UTC)})
        cursor.execute(_DIFFERENCES, {"grain": "hour", "granularity": "hour", "since": hourly_since})


class Migration(migrations.Migration):
    dependencies = [
        ("tracking", "0001_initial"),
        ("analytics", "0001_initial"),
        ("affiliation", "0002_conversion_merchant_scope"),
    ]

    operations = [
        migrations.RunPython(_counts_into_analytics, migrations.RunPython.noop, elidable=True),
        migrations.DeleteModel(name="ClickRollup"),
    ]
