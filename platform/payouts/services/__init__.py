"""Payout services: withdrawals (request, approve, mark paid, reject) and payout runs."""

from payouts.services.withdrawals import (
    ADMIN_QUEUE_TOPIC,
    TRANSITIONS,
    WITHDRAWAL_EVENT,
    withdrawal_approve,
    withdrawal_mark_paid,
    withdrawal_reject,
    withdrawal_request,
    withdrawal_topic,
)

__all__ = [
    "ADMIN_QUEUE_TOPIC",
    "TRANSITIONS",
    "WITHDRAWAL_EVENT",
    "withdrawal_approve",
    "withdrawal_mark_paid",
    "withdrawal_reject",
    "withdrawal_request",
    "withdrawal_topic",
]
