"""Nothing to pay (an order of deals at 0, a free plan): the payment is confirmed at once, so
that what was "bought" still gets its invoice and its audit trail like any other."""

from __future__ import annotations

from payments.models import PaymentProvider, PaymentStatus
from payments.providers.base import BasePaymentProvider


class FreeProvider(BasePaymentProvider):
    identifier = PaymentProvider.FREE
    verbose_name = "Free"
    transitions = {PaymentStatus.PENDING: frozenset({PaymentStatus.CONFIRMED})}

    def is_available(self) -> bool:
        return True
