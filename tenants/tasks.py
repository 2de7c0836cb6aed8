"""Beat jobs over every schema (public and each brand's)."""

from __future__ import annotations

import logging

from config.celery import app
from core.events import outbox_sweep
from core.tenancy import current_schema
from tenants.selectors import brand_list

logger = logging.getLogger(__name__)


@app.task
def outbox_sweep_task() -> None:
    """Beat job (public): re-dispatch due domain events in the public schema and every brand."""
    outbox_sweep_schema_task()
    for schema_name in brand_list().values_list("schema_name", flat=True):
        outbox_sweep_schema_task.apply_async(headers={"_schema_name": schema_name})


@app.task
def outbox_sweep_schema_task() -> None:
    dispatched = outbox_sweep()
    if dispatched:
        logger.info("re-dispatched %s events in %s", dispatched, current_schema())
