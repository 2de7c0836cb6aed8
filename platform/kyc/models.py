"""KYC: who a paid user is. One profile per user (an individual or a business), its documents
in the brand's private storage, and the brand's KYC settings. Every table lives in the brand's
schema (README "KYC")."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

from accounts.models import User


def default_required_roles() -> list[str]:
    """None by default: a brand turns KYC on for its affiliates and/or merchants."""
    return []


class KycSettings(models.Model):
    """The brand's KYC settings: one row (``pk=1``), created with defaults on first read."""

    # Roles whose payouts need an approved KYC profile (affiliate, merchant).
    required_roles = ArrayField(models.CharField(max_length=20), default=default_required_roles, blank=True)
    # KYC is required once a user's cumulative payouts (this one included) pass this amount,
    # in the withdrawal's currency; 0 = always.
    payout_threshold = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    # Documents of a closed account (deactivated or erased) are deleted this many days after.
    retention_days = models.PositiveIntegerField(default=365)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="kyc_settings_singleton")]

    def __str__(self) -> str:
        return "kyc settings"


class ProfileKind(models.TextChoices):
    INDIVIDUAL = "individual", "Individual"
    BUSINESS = "business", "Business"


class KycStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    NEEDS_MORE_INFO = "needs_more_info", "Needs more information"
    EXPIRED = "expired", "Expired"


class IdType(models.TextChoices):
    CIN = "cin", "National identity card (CIN)"
    PASSPORT = "passport", "Passport"
    RESIDENCE_CARD = "residence_card", "Residence card"


class KycProfile(models.Model):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="kyc_profile")
    kind = models.CharField(max_length=10, choices=ProfileKind.choices, default=ProfileKind.INDIVIDUAL)
    status = models.CharField(max_length=16, choices=KycStatus.choices, default=KycStatus.DRAFT)
    # Individual (for a business: its legal representative's identity).
    legal_name = models.CharField(max_length=150, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    nationality = models.CharField(max_length=2, blank=True)  # ISO 3166-1 alpha-2
    address = models.CharField(max_length=300, blank=True)
    city = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, blank=True, default="MA")
    id_type = models.CharField(max_length=16, choices=IdType.choices, blank=True)
    id_number = models.CharField(max_length=30, blank=True)
    id_expiry = models.DateField(null=True, blank=True)
    # Business.
    company_name = models.CharField(max_length=200, blank=True)
    ice = models.CharField(max_length=15, blank=True)
    rc = models.CharField(max_length=30, blank=True)
    tax_id = models.CharField(max_length=10, blank=True)  # IF (identifiant fiscal)
    vat_number = models.CharField(max_length=20, blank=True)  # TVA; empty = not VAT-registered
    legal_representative = models.CharField(max_length=150, blank=True)
    registered_address = models.CharField(max_length=300, blank=True)
    # Bank account: an IBAN, or a Moroccan RIB (24 digits) kept as its IBAN.
    iban = models.CharField(max_length=34, blank=True)
    # Review.
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    decision_reason = models.CharField(max_length=1000, blank=True)  # rejection reason / what is missing
    expiry_notified_for = models.DateField(null=True, blank=True)  # the expiry date already warned of
    closed_at = models.DateTimeField(null=True, blank=True)  # first seen closed by the retention job
    documents_purged_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["status", "submitted_at"], name="kyc_profile_queue")]

    def __str__(self) -> str:
        return f"kyc of {self.user_id} ({self.status})"


class DocumentKind(models.TextChoices):
    ID_FRONT = "id_front", "ID, front"
    ID_BACK = "id_back", "ID, back"
    SELFIE = "selfie", "Selfie"
    COMPANY_REGISTRATION = "company_registration", "Company registration"


class KycDocument(models.Model):
    """A file in the brand's private storage (``<schema>/kyc/<user>/<uuid>.<ext>``): never
    public; reviewers open it through a short-lived signed link (kyc.links)."""

    profile = models.ForeignKey(KycProfile, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=24, choices=DocumentKind.choices)
    file_key = models.CharField(max_length=300)
    content_type = models.CharField(max_length=40)
    size_bytes = models.PositiveIntegerField()
    expires_on = models.DateField(null=True, blank=True)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "-uploaded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} of profile {self.profile_id}"
