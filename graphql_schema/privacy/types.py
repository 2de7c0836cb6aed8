from __future__ import annotations

import datetime as dt
from enum import Enum

import strawberry

from graphql_schema.errors import UserError
from privacy import models
from privacy.links import export_download_url
from privacy.selectors import ConsentState


@strawberry.enum(description="The brand's legal documents.")
class LegalDocumentKind(Enum):
    TERMS = "terms"
    PRIVACY = "privacy"


@strawberry.type(description="One published version of the brand's terms or privacy policy.")
class LegalDocument:
    id: strawberry.ID
    kind: LegalDocumentKind
    version: int
    title: str
    body: str = strawberry.field(description="Plain text; blank lines separate paragraphs.")
    published_at: dt.datetime

    @classmethod
    def from_model(cls, document: models.LegalDocument) -> LegalDocument:
        return cls(
            id=strawberry.ID(str(document.pk)),
            kind=LegalDocumentKind(document.kind),
            version=document.version,
            title=document.title,
            body=document.body,
            published_at=document.published_at,
        )


@strawberry.enum
class DataExportStatus(Enum):
    PENDING = "pending"
    READY = "ready"
    FAILED = "failed"
    EXPIRED = "expired"


@strawberry.type(description="A copy of my data, prepared in the background.")
class DataExport:
    id: strawberry.ID
    status: DataExportStatus
    requested_at: dt.datetime
    completed_at: dt.datetime | None
    expires_at: dt.datetime | None
    size_bytes: int
    download_url: str | None = strawberry.field(
        description="A short-lived link to the ZIP (ask again for a fresh one), when it is ready."
    )

    @classmethod
    def from_model(cls, export: models.DataExport) -> DataExport:
        return cls(
            id=strawberry.ID(str(export.pk)),
            status=DataExportStatus(export.status),
            requested_at=export.requested_at,
            completed_at=export.completed_at,
            expires_at=export.expires_at,
            size_bytes=export.size_bytes,
            download_url=export_download_url(export) or None,
        )


@strawberry.enum
class ErasureRequestStatus(Enum):
    REQUESTED = "requested"
    CANCELLED = "cancelled"
    REFUSED = "refused"
    COMPLETED = "completed"


@strawberry.type(description="A request to erase an account.")
class ErasureRequest:
    id: strawberry.ID
    status: ErasureRequestStatus
    user_id: strawberry.ID
    user_email: str = strawberry.field(description="The account's address (a placeholder once erased).")
    reason: str
    requested_at: dt.datetime
    due_at: dt.datetime = strawberry.field(description="When it is processed if nobody decides before.")
    decided_at: dt.datetime | None
    decision_reason: str

    @classmethod
    def from_model(cls, request: models.ErasureRequest) -> ErasureRequest:
        return cls(
            id=strawberry.ID(str(request.pk)),
            status=ErasureRequestStatus(request.status),
            user_id=strawberry.ID(str(request.user_id)),
            user_email=request.user.email,
            reason=request.reason,
            requested_at=request.requested_at,
            due_at=request.due_at,
            decided_at=request.decided_at,
            decision_reason=request.decision_reason,
        )


@strawberry.type(description="My consents and privacy requests in this brand.")
class PrivacyStatus:
    consent_required: bool = strawberry.field(
        description="True when the brand published terms or a privacy policy I have not accepted yet."
    )
    terms_version: int = strawberry.field(description="The version of the terms I accepted (0: none).")
    privacy_version: int
    current_terms_version: int = strawberry.field(description="The brand's current version (0: none).")
    current_privacy_version: int
    terms_accepted_at: dt.datetime | None
    privacy_accepted_at: dt.datetime | None
    marketing_opt_in: bool
    marketing_updated_at: dt.datetime | None
    exports: list[DataExport] = strawberry.field(description="My recent exports, newest first.")
    erasure_request: ErasureRequest | None = strawberry.field(description="My latest erasure request.")

    @classmethod
    def build(
        cls,
        state: ConsentState,
        exports: list[models.DataExport],
        erasure: models.ErasureRequest | None,
    ) -> PrivacyStatus:
        return cls(
            consent_required=state.consent_required,
            terms_version=state.terms_version,
            privacy_version=state.privacy_version,
            current_terms_version=state.current_terms_version,
            current_privacy_version=state.current_privacy_version,
            terms_accepted_at=state.terms_accepted_at,  # type: ignore[arg-type]
            privacy_accepted_at=state.privacy_accepted_at,  # type: ignore[arg-type]
            marketing_opt_in=state.marketing_opt_in,
            marketing_updated_at=state.marketing_updated_at,  # type: ignore[arg-type]
            exports=[DataExport.from_model(export) for export in exports],
            erasure_request=ErasureRequest.from_model(erasure) if erasure is not None else None,
        )


@strawberry.type(description="The brand's privacy settings.")
class PrivacySettings:
    erasure_window_days: int = strawberry.field(
        description="Days between an erasure request and its processing."
    )
    click_retention_days: int = strawberry.field(
        description="Raw clicks older than this are deleted (rollups stay)."
    )
    page_view_retention_days: int = strawberry.field(
        description="Raw page-view keys older than this are deleted."
    )

    @classmethod
    def from_model(cls, row: models.PrivacySettings) -> PrivacySettings:
        return cls(
            erasure_window_days=row.erasure_window_days,
            click_retention_days=row.click_retention_days,
            page_view_retention_days=row.page_view_retention_days,
        )


@strawberry.input
class PrivacySettingsInput:
    erasure_window_days: int | None = None
    click_retention_days: int | None = None
    page_view_retention_days: int | None = None


@strawberry.input
class LegalDocumentPublishInput:
    kind: LegalDocumentKind
    title: str
    body: str


@strawberry.type
class PrivacyStatusPayload:
    privacy: PrivacyStatus | None
    errors: list[UserError]


@strawberry.type
class DataExportPayload:
    export: DataExport | None
    errors: list[UserError]


@strawberry.type
class ErasureRequestPayload:
    erasure_request: ErasureRequest | None
    errors: list[UserError]


@strawberry.type
class LegalDocumentPayload:
    document: LegalDocument | None
    errors: list[UserError]


@strawberry.type
class PrivacySettingsPayload:
    settings: PrivacySettings | None
    errors: list[UserError]
