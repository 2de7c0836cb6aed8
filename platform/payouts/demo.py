"""Demo data of payouts for `make run`: one withdrawal waiting in the brand admin's queue, and
one completed payout run, made after the affiliate engine's demo (``affiliation.demo``) gave
the demo affiliates a balance."""

from __future__ import annotations

import logging
import time
from urllib.parse import urlsplit

from django.conf import settings

from accounts.models import User
from affiliation.models import Affiliate, AffiliateStatus, Program, WithdrawalMethod
from affiliation.selectors import affiliate_balance
from payouts import providers
from payouts.models import PayoutRun, PayoutRunStatus, WithdrawalRequest
from payouts.services import payout_run_create, payout_run_sync, withdrawal_approve, withdrawal_request

logger = logging.getLogger(__name__)

# How long provisioning waits for the local PayPal fake's outcomes (it gives them ~1 s after a
# batch is sent) before leaving the run as sent (its webhooks, or the sync job, complete it).
RUN_OUTCOME_WAIT_SECONDS = 15.0


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


def _local_paypal() -> bool:
    """PayPal Payouts configured on this machine's fake (``make run`` starts it): the demo never
    sends money through a real PayPal account, whatever the settings."""
    host = urlsplit(settings.PAYPAL_API_BASE).hostname or ""
    return host in ("127.0.0.1", "localhost", "::1") and providers.get("paypal").is_configured()


def demo_payout_run_ensure(*, payee: User, program: Program, admin: User) -> PayoutRun | None:
    """A payout run, paid: ``payee`` asks for the program's minimum by PayPal, the brand admin
    approves it and pays it in a run, and the run's outcome is read back until it completes.
    Payout runs pay automated providers only (bank transfers are marked paid by hand), so this
    needs PayPal on the local fake; without it nothing is made. Idempotent: one run per brand."""
    if PayoutRun.objects.exists() or not _local_paypal():
        return None
    member = Affiliate.objects.filter(user=payee, program=program, status=AffiliateStatus.APPROVED).first()
    if member is None or affiliate_balance(member).available < program.minimum_withdrawal:
        return None
    withdrawal = withdrawal_request(
        affiliate=member,
        amount=program.minimum_withdrawal,
        method=WithdrawalMethod.PAYPAL,
        details={"email": payee.email},
    )
    withdrawal = withdrawal_approve(actor=admin, withdrawal=withdrawal)
    (run,) = payout_run_create(actor=admin, withdrawal_ids=[withdrawal.pk])
    deadline = time.monotonic() + RUN_OUTCOME_WAIT_SECONDS
    while run.status != PayoutRunStatus.COMPLETED and time.monotonic() < deadline:
        time.sleep(0.5)
        run = payout_run_sync(run=run)
    if run.status != PayoutRunStatus.COMPLETED:
        logger.warning("demo payout run %s is %s: its outcome comes later", run.pk, run.status)
    return run
