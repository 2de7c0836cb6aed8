"""Commissions: creation with their ledger entries, release after the hold, reversal."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from affiliation.models import (
    Affiliate,
    AffiliateStatus,
    Commission,
    CommissionKind,
    CommissionStatus,
    Conversion,
    Program,
)
from affiliation.rules import Line
from core.events import emit
from core.live import DeltaRow, affiliate_stats_topic, day_start, delta_publish_on_commit
from core.money import COMMISSION_ROUNDING, quantize
from ledger.models import AccountKind
from ledger.owners import BRAND, Owner
from ledger.services import ledger_account, ledger_transfer


def _earnings_tick(commission: Commission, *, conversions: int, amount: Decimal) -> None:
    """Tick the beneficiary's live counters with what this commission changes (after commit)."""
    conversion = commission.conversion
    delta_publish_on_commit(
        topic=affiliate_stats_topic(commission.beneficiary_id),
        rows=[
            DeltaRow(
                day_start(conversion.occurred_at if conversion is not None else commission.created_at),
                commission.program_id,
                commission.beneficiary_id,
                (conversion.link_id or 0) if conversion is not None and commission.level == 0 else 0,
                conversion.offer_ref if conversion is not None else "",
                commission.currency,
                conversions=conversions,
                commissions=amount,
            )
        ],
    )


def _post_earned(commission: Commission) -> None:
    ledger_transfer(
        kind="commission.earned",
        idempotency_key=f"commission:{commission.pk}:earned",
        source=ledger_account(owner=BRAND, kind=AccountKind.COMMISSION_EXPENSE, currency=commission.currency),
        destination=ledger_account(
            owner=Owner.affiliate(commission.beneficiary_id),
            kind=AccountKind.PENDING,
            currency=commission.currency,
        ),
        amount=commission.amount,
    )


def _commission_facts(commission: Commission) -> dict[str, Any]:
    return {
        "commission_id": commission.pk,
        "program_id": commission.program_id,
        "affiliate_id": commission.beneficiary_id,
        "conversion_id": commission.conversion_id,
        "level": commission.level,
        "kind": commission.kind,
        "amount": commission.amount,
        "currency": commission.currency,
        "status": commission.status,
    }


def commissions_create(
    *, conversion: Conversion, lines: list[Line], kind: str, is_recurring: bool, held: bool = False
) -> list[Commission]:
    """One commission per line whose beneficiary is approved, each with its ledger entry.
    ``held``: created HELD (a fraud rule wants a review first; the release job skips them)."""
    program = conversion.program
    approved = set(
        Affiliate.objects.filter(
            pk__in=[line.beneficiary_id for line in lines], status=AffiliateStatus.APPROVED
        ).values_list("pk", flat=True)
    )
    available_at = timezone.now() + dt.timedelta(days=program.hold_days)
    commissions = []
    for line in lines:
        if line.beneficiary_id not in approved:
            continue
        commission = Commission.objects.create(
            program=program,
            beneficiary_id=line.beneficiary_id,
            conversion=conversion,
            level=line.level,
            kind=kind,
            is_recurring=is_recurring,
            base_amount=line.base_amount,
            rate=line.rate,
            amount=line.amount,
            currency=conversion.currency,
            available_at=available_at,
            status=CommissionStatus.HELD if held else CommissionStatus.PENDING,
        )
        _post_earned(commission)
        emit("commission.created", _commission_facts(commission))
        _earnings_tick(commission, conversions=1 if line.level == 0 else 0, amount=line.amount)
        commissions.append(commission)
    return commissions


