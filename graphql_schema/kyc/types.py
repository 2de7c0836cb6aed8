from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import Enum

import strawberry

from graphql_schema.errors import UserError
from kyc import models
from kyc.selectors import documents_of, required_document_kinds


@strawberry.enum
class KycStatus(Enum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    NEEDS_MORE_INFO = "needs_more_info"
    EXPIRED = "expired"


@strawberry.enum
class KycProfileKind(Enum):
    INDIVIDUAL = "individual"
    BUSINESS = "business"


@strawberry.enum
class KycIdType(Enum):
    CIN = "cin"
    PASSPORT = "passport"
    RESIDENCE_CARD = "residence_card"


@strawberry.enum
class KycDocumentKind(Enum):
    ID_FRONT = "id_front"
    ID_BACK = "id_back"
    SELFIE = "selfie"
    COMPANY_REGISTRATION = "company_registration"


@strawberry.enum
class KycDecision(Enum):
    APPROVED = "approved"
    REJECTED = "rejected"
    NEEDS_MORE_INFO = "needs_more_info"


@strawberry.type(
    description="A document of a KYC profile (the file itself only through a reviewer's signed link)."
)
class KycDocument:
    id: strawberry.ID
    kind: KycDocumentKind
    content_type: str = strawberry.field(
        description="Judged by content: image/jpeg, image/png, image/webp or application/pdf."
    )
    size_bytes: int
    expires_on: dt.date | None
    uploaded_at: dt.datetime

    @classmethod
    def from_model(cls, row: models.KycDocument) -> KycDocument:
        return cls(
            id=strawberry.ID(str(row.pk)),
            kind=KycDocumentKind(row.kind),
            content_type=row.content_type,
            size_bytes=row.size_bytes,
            expires_on=row.expires_on,
            uploaded_at=row.uploaded_at,
        )


@strawberry.type(description="Who a paid user is: an individual or a business, reviewed by the brand.")
class KycProfile:
    id: strawberry.ID
    user_id: strawberry.ID
    user_email: str
    kind: KycProfileKind
    status: KycStatus
    legal_name: str
    date_of_birth: dt.date | None
    nationality: str
    address: str
    city: str
    postal_code: str
    country: str
    id_type: KycIdType | None
    id_number: str
    id_expiry: dt.date | None
    company_name: str
    ice: str
    rc: str
    tax_id: str = strawberry.field(description="The identifiant fiscal (IF).")
    vat_number: str = strawberry.field(description="The TVA number; empty when not VAT-registered.")
    legal_representative: str
    registered_address: str
    iban: str = strawberry.field(
        description="The bank account as an IBAN (a Moroccan RIB is kept as its IBAN)."
    )
    submitted_at: dt.datetime | None
    decided_at: dt.datetime | None
    decision_reason: str = strawberry.field(description="Why it was rejected, or what is missing.")
    documents: list[KycDocument]
    required_documents: list[KycDocumentKind]

    @classmethod
    def from_model(cls, row: models.KycProfile) -> KycProfile:
        return cls(
            id=strawberry.ID(str(row.pk)),
            user_id=strawberry.ID(str(row.user_id)),
            user_email=row.user.email,
            kind=KycProfileKind(row.kind),
            status=KycStatus(row.status),
            legal_name=row.legal_name,
            date_of_birth=row.date_of_birth,
            nationality=row.nationality,
            address=row.address,
            city=row.city,
            postal_code=row.postal_code,
            country=row.country,
            id_type=KycIdType(row.id_type) if row.id_type else None,
            id_number=row.id_number,
            id_expiry=row.id_expiry,
            company_name=row.company_name,
            ice=row.ice,
            rc=row.rc,
            tax_id=row.tax_id,
            vat_number=row.vat_number,
            legal_representative=row.legal_representative,
            registered_address=row.registered_address,
            iban=row.iban,
            submitted_at=row.submitted_at,
            decided_at=row.decided_at,
            decision_reason=row.decision_reason,
            documents=[KycDocument.from_model(d) for d in documents_of(row)],
            required_documents=[KycDocumentKind(k) for k in required_document_kinds(row)],
        )


@strawberry.input(
    description="Fields of my KYC draft: absent or null leaves a field as is, an empty string clears it."
)
class KycProfileInput:
    kind: KycProfileKind | None = None
    legal_name: str | None = None
    date_of_birth: dt.date | None = None
    nationality: str | None = None
    address: str | None = None
    city: str | None = None
    postal_code: str | None = None
    country: str | None = None
    id_type: KycIdType | None = None
    id_number: str | None = None
    id_expiry: dt.date | None = None
    company_name: str | None = None
    ice: str | None = None
    rc: str | None = None
    tax_id: str | None = None
    vat_number: str | None = None
    legal_representative: str | None = None
    registered_address: str | None = None
    iban: str | None = strawberry.field(default=None, description="An IBAN or a Moroccan RIB (24 digits).")


@strawberry.type
class KycSettings:
    required_roles: list[str] = strawberry.field(
        description="Roles whose payouts need an approved KYC: affiliate, merchant."
    )
    payout_threshold: Decimal = strawberry.field(
        description="KYC is required once the user's cumulative payouts pass this amount; 0 = always."
    )
    retention_days: int = strawberry.field(
        description="Documents are deleted this many days after account closure."
    )

    @classmethod
    def from_model(cls, row: models.KycSettings) -> KycSettings:
        return cls(
            required_roles=list(row.required_roles),
            payout_threshold=row.payout_threshold,
            retention_days=row.retention_days,
        )


@strawberry.input
class KycSettingsInput:
    required_roles: list[str] | None = None
    payout_threshold: Decimal | None = None
    retention_days: int | None = None


@strawberry.type
class KycProfilePayload:
    profile: KycProfile | None
    errors: list[UserError]


@strawberry.type
class KycDocumentPayload:
    document: KycDocument | None
    errors: list[UserError]


@strawberry.type
class KycDocumentDeletePayload:
    deleted_id: strawberry.ID | None
    errors: list[UserError]


@strawberry.type
class KycDocumentLinkPayload:
    url: str | None = strawberry.field(
        description="A path on the brand's host, valid a few minutes, for you only."
    )
    errors: list[UserError]


@strawberry.type
class KycSettingsPayload:
    settings: KycSettings | None
    errors: list[UserError]
