"""GDPR: consents to the brand's versioned terms and privacy policy, data exports, erasure
requests and the brand's retention settings. Every table lives in the brand's schema."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import User

TITLE_MAX_LENGTH = 200
BODY_MAX_LENGTH = 100_000
REASON_MAX_LENGTH = 1000


class PrivacySettings(models.Model):
    """The brand's privacy settings: one row (``pk=1``), created with defaults on first read."""

    erasure_window_days = models.PositiveIntegerField(default=30)
    click_retention_days = models.PositiveIntegerField(default=400)
    page_view_retention_days = models.PositiveIntegerField(default=400)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="privacy_settings_singleton")]

    def __str__(self) -> str:
        return "privacy settings"


class DocumentKind(models.TextChoices):
    TERMS = "terms", "Terms of service"
    PRIVACY = "privacy", "Privacy policy"


class LegalDocument(models.Model):
    """One published version of the brand's terms or privacy policy. Versions are never edited:
    publishing makes the next one, and users who accepted an older one are asked again."""

    kind = models.CharField(max_length=10, choices=DocumentKind.choices)
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    body = models.TextField(max_length=BODY_MAX_LENGTH)
    published_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["kind", "-version"]
        constraints = [models.UniqueConstraint(fields=["kind", "version"], name="privacy_document_version")]

    def __str__(self) -> str:
        return f"{self.kind} v{self.version}"


class ConsentKind(models.TextChoices):
    TERMS = "terms", "Terms of service"
    PRIVACY = "privacy", "Privacy policy"
    MARKETING = "marketing", "Marketing emails"


class ConsentSource(models.TextChoices):
    SIGNUP = "signup", "Signup"
    REACCEPTANCE = "reacceptance", "Re-acceptance"
    SETTINGS = "settings", "Privacy settings"


class ConsentRecord(models.Model):
    """An append-only record of what a user agreed to (or withdrew), and when. The user's
    current state of a kind is its latest record."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="consents")
    kind = models.CharField(max_length=10, choices=ConsentKind.choices)
    version = models.PositiveIntegerField(default=0)  # the document's version; 0 for marketing
    granted = models.BooleanField()
    source = models.CharField(max_length=12, choices=ConsentSource.choices)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [models.Index(fields=["user", "kind", "-recorded_at"], name="privacy_consent_latest")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} v{self.version} {'granted' if self.granted else 'withdrawn'}"


class ExportStatus(models.TextChoices):
    PENDING = "pending", "Being prepared"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired"


class DataExport(models.Model):
    """A ZIP of everything the brand holds about a user, built by a Celery task and kept in
    the brand's private storage (``<schema>/exports/...``) until ``expires_at``."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="data_exports")
    status = models.CharField(max_length=10, choices=ExportStatus.choices, default=ExportStatus.PENDING)
    requested_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    file_key = models.CharField(max_length=300, blank=True)
    size_bytes = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"export {self.pk} of {self.user_id} ({self.status})"


class ErasureStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    CANCELLED = "cancelled", "Cancelled by the user"
    REFUSED = "refused", "Refused"
    COMPLETED = "completed", "Completed"


class ErasureRequest(models.Model):
    """A user's request to be forgotten. Processed when ``due_at`` comes (the brand's legal
    window) or earlier by a brand admin; the account is then anonymised, while the ledger,
    invoices and amounts stay (accounting retention)."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="erasure_requests")
    status = models.CharField(max_length=10, choices=ErasureStatus.choices, default=ErasureStatus.REQUESTED)
    reason = models.CharField(max_length=REASON_MAX_LENGTH, blank=True)  # the user's, optional
    requested_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # Why it was refused, or how it was processed ("legal window elapsed", "processed by an admin").
    decision_reason = models.CharField(max_length=REASON_MAX_LENGTH, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(status="requested"), name="privacy_one_open_erasure_per_user"
            )
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="privacy_erasure_due")]

    def __str__(self) -> str:
        return f"erasure of {self.user_id} ({self.status})"
