"""Marketplace tasks. Each runs in the schema stamped in its headers (or fans out per brand)."""

from __future__ import annotations

import logging

from config.celery import app
from core.tenancy import current_schema
from marketplace.models import Order
from marketplace.services.orders import ClickNotYetRecordedError, order_conversions_record
from tenants.selectors import brand_list

logger = logging.getLogger(__name__)


@app.task
def expire_reservations_task() -> None:
    """Beat job (public): cancel the unpaid orders whose reservation ran out, in every brand."""
    for schema_name in brand_list().values_list("schema_name", flat=True):
        expire_brand_reservations_task.apply_async(headers={"_schema_name": schema_name})


@app.task
def expire_brand_reservations_task() -> None:
    from marketplace.services.checkout import order_reservations_expire

    cancelled = order_reservations_expire()
    if cancelled:
        logger.info("cancelled %s expired orders in %s", cancelled, current_schema())


@app.task(
    autoretry_for=(ClickNotYetRecordedError,),
    max_retries=6,
    retry_backoff=5,
    retry_backoff_max=600,
    retry_jitter=False,
)
def order_conversions_task(order_id: int) -> None:
    """Record a paid order's conversions once its click has reached Postgres (the drain moves
    clicks from the redirect lane's stream within seconds). Idempotent per order line."""
    order = Order.objects.filter(pk=order_id, paid_at__isnull=False).first()
    if order is not None:
        order_conversions_record(order)


@app.task(autoretry_for=(OSError,), max_retries=5, retry_backoff=True)
def product_image_process_task(image_id: int) -> None:
    """Decode, clean and thumbnail an uploaded image (pending -> ready or failed), out of the web
    request: decoding a large image takes seconds and hundreds of MB. Idempotent; a storage error
    (OSError) is retried, the image staying pending."""
    from marketplace.services.images import product_image_process

    product_image_process(image_id=image_id)
