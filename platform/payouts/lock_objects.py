"""The one place that locks an affiliate's money for a withdrawal [Saleor ``lock_objects``]."""

from __future__ import annotations

from affiliation.models import Affiliate
from ledger.models import AccountKind, LedgerAccount
from ledger.owners import Owner
from ledger.services import ledger_account


def available_account_for_update(affiliate: Affiliate) -> LedgerAccount:
    """The affiliate's available-balance row, locked until the transaction ends: two
    concurrent withdrawals queue here, and the second sees what the first reserved."""
    account = ledger_account(
        owner=Owner.affiliate(affiliate.pk), kind=AccountKind.AVAILABLE, currency=affiliate.program.currency
    )
    return LedgerAccount.objects.select_for_update().get(pk=account.pk)