def click_commissions_accrue(
    *, batch_key: str, unique_clicks: Mapping[tuple[int, int], int]
) -> list[Commission]:
    """Per-click (EPC) earnings for a committed batch of unique clicks, in the caller's
    transaction: ``unique_clicks`` maps (affiliate id, program id) to new unique clicks.
    Idempotent by ``batch_key``: a redelivered batch earns nothing twice."""
    program_ids = {program_id for _, program_id in unique_clicks}
    programs = {
        program.pk: program
        for program in Program.objects.filter(pk__in=program_ids, commission_kind=CommissionKind.PER_CLICK)
    }
    if not programs:
        return []
    approved = dict(
        Affiliate.objects.filter(
            pk__in=[affiliate_id for affiliate_id, _ in unique_clicks], status=AffiliateStatus.APPROVED
        ).values_list("pk", "program_id")
    )
    now = timezone.now()
    created = []
    for (affiliate_id, program_id), count in sorted(unique_clicks.items()):
        program = programs.get(program_id)
        if program is None or approved.get(affiliate_id) != program_id or count <= 0:
            continue
        amount = quantize(program.per_click_amount * count, program.currency, COMMISSION_ROUNDING)
        if amount <= 0:
            continue
        try:
            with transaction.atomic():
                commission = Commission.objects.create(
                    program=program,
                    beneficiary_id=affiliate_id,
                    kind=CommissionKind.PER_CLICK,
                    click_batch_key=f"{batch_key}:{affiliate_id}",
                    click_count=count,
                    base_amount=program.per_click_amount,
                    amount=amount,
                    currency=program.currency,
                    available_at=now + dt.timedelta(days=program.hold_days),
                )
                _post_earned(commission)
                emit("commission.created", _commission_facts(commission))
        except IntegrityError:
            continue  # this batch was already paid for
        created.append(commission)
    return created


def commission_reverse(*, commission: Commission, amount: Decimal, idempotency_key: str) -> Commission:
    """Take back part or all of a (locked) commission: a reversal entry, never an edit."""
    source_kind = (
        AccountKind.PENDING
        if commission.status in (CommissionStatus.PENDING, CommissionStatus.HELD)
        else AccountKind.AVAILABLE
    )
    posted = ledger_transfer(
        kind="commission.reversed",
        idempotency_key=idempotency_key,
        source=ledger_account(
            owner=Owner.affiliate(commission.beneficiary_id), kind=source_kind, currency=commission.currency
        ),
        destination=ledger_account(
            owner=BRAND, kind=AccountKind.COMMISSION_EXPENSE, currency=commission.currency
        ),
        amount=amount,
    )
    if posted is None:
        return commission
    commission.reversed_amount += amount
    update_fields = ["reversed_amount"]
    if commission.reversed_amount == commission.amount:
        commission.status = CommissionStatus.REVERSED
        update_fields.append("status")
    commission.save(update_fields=update_fields)
    emit(
        "commission.reversed",
        {
            **_commission_facts(commission),
            "reversed_amount": amount,
            "total_reversed": commission.reversed_amount,
        },
    )
    _earnings_tick(commission, conversions=0, amount=-amount)
    return commission


def _release(commission: Commission) -> None:
    """Pending → available, with its ledger entry (once: keyed by the commission)."""
    net = commission.amount - commission.reversed_amount
    if net > 0:
        ledger_transfer(
            kind="commission.released",
            idempotency_key=f"commission:{commission.pk}:released",
            source=ledger_account(
                owner=Owner.affiliate(commission.beneficiary_id),
                kind=AccountKind.PENDING,
                currency=commission.currency,
            ),
            destination=ledger_account(
                owner=Owner.affiliate(commission.beneficiary_id),
                kind=AccountKind.AVAILABLE,
                currency=commission.currency,
            ),
            amount=net,
        )
    commission.status = CommissionStatus.AVAILABLE
    commission.save(update_fields=["status"])


def commissions_unhold(*, commissions: list[Commission], now: dt.datetime | None = None) -> int:
    """A review cleared these (locked) HELD commissions: back to pending, and released at once
    when their hold period is already over (as the beat job would have done). Returns how many
    changed; commissions no longer HELD are left alone."""
    now = now or timezone.now()
    changed = 0
    for commission in commissions:
        if commission.status != CommissionStatus.HELD:
            continue
        commission.status = CommissionStatus.PENDING
        commission.save(update_fields=["status"])
        if commission.available_at <= now:
            _release(commission)
        changed += 1
    return changed


def commissions_release_due(*, now: dt.datetime | None = None, batch_size: int = 500) -> int:
    """Move commissions past their hold period from pending to available (beat job). HELD
    commissions (under fraud review) are not pending: they wait for the review.

    Rows are locked with SKIP LOCKED, so two workers never release the same commission and
    a refund in progress is not waited for (it is picked up on the next run).
    """
    now = now or timezone.now()
    released = 0
    while True:
        with transaction.atomic():
            due = list(
                Commission.objects.select_for_update(skip_locked=True)
                .select_related("beneficiary")
                .filter(status=CommissionStatus.PENDING, available_at__lte=now)
                .order_by("pk")[:batch_size]
            )
            for commission in due:
                _release(commission)
            released += len(due)
        if len(due) < batch_size:
            return released
