"""Analytics tasks. They run in the schema stamped in their headers (the brand that enqueued
them) and take ids; each is idempotent (see analytics.services)."""

from __future__ import annotations

import logging
from typing import Any

from django.db import OperationalError

from analytics.services import (
    ClickNotStoredYet,
    analytics_purge,
    conversion_rollup_sync,
    signup_attribute,
)
from config.celery import app
from core.tenancy import current_schema
from tenants.selectors import brand_list

logger = logging.getLogger(__name__)


@app.task(autoretry_for=(OperationalError,), max_retries=5, default_retry_delay=5)
def conversion_rollup_sync_task(conversion_id: int) -> None:
    """Retried when Postgres is unavailable for a moment; a replay adds nothing twice."""
    conversion_rollup_sync(conversion_id=conversion_id)


@app.task(bind=True, max_retries=12, default_retry_delay=5)
def signup_attribute_task(self: Any, user_id: int, click_id: str) -> None:
    """Retried while the click is not in Postgres yet (the drain runs seconds behind)."""
    try:
        signup_attribute(user_id=user_id, click_id=click_id)
    except ClickNotStoredYet as error:
        raise self.retry(exc=error) from error


@app.task
def analytics_purge_task() -> None:
    """Beat job (public): purge expired hourly rollups and day keys in every brand."""
    for schema_name in brand_list().values_list("schema_name", flat=True):
        analytics_brand_purge_task.apply_async(headers={"_schema_name": schema_name})


@app.task
def analytics_brand_purge_task() -> None:
    purged = analytics_purge()
    if any(purged.values()):
        logger.info("analytics purge in %s: %s", current_schema(), purged)
