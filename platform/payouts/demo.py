"""Demo data of payouts for `make run`: one withdrawal waiting in the brand admin's queue, made
after the affiliate engine's demo (``affiliation.demo``) gave the demo affiliate a balance."""

from __future__ import annotations

from accounts.models import User
from affiliation.models import Affiliate, AffiliateStatus, Program, WithdrawalMethod
from affiliation.selectors import affiliate_balance
from payouts.models import WithdrawalRequest
from payouts.services import withdrawal_request


def demo_withdrawal_ensure(*, affiliate_user: User, program: Program) -> WithdrawalRequest | None:
    """One withdrawal by PayPal waiting in the brand admin's queue, for part of the demo
    affiliate's available balance, so that the affiliate still has some left to withdraw."""
    member = Affiliate.objects.filter(
        user=affiliate_user, program=program, status=AffiliateStatus.APPROVED
    ).first()
    if member is None or WithdrawalRequest.objects.filter(affiliate=member).exists():
        return None
    available = affiliate_balance(member).available
    if available < program.minimum_withdrawal * 2:
        return None
    return withdrawal_request(
        affiliate=member,
        amount=program.minimum_withdrawal,
        method=WithdrawalMethod.PAYPAL,
        details={"email": affiliate_user.email},
    )
