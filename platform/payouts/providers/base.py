"""The payout provider interface (after pretix's payment providers, for money going out).

A payout run hands a provider the approved withdrawals of one method as ``PayoutItem``s under
one ``batch_reference``. ``send_batch`` must be idempotent on that reference and on each item's
``reference``: called again after a crash (the batch sent, nothing recorded), it returns the
batch already made and pays nobody twice (PayPal's ``sender_batch_id``, Stripe's
``Idempotency-Key``). What the provider learns later (an item paid, failed, returned, a
transfer reversed) arrives by its webhooks, which call ``payouts.services.runs.payout_item_settle``
with the item's reference; settling is idempotent per (reference, outcome).
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import ClassVar


class PayoutProviderError(Exception):
    """The provider refused the whole batch: nothing was paid, for certain. The run ends
    refused and its withdrawals are approved again."""


class PayoutOutcomeUnknownError(Exception):
    """The batch may be partly sent (the provider failed part-way, or could not be asked what
    an earlier attempt did): the run stays ``sending`` and is sent again with the same
    references, which the provider's idempotency makes safe. Never approve the withdrawals
    again on this: their money may already be gone."""


class ItemStatus(enum.StrEnum):
    PENDING = "pending"  # accepted by the provider; the outcome comes later (webhook)
    SUCCEEDED = "succeeded"  # money sent
    FAILED = "failed"  # not sent, or sent and returned: the money goes back to available


@dataclass(frozen=True)
class PayoutItem:
    withdrawal_id: int
    amount: Decimal
    currency: str
    # What the method needs: PayPal {"email"}; Stripe Connect {"account": "acct_…"}.
    details: Mapping[str, str]
    # Stable and unique in the platform (carries the brand's schema): PayPal's sender_item_id,
    # Stripe's transfer idempotency key and metadata; webhooks find the withdrawal by it.
    reference: str


@dataclass(frozen=True)
class ItemResult:
    reference: str
    status: ItemStatus
    remote_id: str = ""  # PayPal payout_item_id, Stripe transfer id
    error: str = ""  # the provider's own message, shown to the brand admin


@dataclass(frozen=True)
class BatchResult:
    remote_batch_id: str  # PayPal payout_batch_id; Stripe: the batch reference itself
    items: Sequence[ItemResult] = field(default_factory=tuple)


class BasePayoutProvider(ABC):
    identifier: ClassVar[str]  # equals the withdrawal method it pays
    verbose_name: ClassVar[str]
    automated: ClassVar[bool] = True  # False: a person sends the money (manual)

    def is_configured(self) -> bool:
        """Credentials present in settings; an unconfigured provider is not offered."""
        return True

    @abstractmethod
    def send_batch(self, *, batch_reference: str, items: Sequence[PayoutItem]) -> BatchResult:
        """Send ``items`` as one batch; idempotent on ``batch_reference`` and item references."""
