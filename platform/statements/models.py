"""Monthly statements of affiliates and self-billing invoices, in the brand's schema.

A statement is one person's (``accounts.User``) money in one currency over one calendar month
(UTC), across all their program memberships in that currency: it is computed from the ledger
(``statements.figures``) and frozen in ``figures`` when generated. The ledger is append-only
and every entry carries its time, so regenerating a closed month gives the same figures.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from accounts.models import User
from core.fields import AmountField, RateField


class StatementSettings(models.Model):
    """The brand's statement and self-billing settings: one row (``pk=1``), created on first read."""

    self_billing_enabled = models.BooleanField(default=False)
    # VAT rate (percent) of self-billing invoices for VAT-registered business affiliates.
    self_billing_vat_rate = RateField(default=20)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="statement_settings_singleton")]

    def __str__(self) -> str:
        return "statement settings"


class Statement(models.Model):
    """One affiliate's monthly statement in one currency. ``period`` is the month's first day."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="statements")
    period = models.DateField()
    currency = models.CharField(max_length=3)
    opening_balance = AmountField()
    closing_balance = AmountField()
    # Lines and breakdowns as computed (decimal strings): see statements.figures.StatementFigures.
    figures = models.JSONField(default=dict)
    pdf_key = models.CharField(max_length=255, blank=True)
    csv_key = models.CharField(max_length=255, blank=True)
    generated_at = models.DateTimeField()
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-period", "currency"]
        constraints = [
            models.UniqueConstraint(fields=["user", "period", "currency"], name="statement_one_per_month"),
            models.CheckConstraint(condition=Q(period__day=1), name="statement_period_is_a_month"),
        ]

    def __str__(self) -> str:
        return f"statement {self.user_id} {self.period:%Y-%m} {self.currency}"


class SelfBillingCounter(models.Model):
    """The last self-billing invoice number used for one affiliate (locked to issue the next)."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="+")
    last_sequence = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"self-billing counter {self.user_id}: {self.last_sequence}"


class SelfBillingInvoice(models.Model):
    """An invoice the brand issues on behalf of a business affiliate for a paid withdrawal
    (self-billing). Numbered per affiliate without gaps: ``sequence`` 1, 2, 3…"""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="self_billing_invoices")
    sequence = models.PositiveIntegerField()
    number = models.CharField(max_length=40)
    withdrawal_id = models.BigIntegerField(unique=True)  # payouts.WithdrawalRequest, by id
    currency = models.CharField(max_length=3)
    subtotal = AmountField()
    vat_rate = RateField()
    vat_amount = AmountField()
    total = AmountField()
    vat_applicable = models.BooleanField()
    # The affiliate's billing identity and the brand's, as printed (they may change later).
    issuer = models.JSONField(default=dict)
    recipient = models.JSONField(default=dict)
    pdf_key = models.CharField(max_length=255, blank=True)
    issued_at = models.DateTimeField()

    class Meta:
        ordering = ["-issued_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "sequence"], name="self_billing_sequence_per_user"),
            models.CheckConstraint(
                condition=Q(total=models.F("subtotal") + models.F("vat_amount")),
                name="self_billing_total_adds_up",
            ),
        ]

    def __str__(self) -> str:
        return self.number
