"""Analytics' part of every batch of clicks the drain stores (``tracking.recording``): in the
drain's transaction, the clicks into ``analytics_rollup`` (the one click rollup: hour and day,
per dimension, affiliate and program level), the per-click commissions they earn
(``affiliation``, idempotent by the batch key) and those amounts into the rollup too.

Returns what it added as live delta rows (``core.live``): the drain ticks them to the
affiliates' and programs' groups once committed, so no subscriber has to re-read anything.
Registered by ``AnalyticsConfig.ready``.
"""

from __future__ import annotations

from affiliation.services import click_commissions_accrue
from analytics.rollups import ClickAnalytics
from core.live import DeltaRow
from core.tenancy import tenant_connection
from tracking.recording import ClickBatch


def click_batch_record(batch: ClickBatch) -> list[DeltaRow]:
    """Count ``batch`` (fresh clicks, in the drain's transaction); the delta rows it added."""
    analytics = ClickAnalytics(batch.links, batch.combos)
    clicks = analytics.click_rows()
    clicks.write(batch.cursor, binary=True)
    rows = clicks.delta_rows()
    unique_clicks = {key: count for key, count in batch.unique_clicks.items() if count}
    if unique_clicks:
        paid = click_commissions_accrue(batch_key=batch.batch_key, unique_clicks=unique_clicks)
        if paid:
            earned = analytics.commission_rows(paid)
            with tenant_connection().cursor() as cursor:
                earned.write(cursor)
            rows.extend(earned.delta_rows())
    return rows
