"""Card payments through Stripe Checkout: pending until the session is paid (confirmed) or
given up (failed: expired, cancelled, Stripe unreachable)."""

from __future__ import annotations

from payments.models import PaymentProvider, PaymentStatus
from payments.providers.base import BasePaymentProvider
from payments.stripe_client import stripe_is_configured


class StripeProvider(BasePaymentProvider):
    identifier = PaymentProvider.STRIPE
    verbose_name = "Card (Stripe)"
    unavailable_message = "Card payments are not available."
    refund_supported = True
    transitions = {
        PaymentStatus.PENDING: frozenset({PaymentStatus.CONFIRMED, PaymentStatus.FAILED}),
        PaymentStatus.CONFIRMED: frozenset({PaymentStatus.REFUNDED}),
    }

    def is_available(self) -> bool:
        return stripe_is_configured()
