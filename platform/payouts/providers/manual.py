"""The manual method (bank transfer): a brand admin sends the money and marks the withdrawal
paid with its reference (``withdrawal_mark_paid``). It is registered so that the method has a
provider, but it is not automated: payout runs refuse it."""

from __future__ import annotations

from collections.abc import Sequence

from payouts.providers import register
from payouts.providers.base import BasePayoutProvider, BatchResult, PayoutItem, PayoutProviderError


@register
class ManualProvider(BasePayoutProvider):
    identifier = "bank_transfer"
    verbose_name = "Bank transfer"
    automated = False

    def send_batch(self, *, batch_reference: str, items: Sequence[PayoutItem]) -> BatchResult:
        raise PayoutProviderError("Bank transfers are sent by hand, then marked paid.")
