"""Billing tasks. Each runs in the schema stamped in its headers (or fans out per brand)."""

from __future__ import annotations

import logging

from config.celery import app
from core.tenancy import current_schema
from tenants.selectors import brand_list

logger = logging.getLogger(__name__)


@app.task
def plan_grace_expire_task() -> None:
    """Beat job (public): downgrade, in every brand, the merchants whose grace period after a
    failed plan payment ran out (billing.services.lifecycle)."""
    for schema_name in brand_list().values_list("schema_name", flat=True):
        brand_plan_grace_expire_task.apply_async(headers={"_schema_name": schema_name})


@app.task
def brand_plan_grace_expire_task() -> None:
    from billing.services.lifecycle import plan_grace_expire

    downgraded = plan_grace_expire()
    if downgraded:
        logger.info("downgraded %s merchants whose grace period ran out in %s", downgraded, current_schema())
