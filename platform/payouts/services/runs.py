"""Payout runs: approved withdrawals leave the platform through a payout provider.

A brand admin picks approved withdrawals; ``payout_run_create`` groups them by method into one
run (one batch) per provider and, in one transaction, records the run and its items and moves
the withdrawals to ``processing`` — all BEFORE the provider is called. ``payout_run_send`` then
sends the batch under the run's ``batch_reference``. A crash between the provider's answer and
its recording leaves the run ``sending``: sending it again (``payout_run_send``, the
``payoutRunRetry`` mutation or the beat job) re-sends the same reference, and the provider's
idempotency (PayPal's ``sender_batch_id``, Stripe's ``Idempotency-Key``) answers with the batch
it already made: nobody is paid twice.

Outcomes (immediate, or later by the provider's webhooks) go through ``payout_item_settle``,
idempotent per (reference, outcome) and race-safe (row locks: run, then withdrawal):
succeeded → withdrawal ``paid`` (reserved → paid once); failed → ``failed`` (reserved →
available once); failed after succeeded (returned, reversed) → ``failed`` (paid → available
once). A success after a failure changes nothing: a failed payout is final.

Manual methods (bank transfer) have no automated provider: they keep the approve / mark-paid
flow and cannot be put in a run.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.audit import audit_log
from core.errors import field_error
from core.tenancy import current_schema
from payouts import providers
from payouts.error_codes import PayoutErrorCode as Code
from payouts.models import (
    PayoutItemStatus,
    PayoutRun,
    PayoutRunItem,
    PayoutRunStatus,
    WithdrawalRequest,
    WithdrawalStatus,
)
from payouts.providers import (
    BasePayoutProvider,
    ItemResult,
    ItemStatus,
    PayoutItem,
    PayoutOutcomeUnknownError,
    PayoutProviderError,
)
from payouts.services.withdrawals import hold_block, kyc_block, withdrawal_apply, withdrawal_lock

logger = logging.getLogger("payouts.runs")

MAX_RUN_WITHDRAWALS = 500
FINAL_ITEM_STATUSES = (PayoutItemStatus.SUCCEEDED, PayoutItemStatus.FAILED, PayoutItemStatus.RETURNED)


class PayoutReferenceError(ValueError):
    """A reference that is not one of this brand's payout items."""


def item_reference(withdrawal_id: int, schema_name: str | None = None) -> str:
    return f"{schema_name or current_schema()}.w{withdrawal_id}"


def parse_item_reference(reference: str) -> tuple[str, int]:
    """(schema, withdrawal id) of an item reference; ``PayoutReferenceError`` if malformed."""
    schema, separator, number = reference.rpartition(".w")
    if not separator or not schema or not number.isdigit() or len(reference) > 100:
        raise PayoutReferenceError(f"not a payout item reference: {reference[:100]!r}")
    return schema, int(number)


def _provider_for(method: str) -> BasePayoutProvider:
    try:
        provider = providers.get(method)
    except PayoutProviderError:
        provider = None
    if provider is None or not provider.automated:
        raise field_error(
            "withdrawalIds",
            f"{method} withdrawals are paid by hand: mark them paid once the money is sent.",
            Code.MANUAL_METHOD,
        )
    if not provider.is_configured():
        raise field_error(
            "withdrawalIds",
            f"Payouts by {provider.verbose_name} are not configured on this platform.",
            Code.PROVIDER_NOT_CONFIGURED,
        )
    return provider


def _payout_block(withdrawal: WithdrawalRequest) -> tuple[str, Code] | None:
    """Why ``withdrawal`` may not be paid now and its error code, or None: the single call point
    for payout gates (a hold: ``withdrawals.hold_block``; KYC: ``withdrawals.kyc_block``)."""
    held = hold_block(withdrawal)
    if held:
        return held, Code.WITHDRAWAL_HELD
    kyc = kyc_block(withdrawal)
    if kyc:
        return kyc, Code.KYC_REQUIRED
    return None


