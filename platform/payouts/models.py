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
