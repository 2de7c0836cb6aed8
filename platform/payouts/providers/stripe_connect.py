"""Stripe Connect payouts: one transfer from the platform's balance to the affiliate's connected
account per withdrawal.

``POST /v1/transfers`` with ``Idempotency-Key`` = the item's reference (``<schema>.w<id>``), so a
batch sent again after a crash (Stripe answered, nothing was recorded) gets the same transfers
back and pays nobody twice. Stripe keeps idempotency keys for at least 24 hours; a run retried
later must look the transfer up first (``transfer_group`` = the batch reference, ``metadata`` =
the reference, withdrawal and schema), which ``_existing`` does before sending.

Transfers are synchronous: a created transfer is SUCCEEDED (the money is in the affiliate's Stripe
balance; Stripe pays it out to their bank on its schedule). A refused one is FAILED with Stripe's
message, per item: Stripe judges each transfer alone (one account without the ``transfers``
capability, or the platform's available balance running out part-way, ``balance_insufficient``,
fails that transfer, not the others). Stripe not configured refuses the whole batch
(``PayoutProviderError``: certainly nothing sent). A Stripe that cannot be reached, fails
part-way or is still creating a transfer (409) leaves the outcome unknown
(``PayoutOutcomeUnknownError``): earlier transfers of the batch may exist, so the run stays
``sending`` and is sent again with the same keys; the withdrawals are never approved again on
it, which could pay twice. What happens later arrives by webhooks (``payouts.stripe_webhooks``):
``transfer.reversed`` (the money came back: the item becomes FAILED) and ``payout.failed`` on the
connected account (the bank refused Stripe's payout: the affiliate is told, no money moves).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import stripe

from payments.stripe_client import plain, stripe_client, stripe_is_configured, to_minor_units
from payouts.providers import register
from payouts.providers.base import (
    BasePayoutProvider,
    BatchResult,
    ItemResult,
    ItemStatus,
    PayoutItem,
    PayoutOutcomeUnknownError,
    PayoutProviderError,
)

logger = logging.getLogger(__name__)


def reference_schema(reference: str) -> str:
    """The brand schema an item reference (``<schema>.w<id>``) belongs to."""
    return reference.rpartition(".w")[0]


def reference_withdrawal_id(reference: str) -> int | None:
    schema, _, withdrawal = reference.rpartition(".w")
    return int(withdrawal) if schema and withdrawal.isdigit() else None


@register
class StripeConnectProvider(BasePayoutProvider):
    identifier = "stripe"
    verbose_name = "Stripe Connect"
    automated = True

    def is_configured(self) -> bool:
        return stripe_is_configured()

    def _existing(self, client: stripe.StripeClient, batch_reference: str) -> dict[str, dict[str, Any]]:
        """Transfers already made for this batch, by item reference (a retry beyond the idempotency
        window, or after a key was lost, must not pay twice)."""
        found: dict[str, dict[str, Any]] = {}
        page = client.v1.transfers.list(params={"transfer_group": batch_reference, "limit": 100})
        for transfer in page.auto_paging_iter():
            data = plain(transfer)
            reference = (data.get("metadata") or {}).get("reference")
            if reference:
                found[str(reference)] = data
        return found

    def send_batch(self, *, batch_reference: str, items: Sequence[PayoutItem]) -> BatchResult:
        try:
            client = stripe_client()
            existing = self._existing(client, batch_reference)
        except stripe.StripeError as error:
            # An earlier attempt may have sent transfers we cannot see now: unknown, not refused.
            raise PayoutOutcomeUnknownError(
                f"Stripe could not be reached: {error.user_message or error}"
            ) from error
        except RuntimeError as error:  # StripeNotConfiguredError: certainly nothing sent
            raise PayoutProviderError(str(error)) from error
        results: list[ItemResult] = []
        for item in items:
            if item.reference in existing:
                results.append(
                    ItemResult(
                        reference=item.reference,
                        status=ItemStatus.SUCCEEDED,
                        remote_id=existing[item.reference]["id"],
                    )
                )
                continue
            results.append(self._send(client, batch_reference, item))
        return BatchResult(remote_batch_id=batch_reference, items=tuple(results))

    def _send(self, client: stripe.StripeClient, batch_reference: str, item: PayoutItem) -> ItemResult:
        account = str(item.details.get("account") or "")
        if not account.startswith("acct_"):
            return ItemResult(
                reference=item.reference,
                status=ItemStatus.FAILED,
                error="No Stripe account on the withdrawal.",
            )
        params = {
            "amount": to_minor_units(item.amount, item.currency),
            "currency": item.currency.lower(),
            "destination": account,
            "transfer_group": batch_reference,
            "description": f"Withdrawal {item.withdrawal_id}",
            "metadata": {
                "brand": reference_schema(item.reference),
                "schema": reference_schema(item.reference),
                "reference": item.reference,
                "withdrawal_id": str(item.withdrawal_id),
            },
        }
        try:
            transfer = client.v1.transfers.create(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": item.reference},
            )
        except (stripe.InvalidRequestError, stripe.CardError, stripe.PermissionError) as error:
            # Stripe refused this transfer (no transfers capability, balance_insufficient, a closed
            # account...): this item failed; its money goes back to the affiliate's balance.
            logger.warning("stripe transfer %s refused: %s (%s)", item.reference, error, error.code)
            return ItemResult(
                reference=item.reference,
                status=ItemStatus.FAILED,
                error=str(error.user_message or error)[:500],
            )
        except stripe.IdempotencyError as error:
            if error.http_status == 409:
                # The same transfer is being created right now by another send: retry the batch.
                raise PayoutOutcomeUnknownError(f"Stripe is still creating {item.reference}.") from error
            # The key was used with other parameters (sent before under another batch): a transfer
            # may exist under it. Never pay again under a new key and never return the money:
            # pending, the earlier transfer's transfer.created settles it, or a person looks.
            logger.error("stripe transfer %s: idempotency conflict: %s", item.reference, error)
            return ItemResult(
                reference=item.reference,
                status=ItemStatus.PENDING,
                error=str(error.user_message or error)[:500],
            )
        except stripe.StripeError as error:
            # Unreachable, rate limited, authentication: nothing is known about this transfer, and
            # earlier items of the batch may be paid: the run is sent again with the same keys.
            raise PayoutOutcomeUnknownError(f"Stripe failed: {error.user_message or error}") from error
        return ItemResult(reference=item.reference, status=ItemStatus.SUCCEEDED, remote_id=str(transfer.id))
