"""May this user be paid? Payouts ask before approving or paying a withdrawal.

KYC is required for a user whose role the brand lists (``KycSettings.required_roles``) once
their cumulative payouts (this one included: ``amount_total``) pass the brand's threshold
(0 = always). Then only an approved profile whose ID has not expired lets the money go."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from accounts.models import User
from affiliation.models import Affiliate
from kyc.models import KycProfile, KycStatus
from kyc.selectors import kyc_settings
from ledger.models import AccountKind, LedgerAccount, OwnerType


def kyc_required(user: User, amount_total: Decimal) -> bool:
    row = kyc_settings()
    if user.role not in row.required_roles:
        return False
    return row.payout_threshold <= 0 or Decimal(amount_total) > row.payout_threshold


def kyc_payout_block(user: User, amount_total: Decimal) -> str | None:
    """None when the payout may go; else the reason, to show the brand admin."""
    if not kyc_required(user, amount_total):
        return None
    profile = KycProfile.objects.filter(user=user).first()
    if profile is None or profile.status != KycStatus.APPROVED:
        return "This user's identity (KYC) must be verified and approved before they are paid."
    if profile.id_expiry is not None and profile.id_expiry <= timezone.localdate():
        return "This user's identity document has expired: they must submit a valid one before they are paid."
    return None


def cumulative_payouts(user: User, currency: str) -> Decimal:
    """What the user's memberships were paid so far in ``currency`` (their ledger ``paid``
    accounts), the base the threshold is compared with."""
    affiliate_ids = list(Affiliate.objects.filter(user=user).values_list("pk", flat=True))
    total = LedgerAccount.objects.filter(
        owner_type=OwnerType.AFFILIATE,
        owner_id__in=affiliate_ids,
        kind=AccountKind.PAID,
        currency=currency,
    ).aggregate(total=Sum("balance"))["total"]
    return Decimal(total or 0)
