"""PayPal's webhooks: one endpoint for the platform's PayPal app (``/paypal/webhook/`` on the
root domain), routed to the brand by the reference the event carries.

A delivery is verified by PayPal itself (``POST /v1/notifications/verify-webhook-signature``
with the ``PAYPAL-TRANSMISSION-*`` headers, ``PAYPAL-CERT-URL``, ``PAYPAL-AUTH-ALGO``, our
``PAYPAL_WEBHOOK_ID`` and the event; ``verification_status`` must be ``SUCCESS``), then:

- ``PAYMENT.PAYOUTS-ITEM.*``: the item's ``sender_item_id`` ("<schema>.w<id>") names the brand
  and the withdrawal → ``payout_item_settle`` in that brand's schema;
- ``PAYMENT.PAYOUTSBATCH.*``: the batch's ``sender_batch_id`` ("<schema>.run<id>") names the
  brand and run → the batch is read back and every item settled (catches lost item events).

Settling is idempotent per outcome and a failure is final, so duplicated and reordered
deliveries have one effect (a FAILED/RETURNED after SUCCEEDED returns the money once).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from core.tenancy import call_in_public, call_in_tenant
from payouts.models import PayoutRun, PayoutRunStatus
from payouts.providers.paypal import PayPalUnavailable, item_outcome, verify_webhook_signature
from payouts.services.runs import (
    PayoutReferenceError,
    parse_item_reference,
    payout_item_settle,
    payout_run_sync,
)
from tenants.models import Tenant, TenantKind

logger = logging.getLogger("payouts.webhooks")


class PayPalWebhookRejected(Exception):
    """Not a genuine PayPal delivery (answer 400)."""


class PayPalRetryLater(Exception):
    """Could not be applied now (answer 503: PayPal retries)."""


def _brand(schema_name: str) -> Tenant | None:
    return Tenant.objects.filter(kind=TenantKind.BRAND, schema_name=schema_name).first()


def _sync_run(batch_reference: str) -> str:
    run = PayoutRun.objects.filter(batch_reference=batch_reference).first()
    if run is None:
        return "unknown"
    if run.status in (PayoutRunStatus.SENDING, PayoutRunStatus.REFUSED):
        return "ignored"
    payout_run_sync(run=run)
    return "synced"


def paypal_webhook_receive(body: bytes, headers: Mapping[str, str]) -> str:
    """Verify, route and apply one delivery; the outcome's name (for logs and the answer)."""
    try:
        event: Any = json.loads(body)
    except ValueError as error:
        raise PayPalWebhookRejected("not JSON") from error
    if not isinstance(event, dict) or not event.get("event_type"):
        raise PayPalWebhookRejected("not an event")
    try:
        genuine = verify_webhook_signature(headers, event)
    except PayPalUnavailable as error:
        raise PayPalRetryLater(str(error)) from error
    if not genuine:
        raise PayPalWebhookRejected("signature not verified")
    event_type = str(event["event_type"])
    event_id = str(event.get("id", ""))[:100]
    if event_type.startswith("PAYMENT.PAYOUTS-ITEM."):
        outcome = item_outcome(event)
        if outcome is None:
            return "ignored"
        try:
            schema, _ = parse_item_reference(outcome.reference)
        except PayoutReferenceError:
            return "unrouted"
        tenant = call_in_public(_brand, schema)
        if tenant is None:
            logger.warning("paypal webhook %s: %s belongs to no brand", event_id, outcome.reference)
            return "unrouted"
        try:
            call_in_tenant(
                tenant,
                payout_item_settle,
                reference=outcome.reference,
                status=outcome.status,
                remote_id=outcome.remote_id,
                error=outcome.error,
                event_id=event_id,
            )
        except PayoutReferenceError:
            logger.warning("paypal webhook %s: no payout item %s", event_id, outcome.reference)
            return "unknown"
        return "applied"
    if event_type.startswith("PAYMENT.PAYOUTSBATCH."):
        resource = event.get("resource") or {}
        header = resource.get("batch_header") or {}
        reference = str((header.get("sender_batch_header") or {}).get("sender_batch_id", ""))
        schema, separator, _ = reference.rpartition(".run")
        tenant = call_in_public(_brand, schema) if separator else None
        if tenant is None:
            return "unrouted"
        if event_type.endswith((".PROCESSING", ".PENDING")):
            return "ignored"
        try:
            return str(call_in_tenant(tenant, _sync_run, reference))
        except PayPalUnavailable as error:
            raise PayPalRetryLater(str(error)) from error
    return "ignored"
