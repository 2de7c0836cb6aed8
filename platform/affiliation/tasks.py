"""Beat jobs of the affiliate engine. Tasks run in the schema stamped in their headers."""

from __future__ import annotations

import logging

from affiliation.services import commissions_release_due
from config.celery import app
from core.tenancy import current_schema
from tenants.selectors import brand_list

logger = logging.getLogger(__name__)


@app.task
def release_due_commissions_task() -> None:
    """Beat job (public): release commissions past their hold period in every brand."""
    for schema_name in brand_list().values_list("schema_name", flat=True):
        release_brand_commissions_task.apply_async(headers={"_schema_name": schema_name})


@app.task
def release_brand_commissions_task() -> None:
    released = commissions_release_due()
    if released:
        logger.info("released %s commissions in %s", released, current_schema())
