"""KYC beat jobs, fanned out to every brand like the others (each brand's task runs in the
schema stamped in its headers)."""

from __future__ import annotations

import logging

from django.conf import settings

from config.celery import app
from core.tenancy import current_schema
from kyc.services import kyc_expiry_sweep, kyc_retention_purge
from tenants.selectors import brand_list

logger = logging.getLogger(__name__)


@app.task
def kyc_expiry_task() -> None:
    """Beat job (public): the expiry watcher in every brand."""
    for schema_name in brand_list().values_list("schema_name", flat=True):
        kyc_brand_expiry_task.apply_async(headers={"_schema_name": schema_name})


@app.task
def kyc_brand_expiry_task() -> None:
    counts = kyc_expiry_sweep(warning_days=settings.KYC_EXPIRY_WARNING_DAYS)
    if any(counts.values()):
        logger.info("kyc expiry in %s: %s", current_schema(), counts)


@app.task
def kyc_retention_task() -> None:
    """Beat job (public): delete the documents of accounts closed past the brand's retention."""
    for schema_name in brand_list().values_list("schema_name", flat=True):
        kyc_brand_retention_task.apply_async(headers={"_schema_name": schema_name})


@app.task
def kyc_brand_retention_task() -> None:
    deleted = kyc_retention_purge()
    if deleted:
        logger.info("kyc retention in %s: %s documents deleted", current_schema(), deleted)
