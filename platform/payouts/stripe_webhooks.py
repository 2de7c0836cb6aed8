"""Stripe's Connect events, applied through ``payments.webhooks``' handler registry (the event is
verified, routed to its brand and stored once there; a redelivery never reaches these handlers).

- ``transfer.created``: the transfer of a payout item exists; the item is SUCCEEDED (what
  ``send_batch`` already answered; this settles a run that crashed before recording it).
- ``transfer.reversed``: the platform took the money back from the connected account. Fully
  reversed, the item becomes FAILED: ``payout_item_settle`` returns the money to the affiliate's
  available balance once (paid -> available). A partial reversal is recorded and logged for a
  person to look at: the platform never reverses part of a withdrawal itself.
- ``payout.failed`` on a connected account (event ``account`` set): see
  ``payouts.services.connect.connect_payout_failed`` (recorded and notified, no money moves).
- ``account.updated`` on a connected account: the status is read back from Stripe.

Their objects (transfers, accounts, payouts) are registered with ``stripe_object_reader``, so an
event rendered in another API version (or a stale one) is applied from the object read again in
the pinned version rather than refused. A payout lives on its connected account: it is read with
the event's ``account`` (``Stripe-Account``), as Stripe finds it nowhere else.

Each handler answers None for objects that are not a payout item of the current brand (the
reference names its schema), so another handler, or none, takes them. A transfer of this brand
whose reference has no payout item (made by hand in the dashboard, a refused run's canceled
item) is logged and acknowledged with a "no payout item" outcome, never failed (Stripe would
redeliver it for days).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

from core.tenancy import current_schema
from payments.webhooks import account_options, event_account, stripe_event_handler, stripe_object_reader
from payouts.providers.base import ItemStatus
from payouts.providers.stripe_connect import reference_schema
from payouts.services.connect import connect_account_sync, connect_payout_failed

logger = logging.getLogger(__name__)


def _reference(transfer: Mapping[str, Any]) -> str | None:
    """The payout item a transfer pays, when it is one of this brand's."""
    reference = str((transfer.get("metadata") or {}).get("reference") or "")
    if not reference or reference_schema(reference) != current_schema():
        return None
    return reference


def _settle(*, reference: str, **kwargs: Any) -> str | None:
    """Settle the item; an outcome string instead when this brand has no payout item for the
    reference (a transfer made by hand with a payout's metadata, a run's items canceled): the
    event is acknowledged and stored with that outcome, never failed and redelivered forever."""
    from payouts.services.runs import PayoutReferenceError, payout_item_settle

    try:
        payout_item_settle(reference=reference, **kwargs)
    except PayoutReferenceError as error:
        logger.warning("stripe transfer %s: %s; left for a person", kwargs.get("remote_id"), error)
        return f"no payout item {reference}: not settled"
    return None


@stripe_object_reader("transfer")
def transfer_read(client: Any, transfer_id: str, account: str) -> Any:
    """A transfer is the platform's own object (sent from its balance), whatever the event."""
    return client.v1.transfers.retrieve(transfer_id)


@stripe_object_reader("account")
def account_read(client: Any, account_id: str, account: str) -> Any:
    """The platform reads its connected accounts directly (as ``connect_account_sync`` does)."""
    return client.v1.accounts.retrieve(account_id)


@stripe_object_reader("payout")
def payout_read(client: Any, payout_id: str, account: str) -> Any:
    """A connected account's payout to its bank exists only on that account."""
    return client.v1.payouts.retrieve(payout_id, options=account_options(account))


@stripe_event_handler("transfer.created")
def transfer_created(transfer: Mapping[str, Any], created: dt.datetime) -> str | None:
    reference = _reference(transfer)
    if reference is None:
        return None
    missing = _settle(reference=reference, status=ItemStatus.SUCCEEDED, remote_id=str(transfer["id"]))
    return missing or f"payout item {reference} transferred"


@stripe_event_handler("transfer.reversed")
def transfer_reversed(transfer: Mapping[str, Any], created: dt.datetime) -> str | None:
    reference = _reference(transfer)
    if reference is None:
        return None
    if not transfer.get("reversed"):
        logger.warning(
            "stripe transfer %s of %s partially reversed (%s of %s): left for a person",
            transfer.get("id"),
            reference,
            transfer.get("amount_reversed"),
            transfer.get("amount"),
        )
        return f"payout item {reference} partially reversed: not settled"
    missing = _settle(
        reference=reference,
        status=ItemStatus.FAILED,
        remote_id=str(transfer["id"]),
        error="The Stripe transfer was reversed.",
    )
    return missing or f"payout item {reference} reversed: money back to available"


@stripe_event_handler("payout.failed")
def connected_payout_failed(payout: Mapping[str, Any], created: dt.datetime) -> str | None:
    account_id = event_account()
    if not account_id:
        return None  # the platform's own payout to its bank: not an affiliate's
    account = connect_payout_failed(account_id=account_id, payout=payout)
    if account is None:
        return None
    return f"connected account {account_id}: payout {payout.get('id')} failed, affiliate told"


@stripe_event_handler("account.updated")
def connected_account_updated(account: Mapping[str, Any], created: dt.datetime) -> str | None:
    account_id = str(account.get("id") or "")
    if not account_id.startswith("acct_"):
        return None
    synced = connect_account_sync(account_id=account_id)
    if synced is None:
        return None
    return f"connected account {account_id}: {synced.status}"
