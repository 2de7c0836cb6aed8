"""Reads of KYC: the brand's settings, a user's profile, the reviewers' queue, the identity a
self-billing invoice prints."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet

from accounts.models import User
from kyc.models import DocumentKind, IdType, KycDocument, KycProfile, KycSettings, KycStatus, ProfileKind


def kyc_settings() -> KycSettings:
    """The brand's settings (created with the defaults on first read)."""
    row, _ = KycSettings.objects.get_or_create(pk=1)
    return row


def profile_of(user: User) -> KycProfile | None:
    return KycProfile.objects.filter(user=user).first()


def documents_of(profile: KycProfile) -> QuerySet[KycDocument]:
    return KycDocument.objects.filter(profile=profile).order_by("kind", "-uploaded_at", "-id")


def review_queue(*, status: str | None = None) -> QuerySet[KycProfile]:
    """Profiles for reviewers, oldest submission first; by default those waiting for a decision."""
    rows = KycProfile.objects.select_related("user", "decided_by").exclude(status=KycStatus.DRAFT)
    rows = rows.filter(status=status) if status else rows.filter(status=KycStatus.SUBMITTED)
    return rows.order_by("submitted_at", "id")


def required_document_kinds(profile: KycProfile) -> list[str]:
    """What a profile must carry to be submitted: the ID's front (and back for cards), a selfie,
    and for a business its registration extract."""
    kinds = [DocumentKind.ID_FRONT.value, DocumentKind.SELFIE.value]
    if profile.id_type in (IdType.CIN, IdType.RESIDENCE_CARD):
        kinds.insert(1, DocumentKind.ID_BACK.value)
    if profile.kind == ProfileKind.BUSINESS:
        kinds.append(DocumentKind.COMPANY_REGISTRATION.value)
    return kinds


def earliest_expiry(profile: KycProfile) -> dt.date | None:
    """The first date on which the ID or a current document expires."""
    dates = [profile.id_expiry] if profile.id_expiry else []
    dates += [d for d in documents_of(profile).values_list("expires_on", flat=True) if d]
    return min(dates) if dates else None


@dataclass(frozen=True)
class BillingIdentity:
    """Who a self-billing invoice is issued for (statements), from an approved KYC profile."""

    is_business: bool
    name: str  # the company's name, or the person's legal name
    address: str
    country: str  # ISO 3166-1 alpha-2
    ice: str
    tax_id: str  # IF
    rc: str
    vat_number: str

    @property
    def vat_registered(self) -> bool:
        return bool(self.vat_number)


def billing_identity(user: User) -> BillingIdentity | None:
    """The user's identity for invoices, or None without an approved KYC profile."""
    profile = KycProfile.objects.filter(user=user, status=KycStatus.APPROVED).first()
    if profile is None:
        return None
    business = profile.kind == ProfileKind.BUSINESS
    personal_address = ", ".join(
        part for part in (profile.address, f"{profile.postal_code} {profile.city}".strip()) if part
    )
    return BillingIdentity(
        is_business=business,
        name=profile.company_name if business else profile.legal_name,
        address=profile.registered_address if business else personal_address,
        country=profile.country,
        ice=profile.ice,
        tax_id=profile.tax_id,
        rc=profile.rc,
        vat_number=profile.vat_number,
    )
