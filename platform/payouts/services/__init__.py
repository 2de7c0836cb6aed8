"""Payout services: withdrawals (request, approve, mark paid, reject), payout runs and Stripe
Connect accounts (``payouts.services.connect``)."""

from payouts.services.runs import (
    payout_item_settle,
    payout_run_create,
    payout_run_send,
    payout_run_sync,
)
from payouts.services.settings import payout_settings_update
from payouts.services.withdrawals import (
    ADMIN_QUEUE_TOPIC,
    TRANSITIONS,
    WITHDRAWAL_EVENT,
    withdrawal_approve,
    withdrawal_hold,
    withdrawal_mark_paid,
    withdrawal_reject,
    withdrawal_release,
    withdrawal_request,
    withdrawal_topic,
)

__all__ = [
    "ADMIN_QUEUE_TOPIC",
    "TRANSITIONS",
    "WITHDRAWAL_EVENT",
    "payout_item_settle",
    "payout_run_create",
    "payout_run_send",
    "payout_run_sync",
    "payout_settings_update",
    "withdrawal_approve",
    "withdrawal_hold",
    "withdrawal_mark_paid",
    "withdrawal_reject",
    "withdrawal_release",
    "withdrawal_request",
    "withdrawal_topic",
]