def payout_run_create(*, actor: Any, withdrawal_ids: Iterable[int]) -> list[PayoutRun]:
    """Pay approved withdrawals: one run per provider, recorded before sending, then sent."""
    ids = sorted({int(pk) for pk in withdrawal_ids})
    if not ids:
        raise field_error("withdrawalIds", "Pick at least one approved withdrawal.", Code.INVALID)
    if len(ids) > MAX_RUN_WITHDRAWALS:
        raise field_error(
            "withdrawalIds", f"Pay at most {MAX_RUN_WITHDRAWALS} withdrawals at once.", Code.TOO_MANY
        )
    schema = current_schema()
    runs: list[PayoutRun] = []
    with transaction.atomic():
        locked = list(
            WithdrawalRequest.objects.select_for_update(of=("self",))
            .select_related("affiliate")
            .filter(pk__in=ids)
            .order_by("pk")
        )
        if len(locked) != len(ids):
            raise field_error("withdrawalIds", "Some of these withdrawals do not exist.", Code.NOT_FOUND)
        by_method: dict[str, list[WithdrawalRequest]] = defaultdict(list)
        for withdrawal in locked:
            if withdrawal.status != WithdrawalStatus.APPROVED:
                raise field_error(
                    "withdrawalIds",
                    f"Withdrawal {withdrawal.pk} is {withdrawal.status}: only approved withdrawals are paid.",
                    Code.ILLEGAL_TRANSITION,
                )
            blocked = _payout_block(withdrawal)
            if blocked:
                raise field_error("withdrawalIds", *blocked)
            by_method[withdrawal.method].append(withdrawal)
        for method in sorted(by_method):
            provider = _provider_for(method)
            group = by_method[method]
            totals: dict[str, Decimal] = defaultdict(Decimal)
            for withdrawal in group:
                totals[withdrawal.currency] += withdrawal.amount
            run = PayoutRun.objects.create(
                provider=provider.identifier,
                created_by=actor,
                item_count=len(group),
                totals={currency: str(total) for currency, total in sorted(totals.items())},
            )
            run.batch_reference = f"{schema}.run{run.pk}"
            run.save(update_fields=["batch_reference"])
            PayoutRunItem.objects.bulk_create(
                PayoutRunItem(run=run, withdrawal=w, reference=item_reference(w.pk, schema)) for w in group
            )
            for withdrawal in group:
                withdrawal_apply(actor=actor, locked=withdrawal, to=WithdrawalStatus.PROCESSING)
            audit_log(
                actor=actor,
                action="payout_run.created",
                target=run,
                provider=run.provider,
                withdrawals=",".join(str(w.pk) for w in group),
            )
            runs.append(run)
    return [payout_run_send(run=run) for run in runs]


def payout_run_send(*, run: PayoutRun) -> PayoutRun:
    """Send a recorded run's batch (again): idempotent on its ``batch_reference``.

    A ``PayoutProviderError`` (the provider refused the whole batch; nothing was paid) ends the
    run ``refused`` and its withdrawals are approved again. Anything else (network, timeout,
    a crash) leaves the run ``sending``, to send again later.
    """
    with transaction.atomic():
        locked = PayoutRun.objects.select_for_update().get(pk=run.pk)
        if locked.status != PayoutRunStatus.SENDING:
            return locked
        locked.send_attempts += 1
        locked.save(update_fields=["send_attempts"])
        items = [
            PayoutItem(
                withdrawal_id=item.withdrawal_id,
                amount=item.withdrawal.amount,
                currency=item.withdrawal.currency,
                details=dict(item.withdrawal.details),
                reference=item.reference,
            )
            for item in locked.items.select_related("withdrawal").exclude(status=PayoutItemStatus.CANCELED)
        ]
    provider = providers.get(locked.provider)
    try:
        result = provider.send_batch(batch_reference=str(locked.batch_reference), items=items)
    except PayoutProviderError as error:
        logger.warning("payout run %s refused by %s: %s", locked.pk, locked.provider, error)
        return _record_refused(run=locked, error=str(error))
    except PayoutOutcomeUnknownError as error:  # maybe partly sent: send again, never re-approve
        logger.warning("payout run %s: outcome at %s unknown: %s", locked.pk, locked.provider, error)
        PayoutRun.objects.filter(pk=locked.pk).update(error=f"Not sent yet: {error}"[:500])
        locked.refresh_from_db()
        return locked
    except Exception as error:  # outcome unknown: keep the run to send again (idempotent)
        logger.exception("payout run %s: sending to %s failed", locked.pk, locked.provider)
        PayoutRun.objects.filter(pk=locked.pk).update(error=f"Not sent yet: {error}"[:500])
        locked.refresh_from_db()
        return locked
    return _record_sent(run=locked, remote_batch_id=result.remote_batch_id, results=result.items)


