"""Reads of privacy data: the brand's settings, published documents, a user's consent state."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, IntegerField, QuerySet, Value, When

from accounts.models import User
from privacy.models import (
    ConsentKind,
    ConsentRecord,
    DataExport,
    DocumentKind,
    ErasureRequest,
    ErasureStatus,
    LegalDocument,
    PrivacySettings,
)


def privacy_settings() -> PrivacySettings:
    """The brand's settings (created with the defaults on first read)."""
    row, _ = PrivacySettings.objects.get_or_create(pk=1)
    return row


def legal_document_current(kind: str) -> LegalDocument | None:
    """The latest published version of ``kind``, or None before the brand publishes one."""
    return LegalDocument.objects.filter(kind=kind).order_by("-version").first()


def legal_document_versions(kind: str) -> QuerySet[LegalDocument]:
    return LegalDocument.objects.filter(kind=kind).order_by("-version")


def current_versions() -> dict[str, int]:
    """``{"terms": n, "privacy": m}`` for the kinds the brand has published (2 queries at most)."""
    versions: dict[str, int] = {}
    for kind in DocumentKind.values:
        document = legal_document_current(kind)
        if document is not None:
            versions[kind] = document.version
    return versions


def latest_consents(user: User) -> dict[str, ConsentRecord]:
    """The user's latest record of each kind (one query)."""
    latest: dict[str, ConsentRecord] = {}
    for record in (
        ConsentRecord.objects.filter(user=user).order_by("kind", "-recorded_at", "-id").distinct("kind")
    ):
        latest[record.kind] = record
    return latest


@dataclass(frozen=True)
class ConsentState:
    terms_version: int  # the version the user accepted last, 0 when none
    privacy_version: int
    current_terms_version: int  # what the brand publishes now, 0 when nothing
    current_privacy_version: int
    marketing_opt_in: bool
    terms_accepted_at: object
    privacy_accepted_at: object
    marketing_updated_at: object

    @property
    def consent_required(self) -> bool:
        """True when the brand published a version the user has not accepted yet."""
        return (
            self.current_terms_version > self.terms_version
            or self.current_privacy_version > self.privacy_version
        )


def consent_state(user: User) -> ConsentState:
    latest = latest_consents(user)
    current = current_versions()

    def accepted(kind: str) -> ConsentRecord | None:
        record = latest.get(kind)
        return record if record is not None and record.granted else None

    terms, privacy, marketing = (
        accepted(ConsentKind.TERMS),
        accepted(ConsentKind.PRIVACY),
        latest.get(ConsentKind.MARKETING),
    )
    return ConsentState(
        terms_version=terms.version if terms else 0,
        privacy_version=privacy.version if privacy else 0,
        current_terms_version=current.get(DocumentKind.TERMS, 0),
        current_privacy_version=current.get(DocumentKind.PRIVACY, 0),
        marketing_opt_in=bool(marketing and marketing.granted),
        terms_accepted_at=terms.recorded_at if terms else None,
        privacy_accepted_at=privacy.recorded_at if privacy else None,
        marketing_updated_at=marketing.recorded_at if marketing else None,
    )


def exports_of(user: User) -> QuerySet[DataExport]:
    return DataExport.objects.filter(user=user).order_by("-requested_at", "-id")


def erasure_requests_of(user: User) -> QuerySet[ErasureRequest]:
    return ErasureRequest.objects.filter(user=user).order_by("-requested_at", "-id")


def erasure_request_open(user: User) -> ErasureRequest | None:
    return ErasureRequest.objects.filter(user=user, status=ErasureStatus.REQUESTED).first()


def erasure_queue(*, status: str | None = None) -> QuerySet[ErasureRequest]:
    """The brand's erasure requests for its admins: open ones first, by due date."""
    rows = ErasureRequest.objects.select_related("user", "decided_by")
    if status:
        rows = rows.filter(status=status)
    open_first = Case(
        When(status=ErasureStatus.REQUESTED, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return rows.order_by(open_first, "due_at", "id")
