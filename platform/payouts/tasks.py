"""Payout notifications by email (Celery, in the brand's schema, idempotent per status)."""

from __future__ import annotations

from django.core.cache import cache

from config.celery import app
from core.emails import send_brand_email
from core.tenancy import tenant_connection
from payouts.models import WithdrawalRequest

SUBJECTS = {
    "requested": "We received your withdrawal request",
    "approved": "Your withdrawal was approved",
    "paid": "Your withdrawal was paid",
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