def _record_sent(*, run: PayoutRun, remote_batch_id: str, results: Iterable[ItemResult]) -> PayoutRun:
    with transaction.atomic():
        locked = PayoutRun.objects.select_for_update().get(pk=run.pk)
        if locked.status == PayoutRunStatus.SENDING:
            locked.status = PayoutRunStatus.SENT
            locked.remote_batch_id = remote_batch_id[:100]
            locked.sent_at = timezone.now()
            locked.error = ""
            locked.save(update_fields=["status", "remote_batch_id", "sent_at", "error"])
        for result in results:
            try:
                payout_item_settle(
                    reference=result.reference,
                    status=result.status,
                    remote_id=result.remote_id,
                    error=result.error,
                )
            except PayoutReferenceError:
                logger.warning(
                    "payout run %s: the provider reports an unknown item %s", run.pk, result.reference
                )
        locked.refresh_from_db()
        _run_maybe_completed(locked)
    locked.refresh_from_db()
    return locked


def _record_refused(*, run: PayoutRun, error: str) -> PayoutRun:
    with transaction.atomic():
        locked = PayoutRun.objects.select_for_update().get(pk=run.pk)
        if locked.status != PayoutRunStatus.SENDING:
            return locked
        locked.status = PayoutRunStatus.REFUSED
        locked.error = error[:500]
        locked.completed_at = timezone.now()
        locked.save(update_fields=["status", "error", "completed_at"])
        for item in locked.items.exclude(status=PayoutItemStatus.CANCELED):
            withdrawal = withdrawal_lock(item.withdrawal_id)
            if withdrawal is not None and withdrawal.status == WithdrawalStatus.PROCESSING:
                withdrawal_apply(actor=None, locked=withdrawal, to=WithdrawalStatus.APPROVED, notify=False)
            item.status = PayoutItemStatus.CANCELED
            item.error = error[:500]
            item.save(update_fields=["status", "error", "updated_at"])
        audit_log(actor=None, action="payout_run.refused", target=locked, error=error[:500])
    return locked


def payout_item_settle(
    *, reference: str, status: ItemStatus, remote_id: str = "", error: str = "", event_id: str = ""
) -> None:
    """Apply a provider's outcome for one item, in the current brand schema (callers activate
    it). Idempotent per (reference, outcome); duplicates and late arrivals change nothing.

    Raises ``PayoutReferenceError`` for a reference of another brand or no item of this one.
    """
    status = ItemStatus(status)
    schema, withdrawal_id = parse_item_reference(reference)
    if schema != current_schema():
        raise PayoutReferenceError(f"{reference!r} is not a payout of brand {current_schema()!r}")
    with transaction.atomic():
        found = (
            PayoutRunItem.objects.filter(withdrawal_id=withdrawal_id, reference=reference)
            .exclude(status=PayoutItemStatus.CANCELED)
            .only("pk", "run_id")
            .first()
        )
        if found is None:
            raise PayoutReferenceError(f"no payout item {reference!r}")
        # Lock order everywhere: run, then withdrawal, then item.
        run = PayoutRun.objects.select_for_update().get(pk=found.run_id)
        withdrawal = withdrawal_lock(withdrawal_id)
        item = PayoutRunItem.objects.select_for_update().get(pk=found.pk)
        assert withdrawal is not None
        changed = _settle_locked(
            item=item, withdrawal=withdrawal, status=status, remote_id=remote_id, error=error
        )
        if event_id:
            item.last_event_id = event_id[:100]
        if remote_id and not item.remote_id:
            item.remote_id = remote_id[:100]
        item.save()
        if changed:
            _run_maybe_completed(run)


