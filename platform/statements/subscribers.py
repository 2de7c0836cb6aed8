"""Statements listen to payouts: a paid withdrawal of a business affiliate gets its
self-billing invoice (when the brand enables it). Idempotent per withdrawal."""

from __future__ import annotations

from core.events import Event, subscriber
from statements.services import self_billing_issue


@subscriber("withdrawal.paid")
def issue_self_billing_invoice(event: Event) -> None:
    self_billing_issue(withdrawal_id=int(event.payload["withdrawal_id"]))
