"""Webhook deliveries by Celery, in the schema of the brand that queued them (tasks take ids)."""

from __future__ import annotations

import logging

from django.core.cache import cache

from config.celery import app
from core.emails import send_brand_email
from core.tenancy import current_schema, tenant_connection
from tenants.selectors import brand_base_url, brand_list
from webhooks import selectors, services
from webhooks.models import AttemptTrigger, WebhookEndpoint

logger = logging.getLogger(__name__)


@app.task
def webhook_delivery_task(delivery_id: int, trigger: str = AttemptTrigger.AUTOMATIC) -> None:
    """One attempt of one delivery, if it is still due (a duplicate task does nothing)."""
    services.delivery_attempt(delivery_id=delivery_id, trigger=trigger)


@app.task
def webhook_retry_sweep_task() -> None:
    """Beat job (public): queue the due retries of every brand, in its own schema."""
    for schema_name in brand_list().values_list("schema_name", flat=True):
        webhook_retry_sweep_schema_task.apply_async(headers={"_schema_name": schema_name})


@app.task
def webhook_retry_sweep_schema_task() -> None:
    due = services.deliveries_due()
    for delivery_id in due:
        webhook_delivery_task.apply_async(args=(delivery_id,), headers={"_schema_name": current_schema()})
    purged = services.deliveries_purge()
    if due or purged:
        logger.info(
            "webhooks in %s: %s retries queued, %s old deliveries purged", current_schema(), len(due), purged
        )


@app.task(autoretry_for=(OSError,), max_retries=5, retry_backoff=True)
def webhook_endpoint_disabled_email_task(endpoint_id: int) -> None:
    """Tell the brand's admins that an endpoint was disabled after failing, once per disabling."""
    endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id, is_enabled=False).first()
    if endpoint is None or endpoint.disabled_at is None:
        return
    recipients = selectors.brand_admin_emails()
    if not recipients:
        return
    sent_key = f"webhook-disabled-email:{endpoint.pk}:{endpoint.disabled_at.timestamp()}"
    if not cache.add(sent_key, 1, timeout=7 * 24 * 3600):
        return
    tenant = tenant_connection().tenant
    page = f"{brand_base_url(tenant)}/admin/webhooks"
    text = (
        f"The webhook endpoint {endpoint.url} of {tenant.name} was disabled: nothing sent to it "
        f"has been delivered since {endpoint.failing_since or endpoint.disabled_at:%Y-%m-%d %H:%M} UTC.\n\n"
        "Its deliveries stopped. Fix the receiver, then enable the endpoint again and replay "
        "the deliveries you need from its delivery log.\n\n"
        f"{page}"
    )
    try:
        send_brand_email(
            to=recipients,
            subject=f"Webhook endpoint disabled ({tenant.name})",
            text=text,
            html_body_context={"action_url": page, "action_label": "Open the webhooks page"},
        )
    except OSError:
        cache.delete(sent_key)
        raise