def _settle_locked(
    *, item: PayoutRunItem, withdrawal: WithdrawalRequest, status: ItemStatus, remote_id: str, error: str
) -> bool:
    current = WithdrawalStatus(withdrawal.status)
    if status == ItemStatus.PENDING:
        if error and item.status == PayoutItemStatus.PENDING:
            item.error = error[:500]  # e.g. unclaimed: the receiver has no PayPal account yet
        return False
    if status == ItemStatus.SUCCEEDED:
        if current != WithdrawalStatus.PROCESSING or item.status != PayoutItemStatus.PENDING:
            return False  # already paid, or failed (final): nothing to do
        item.status = PayoutItemStatus.SUCCEEDED
        item.error = ""
        withdrawal_apply(
            actor=None,
            locked=withdrawal,
            to=WithdrawalStatus.PAID,
            payment_reference=(remote_id or item.remote_id or item.reference)[:120],
        )
        return True
    # FAILED: not sent, or sent and then returned / reversed.
    reason = (error or "The payment provider could not pay this withdrawal.")[:500]
    if current == WithdrawalStatus.PROCESSING and item.status == PayoutItemStatus.PENDING:
        item.status = PayoutItemStatus.FAILED
    elif current == WithdrawalStatus.PAID and item.status == PayoutItemStatus.SUCCEEDED:
        item.status = PayoutItemStatus.RETURNED
    else:
        return False
    item.error = reason
    withdrawal_apply(actor=None, locked=withdrawal, to=WithdrawalStatus.FAILED, failure_reason=reason)
    return True


def _run_maybe_completed(run: PayoutRun) -> None:
    """The run (locked by the caller) is completed once no item waits for an outcome."""
    if run.status == PayoutRunStatus.SENT and not run.items.filter(status=PayoutItemStatus.PENDING).exists():
        run.status = PayoutRunStatus.COMPLETED
        run.completed_at = timezone.now()
        run.save(update_fields=["status", "completed_at"])


def payout_runs_resume() -> int:
    """Send again the runs left ``sending`` (a crash or an unreachable provider); the beat job."""
    stale = timezone.now() - dt.timedelta(minutes=5)
    count = 0
    for run in PayoutRun.objects.filter(status=PayoutRunStatus.SENDING, created_at__lt=stale).order_by("pk"):
        payout_run_send(run=run)
        count += 1
    return count


def payout_run_sync(*, run: PayoutRun) -> PayoutRun:
    """Read the batch back from its provider and settle every item it reports (a missed webhook,
    a ``PAYMENT.PAYOUTSBATCH.*`` event); a no-op for providers that cannot be asked."""
    provider = providers.get(run.provider)
    fetch = getattr(provider, "fetch_batch", None)
    if fetch is None or not run.remote_batch_id:
        return run
    result = fetch(run.remote_batch_id)
    with transaction.atomic():
        locked = PayoutRun.objects.select_for_update().get(pk=run.pk)
        for item in result.items:
            try:
                payout_item_settle(
                    reference=item.reference, status=item.status, remote_id=item.remote_id, error=item.error
                )
            except PayoutReferenceError:
                logger.warning(
                    "payout run %s: the provider reports an unknown item %s", run.pk, item.reference
                )
        locked.refresh_from_db()
        _run_maybe_completed(locked)
    return locked
