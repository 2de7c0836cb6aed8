"""A local fake of PayPal's Payouts REST API and its webhooks (for tests and ``make run``).

It speaks PayPal's wire format: OAuth2 client credentials (``POST /v1/oauth2/token``), batch
payouts (``POST /v1/payments/payouts``, idempotent on ``sender_batch_id``: a reuse is refused
with ``USER_BUSINESS_ERROR`` and a link to the original batch), ``GET`` of a batch and of an item,
``PAYMENT.PAYOUTS-ITEM.*`` / ``PAYMENT.PAYOUTSBATCH.*`` webhooks with PayPal's
``PAYPAL-TRANSMISSION-*`` headers, and ``POST /v1/notifications/verify-webhook-signature``.

Outcomes are scripted by the receiver's email: one containing ``fail`` fails
(``RECEIVER_UNREGISTERED``), ``unclaimed`` stays unclaimed, ``return`` succeeds then is
returned, ``hold`` is held; any other succeeds.
"""

from paypal_fake.server import FakePayPalServer
from paypal_fake.state import State, outcome_for

__all__ = ["FakePayPalServer", "State", "outcome_for"]
