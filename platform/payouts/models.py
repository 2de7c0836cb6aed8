"""Withdrawal requests: an affiliate asks for available money; a brand admin approves, pays
or rejects. The money moves in the ledger (available → reserved → paid, or back).

Automated payouts: a payout run sends approved withdrawals of one method to its provider
(PayPal Payouts, Stripe Connect) as one batch; each withdrawal is an item of the run, and
``processing`` until the provider's outcome comes back (``paid`` or ``failed``)."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q

from accounts.models import User
from affiliation.models import Affiliate, WithdrawalMethod
from core.fields import AmountField


class WithdrawalStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    APPROVED = "approved", "Approved"
    PROCESSING = "processing", "Processing"  # sent to a payout provider, outcome pending
    PAID = "paid", "Paid"
    FAILED = "failed", "Failed"  # the provider failed or returned it: the money is available again
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
    # The provider's message when an automated payout failed or was returned.
    failure_reason = models.CharField(max_length=500, blank=True)
    # Why it is on hold ("": not held): a fraud review holds it until released; a held withdrawal
    # cannot be approved, marked paid or put in a payout run (``services.withdrawals``).
    hold_reason = models.CharField(max_length=200, blank=True)
    held_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "requested_at"], name="payouts_withdrawal_queue")]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payouts_withdrawal_positive")]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} for {self.affiliate_id} ({self.status})"


class PayoutSettings(models.Model):
    """The brand's payout settings: one row (``pk=1``), created with defaults on first read."""

    # Withdrawals at or below this amount (in the withdrawal's currency) are approved when
    # requested; 0 means every withdrawal waits for a brand admin.
    auto_approve_threshold = AmountField(default=Decimal(0))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="payouts_settings_singleton"),
            models.CheckConstraint(
                condition=Q(auto_approve_threshold__gte=0), name="payouts_threshold_positive"
            ),
        ]

    def __str__(self) -> str:
        return "payout settings"


class PayoutRunStatus(models.TextChoices):
    # Recorded, items included; the batch may or may not have reached the provider yet (a crash
    # here is recovered by sending again: the provider is idempotent on the batch reference).
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"  # the provider accepted the batch; outcomes arrive by webhooks
    COMPLETED = "completed", "Completed"  # every item has a final outcome
    # The provider refused the whole batch (nothing paid): its withdrawals are approved again.
    REFUSED = "refused", "Refused"


class PayoutRun(models.Model):
    """One batch of approved withdrawals of one method sent to its payout provider."""

    provider = models.CharField(max_length=20)
    # What the provider deduplicates on (PayPal's sender_batch_id): "<schema>.run<id>".
    batch_reference = models.CharField(max_length=100, unique=True, null=True, blank=True)
    remote_batch_id = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=10, choices=PayoutRunStatus.choices, default=PayoutRunStatus.SENDING)
    # {currency: "total"}: a run may pay withdrawals of programs in several currencies.
    totals = models.JSONField(default=dict)
    item_count = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)  # the last send attempt's failure
    send_attempts = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"payout run {self.pk} ({self.provider}, {self.status})"


class PayoutItemStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    RETURNED = "returned", "Returned"  # succeeded, then returned or reversed
    CANCELED = "canceled", "Canceled"  # its batch was refused: never sent


class PayoutRunItem(models.Model):
    """One withdrawal in a run. A withdrawal has at most one item that is not ``canceled`` (a
    failed item ends the withdrawal as ``failed``: the affiliate asks again)."""

    run = models.ForeignKey(PayoutRun, on_delete=models.PROTECT, related_name="items")
    withdrawal = models.ForeignKey(WithdrawalRequest, on_delete=models.PROTECT, related_name="payout_items")
    # "<schema>.w<withdrawal id>": PayPal's sender_item_id, Stripe's idempotency key.
    reference = models.CharField(max_length=100)
    remote_id = models.CharField(max_length=100, blank=True)
    status = models.CharField(
        max_length=10, choices=PayoutItemStatus.choices, default=PayoutItemStatus.PENDING
    )
    error = models.CharField(max_length=500, blank=True)
    last_event_id = models.CharField(max_length=100, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["withdrawal"],
                condition=~Q(status="canceled"),
                name="payouts_one_live_item_per_withdrawal",
            )
        ]

    def __str__(self) -> str:
        return f"{self.reference} ({self.status})"


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
