"""TEMPORARY stand-in of ``payout_item_settle`` (helper PAYOUTS owns the real one): just the
contract of /work/wt/PLAN.md, so that the Stripe Connect provider and webhooks can be tested.
The lead drops this commit and keeps PAYOUTS' version.

Idempotent per (reference, final status); SUCCEEDED -> withdrawal paid (reserved -> paid once);
FAILED -> withdrawal "failed", money back to available once (reserved -> available, or, after a
SUCCEEDED, paid -> available).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from core.tenancy import current_schema
from ledger.models import AccountKind
from ledger.owners import Owner
from ledger.services import ledger_account, ledger_transfer
from payouts.models import WithdrawalRequest, WithdrawalStatus
from payouts.providers.base import ItemStatus

FAILED = "failed"


def payout_item_settle(
    *, reference: str, status: ItemStatus, remote_id: str = "", error: str = "", event_id: str = ""
) -> None:
    schema, _, withdrawal_id = reference.rpartition(".w")
    if schema != current_schema() or not withdrawal_id.isdigit():
        raise ValueError(f"payout item {reference!r} is not one of this brand's")
    with transaction.atomic():
        withdrawal = WithdrawalRequest.objects.select_for_update().get(pk=int(withdrawal_id))

        def move(name: str, source: AccountKind, destination: AccountKind) -> None:
            owner = Owner.affiliate(withdrawal.affiliate_id)
            ledger_transfer(
                kind=f"withdrawal.{name}",
                idempotency_key=f"withdrawal:{withdrawal.pk}:{name}",
                source=ledger_account(owner=owner, kind=source, currency=withdrawal.currency),
                destination=ledger_account(owner=owner, kind=destination, currency=withdrawal.currency),
                amount=withdrawal.amount,
            )

        if status == ItemStatus.SUCCEEDED and withdrawal.status == WithdrawalStatus.APPROVED:
            move("paid", AccountKind.RESERVED, AccountKind.PAID)
            withdrawal.status = WithdrawalStatus.PAID
            withdrawal.paid_at = timezone.now()
            withdrawal.payment_reference = remote_id[:120]
            withdrawal.save()
        elif status == ItemStatus.FAILED and withdrawal.status == WithdrawalStatus.APPROVED:
            move("failed", AccountKind.RESERVED, AccountKind.AVAILABLE)
            withdrawal.status = FAILED
            withdrawal.rejection_reason = error[:500]
            withdrawal.save()
        elif status == ItemStatus.FAILED and withdrawal.status == WithdrawalStatus.PAID:
            move("returned", AccountKind.PAID, AccountKind.AVAILABLE)
            withdrawal.status = FAILED
            withdrawal.rejection_reason = error[:500]
            withdrawal.save()
