"""Beat jobs over every schema (public and each brand's)."""

from __future__ import annotations

import logging

from config.celery import app
from core.events import outbox_sweep
from core.tenancy import current_schema
from tenants.custom_domains import custom_domain_check, custom_domains_due, custom_domains_expire
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


@app.task
def custom_domains_recheck_task() -> None:
    """Beat job (public): pending custom domains past their deadline fail; the others whose last
    check is old enough are checked again, one task each (a check may wait seconds on DNS)."""
    expired = custom_domains_expire()
    if expired:
        logger.info("%s custom domains expired unverified", expired)
    for custom_domain_id in custom_domains_due():
        custom_domain_check_task.delay(custom_domain_id)


@app.task
def custom_domain_check_task(custom_domain_id: int) -> None:
    """Check one pending custom domain (public-schema row; the task is idempotent)."""
    custom_domain_check(custom_domain_id=custom_domain_id)
