"""The notification centre listens to the domain events (imported by the app's ``ready``).

After-commit subscribers, dispatched at least once from the outbox: ``notify_event`` is
idempotent on the event's id (one notification per user per event, one send per method).
"""

from __future__ import annotations

from decimal import Decimal

from accounts.selectors import user_contacts
from affiliation.selectors import affiliate_user_ids
from core.events import Event, subscriber
from core.money import quantize
from notifications.centre import notify_event
from notifications.kinds import KINDS
from notifications.models import NotificationEvent
from notifications.services import notify_brand


@subscriber(*KINDS)
def notify_users(event: Event) -> None:
    notify_event(event)


@subscriber("withdrawal.requested")
def alert_brand_channels_of_withdrawal(event: Event) -> None:
    """The brand admins' messaging channels subscribed to withdrawal requests (the alert the
    payouts service used to send itself)."""
    payload = event.payload
    affiliate_id = int(payload["affiliate_id"])
    user_id = affiliate_user_ids([affiliate_id]).get(affiliate_id)
    email = user_contacts([user_id])[user_id][0] if user_id is not None else f"affiliate {affiliate_id}"
    currency = payload["currency"]
    amount = quantize(Decimal(payload["amount"]), currency)
    notify_brand(
        NotificationEvent.WITHDRAWAL_REQUESTED,
        f"Withdrawal requested: {amount} {currency} by {email} ({payload['method']}).",
    )
