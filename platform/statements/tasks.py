"""Beat job: on the 1st of each month, last month's statements in every brand, then emailed."""

from __future__ import annotations

import logging

from django.utils import timezone

from config.celery import app
from core.tenancy import current_schema
from statements.figures import previous_month
from statements.services import statement_email, statements_generate_month
from tenants.selectors import brand_list

logger = logging.getLogger(__name__)


@app.task
def monthly_statements_task() -> None:
    """Beat job (public): last month's statements in every brand."""
    for schema_name in brand_list().values_list("schema_name", flat=True):
        brand_monthly_statements_task.apply_async(headers={"_schema_name": schema_name})


@app.task
def brand_monthly_statements_task(period: str | None = None) -> int:
    """Generate the month's statements (those already made are kept) and email each one not
    emailed yet. Safe to run again: it makes no duplicate and sends only what failed before."""
    from statements.services import parse_period

    month = parse_period(period) if period else previous_month(timezone.now().date())
    statements = statements_generate_month(period=month)
    failed = 0
    for statement in statements:
        if statement.emailed_at is not None:
            continue
        try:
            statement_email(statement_id=statement.pk)
        except OSError:
            failed += 1
            logger.warning("statement %s not emailed (the next run retries)", statement.pk, exc_info=True)
    logger.info(
        "statements of %s in %s: %s (%s not emailed)", month, current_schema(), len(statements), failed
    )
    return len(statements)
