from __future__ import annotations

import strawberry
from graphql import GraphQLError

from graphql_schema.context import Info
from graphql_schema.permissions import IsAuthenticated, IsBrandAdmin
from graphql_schema.privacy.types import (
    ErasureRequest,
    ErasureRequestStatus,
    LegalDocument,
    LegalDocumentKind,
    PrivacySettings,
    PrivacyStatus,
)
from privacy import selectors

ERASURE_QUEUE_LIMIT = 200


def brand_host_only(info: Info) -> None:
    if info.context.is_root_host:
        raise GraphQLError("Privacy settings belong to a brand's site.", extensions={"code": "FORBIDDEN"})


def my_privacy_status(user: object) -> PrivacyStatus:
    return PrivacyStatus.build(
        selectors.consent_state(user),  # type: ignore[arg-type]
        list(selectors.exports_of(user)[:5]),  # type: ignore[arg-type]
        selectors.erasure_requests_of(user).select_related("user").first(),  # type: ignore[arg-type]
    )


@strawberry.type
class PrivacyQuery:
    @strawberry.field(
        description="The current version of the brand's terms or privacy policy (public), or null."
    )
    def legal_document(self, info: Info, kind: LegalDocumentKind) -> LegalDocument | None:
        if info.context.is_root_host:
            return None
        document = selectors.legal_document_current(kind.value)
        return LegalDocument.from_model(document) if document is not None else None

    @strawberry.field(permission_classes=[IsBrandAdmin], description="Every published version, newest first.")
    def legal_document_versions(self, info: Info, kind: LegalDocumentKind) -> list[LegalDocument]:
        return [LegalDocument.from_model(doc) for doc in selectors.legal_document_versions(kind.value)[:100]]

    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="My consents, data exports and erasure request; consentRequired asks for re-acceptance.",
    )
    def my_privacy(self, info: Info) -> PrivacyStatus:
        brand_host_only(info)
        return my_privacy_status(info.context.user)

    @strawberry.field(permission_classes=[IsBrandAdmin], description="The brand's privacy settings.")
    def privacy_settings(self, info: Info) -> PrivacySettings:
        return PrivacySettings.from_model(selectors.privacy_settings())

    @strawberry.field(
        permission_classes=[IsBrandAdmin],
        description=f"Erasure requests of the brand, pending ones first (at most {ERASURE_QUEUE_LIMIT}).",
    )
    def erasure_requests(
        self, info: Info, status: ErasureRequestStatus | None = None
    ) -> list[ErasureRequest]:
        rows = selectors.erasure_queue(status=status.value if status is not None else None)
        return [ErasureRequest.from_model(row) for row in rows[:ERASURE_QUEUE_LIMIT]]
