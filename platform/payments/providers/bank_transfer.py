"""The manual bank transfer, for markets without card payments: the payer is shown the brand's
bank details and a reference, reports the bank's transaction id, and a brand admin verifies the
money arrived, then confirms. pending → transaction_submitted → verified → confirmed, or rejected
from any of the first three."""

from __future__ import annotations

from payments.models import PaymentProvider, PaymentStatus
from payments.providers.base import BasePaymentProvider
from payments.services.invoices import billing_settings


class BankTransferProvider(BasePaymentProvider):
    identifier = PaymentProvider.BANK_TRANSFER
    verbose_name = "Bank transfer"
    unavailable_message = "This brand does not take bank transfers yet."
    refund_supported = False  # the brand sends the money back from its bank, outside the platform
    transitions = {
        PaymentStatus.PENDING: frozenset(
            {PaymentStatus.TRANSACTION_SUBMITTED, PaymentStatus.REJECTED, PaymentStatus.FAILED}
        ),
        PaymentStatus.TRANSACTION_SUBMITTED: frozenset({PaymentStatus.VERIFIED, PaymentStatus.REJECTED}),
        PaymentStatus.VERIFIED: frozenset({PaymentStatus.CONFIRMED, PaymentStatus.REJECTED}),
        PaymentStatus.CONFIRMED: frozenset({PaymentStatus.REFUNDED}),
    }

    def is_available(self) -> bool:
        row = billing_settings()
        return bool(row.bank_account_holder and (row.bank_iban or row.bank_rib))
