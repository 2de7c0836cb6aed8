"""Payout notifications by email (Celery, in the brand's schema, idempotent per status)."""

from __future__ import annotations

import logging

from django.core.cache import cache

from config.celery import app
from core.emails import send_brand_email
from core.tenancy import current_schema, tenant_connection
from payouts.models import WithdrawalRequest
from payouts.services.runs import payout_runs_resume
from tenants.selectors import brand_list

logger = logging.getLogger("payouts.runs")

SUBJECTS = {
    "requested": "We received your withdrawal request",
    "approved": "Your withdrawal was approved",
    "processing": "Your withdrawal is on its way",
    "paid": "Your withdrawal was paid",
    "failed": "Your withdrawal could not be paid",
    "rejected": "Your withdrawal was rejected",
}


@app.task(autoretry_for=(OSError,), max_retries=5, retry_backoff=True)
def withdrawal_status_email_task(withdrawal_id: int) -> None:
    """Email the affiliate the withdrawal's current status, once per status."""
    withdrawal = WithdrawalRequest.objects.select_related("affiliate__user").filter(pk=withdrawal_id).first()
    if withdrawal is None:
        return
    sent_key = f"withdrawal-email:{withdrawal.pk}:{withdrawal.status}"
    if not cache.add(sent_key, 1, timeout=7 * 24 * 3600):
        return
    brand = tenant_connection().tenant.name
    amount = f"{withdrawal.amount} {withdrawal.currency}"
    lines = [f"Hello,\n\nYour withdrawal of {amount} from {brand} is now {withdrawal.status}."]
    if withdrawal.rejection_reason:
        lines.append(f"Reason: {withdrawal.rejection_reason}")
    if withdrawal.failure_reason and withdrawal.status == "failed":
        lines.append(f"Reason: {withdrawal.failure_reason}\n\nThe amount is available again in your wallet.")
    if withdrawal.payment_reference:
        lines.append(f"Payment reference: {withdrawal.payment_reference}")
    try:
        send_brand_email(
            to=[withdrawal.affiliate.user.email],
            subject=f"{SUBJECTS.get(withdrawal.status, 'Withdrawal update')} ({brand})",
            text="\n\n".join(lines) + "\n",
        )
    except OSError:
        cache.delete(sent_key)  # let the retry send it
        raise


@app.task
def payout_runs_resume_task() -> None:
    """Beat job (public): in every brand, send again the payout runs a crash or an unreachable
    provider left ``sending`` (idempotent: the provider answers the batch it already made)."""
    for schema_name in brand_list().values_list("schema_name", flat=True):
        payout_runs_resume_brand_task.apply_async(headers={"_schema_name": schema_name})


@app.task
def payout_runs_resume_brand_task() -> None:
    resumed = payout_runs_resume()
    if resumed:
        logger.info("sent %s payout runs again in %s", resumed, current_schema())
