"""Fraud rules per program, the review cases they open, and the counters they read."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

from accounts.models import User
from affiliation.models import Affiliate, Conversion, Program
from core.fields import AmountField
from fraud.rules import RULE_ACTIONS, RULES
from payouts.models import WithdrawalRequest


class FraudRuleSetting(models.Model):
    """A program's override of one rule's defaults (``fraud.rules``). No row: the defaults."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="fraud_rules")
    code = models.CharField(max_length=40, choices=[(rule.code, rule.code) for rule in RULES])
    enabled = models.BooleanField(default=True)
    threshold = AmountField(null=True, blank=True)
    action = models.CharField(max_length=10, choices=[(action, action) for action in RULE_ACTIONS])
    # country_not_allowed: the ISO 3166 alpha-2 codes the program accepts.
    countries = ArrayField(models.CharField(max_length=2), default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "code"], name="fraud_rule_once_per_program")
        ]

    def __str__(self) -> str:
        return f"{self.code}@{self.program_id}"


class CaseKind(models.TextChoices):
    CONVERSION = "conversion", "A sale"
    CLICKS = "clicks", "Clicks of an affiliate in an hour"
    SIGNUP = "signup", "An affiliate joining"
    WITHDRAWAL = "withdrawal", "A withdrawal request"


class CaseStatus(models.TextChoices):
    OPEN = "open", "Open"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class FraudCase(models.Model):
    """What the rules found on one item, for a brand admin to decide. ``reasons``: one
    ``{"code", "action", "facts"}`` per rule that tripped (the audit keeps them). A case the
    rules rejected at once is created REJECTED (no reviewer)."""

    kind = models.CharField(max_length=12, choices=CaseKind.choices)
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="fraud_cases")
    affiliate = models.ForeignKey(Affiliate, on_delete=models.CASCADE, related_name="fraud_cases")
    conversion = models.ForeignKey(
        Conversion, on_delete=models.CASCADE, null=True, blank=True, related_name="fraud_cases"
    )
    withdrawal = models.ForeignKey(
        WithdrawalRequest, on_delete=models.CASCADE, null=True, blank=True, related_name="fraud_cases"
    )
    # One case per item: "conversion:<id>", "clicks:<affiliate>:<hour>", "signup:<affiliate>"…
    key = models.CharField(max_length=120, unique=True)
    action = models.CharField(max_length=10)  # the strictest action of its rules
    rule_codes = ArrayField(models.CharField(max_length=40), default=list)
    score = models.PositiveSmallIntegerField(default=0)
    reasons = models.JSONField(default=list)
    # clicks cases: suspicious clicks counted so far
    click_count = models.PositiveIntegerField(default=0)
    # clicks cases: {per-click commission's ``click_batch_key``: suspicious clicks it pays for}
    # (unique and not refused by a reject rule): what rejecting the case takes back.
    click_pay = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    reviewer = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)
    # Every decision: [{"at", "by", "decision", "note"}] (also in core's audit log).
    history = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-score", "-created_at"], name="fraud_case_queue"),
            models.Index(fields=["affiliate", "status"], name="fraud_case_affiliate"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(score__lte=100), name="fraud_case_score_bounded"),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.status})"


class AffiliateHour(models.Model):
    """Counters per affiliate and hour that the conversion rules read (velocity, late sales,
    refunds) without scanning the conversions: one upsert per sale."""

    affiliate_id = models.BigIntegerField()
    hour = models.DateTimeField()
    conversions = models.PositiveIntegerField(default=0)
    with_click = models.PositiveIntegerField(default=0)
    late = models.PositiveIntegerField(default=0)  # over 24 h after the click
    refunded = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["affiliate_id", "hour"], name="fraud_affiliate_hour_unique")
        ]

    def __str__(self) -> str:
        return f"{self.affiliate_id}/{self.hour:%Y-%m-%dT%H}"


class ClickHour(models.Model):
    """Clicks per affiliate and hour as the drain screened them: one upsert per batch."""

    affiliate_id = models.BigIntegerField()
    hour = models.DateTimeField()
    clicks = models.PositiveIntegerField(default=0)
    suspicious = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["affiliate_id", "hour"], name="fraud_click_hour_unique")
        ]

    def __str__(self) -> str:
        return f"{self.affiliate_id}/{self.hour:%Y-%m-%dT%H}: {self.clicks}"
