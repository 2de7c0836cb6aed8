"""Withdrawal requests: an affiliate asks for available money; a brand admin approves, pays
or rejects. The money moves in the ledger (available → reserved → paid, or back)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from accounts.models import User
from affiliation.models import Affiliate, WithdrawalMethod
from core.fields import AmountField


class WithdrawalStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    APPROVED = "approved", "Approved"
    PAID = "paid", "Paid"
    REJECTED = "rejected", "Rejected"


class WithdrawalRequest(models.Model):
    affiliate = models.ForeignKey(Affiliate, on_delete=models.PROTECT, related_name="withdrawals")
    amount = AmountField()
    currency = models.CharField(max_length=3)
    method = models.CharField(max_length=20, choices=WithdrawalMethod.choices)
    # PayPal: {"email"}; bank transfer: {"iban", "bic", "account_holder"}.
    details = models.JSONField(default=dict)
    status = models.CharField(
        max_length=10, choices=WithdrawalStatus.choices, default=WithdrawalStatus.REQUESTED
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    paid_at = models.DateTimeField(null=True, blank=True)
    payment_reference = models.CharField(max_length=120, blank=True)
    rejection_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "requested_at"], name="payouts_withdrawal_queue")]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payouts_withdrawal_positive")]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} for {self.affiliate_id} ({self.status})"


class StripeConnectStatus(models.TextChoices):
    PENDING = "pending", "Onboarding not finished"
    VERIFIED = "verified", "Verified: can receive transfers and payouts"
    RESTRICTED = "restricted", "Restricted: Stripe needs more information"


class StripeConnectAccount(models.Model):
    """A user's Stripe Connect (Express) account in this brand, where transfers pay their
    withdrawals by Stripe. The flags mirror Stripe's account (``account.updated``, or read back
    when the user returns from onboarding); Stripe stays the source of truth."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="stripe_connect_account")
    account_id = models.CharField(max_length=64, unique=True)
    status = models.CharField(
        max_length=12, choices=StripeConnectStatus.choices, default=StripeConnectStatus.PENDING
    )
    details_submitted = models.BooleanField(default=False)
    payouts_enabled = models.BooleanField(default=False)
    transfers_active = models.BooleanField(default=False)
    requirements_due = models.JSONField(default=list, blank=True)
    disabled_reason = models.CharField(max_length=120, blank=True)
    # The connected account's last failed bank payout ({"payout", "amount", "currency", "code",
    # "message", "at"}): the money is in the affiliate's Stripe balance, they must fix their bank.
    last_payout_failure = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    synced_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.account_id} ({self.status}) for {self.user_id}"
