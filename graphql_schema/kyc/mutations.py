from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import strawberry
from strawberry.file_uploads import Upload

from graphql_schema.access import not_found, parse_id
from graphql_schema.context import Info
from graphql_schema.errors import handle_user_errors, keep_on_error
from graphql_schema.kyc.queries import brand_host_only, reviewed_profile
from graphql_schema.kyc.types import (
    KycDecision,
    KycDocument,
    KycDocumentDeletePayload,
    KycDocumentKind,
    KycDocumentLinkPayload,
    KycDocumentPayload,
    KycProfile,
    KycProfileInput,
    KycProfilePayload,
    KycSettings,
    KycSettingsInput,
    KycSettingsPayload,
)
from graphql_schema.permissions import IsAuthenticated, IsBrandAdmin
from kyc import models, services
from kyc.links import document_link


def _values(input: KycProfileInput) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for field in dataclasses.fields(input):
        value = getattr(input, field.name)
        if value is strawberry.UNSET or value is None:
            continue
        is_enum = hasattr(value, "value") and not isinstance(value, dt.date)
        values[field.name] = value.value if is_enum else value
    return values


@strawberry.type
class KycMutation:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Save my KYC draft; every field is checked and each error comes on its field.",
    )
    @handle_user_errors
    def kyc_save_draft(self, info: Info, input: KycProfileInput) -> KycProfilePayload:
        brand_host_only(info)
        user = info.context.user
        keep_on_error(profile=lambda: KycProfile.from_model(services.profile_get_or_create(user)))
        profile = services.profile_save_draft(user=user, values=_values(input))
        return KycProfilePayload(profile=KycProfile.from_model(profile), errors=[])

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description=(
            "Upload a document of my KYC profile (GraphQL multipart request): JPEG, PNG, WebP or PDF, "
            "judged by content; images are re-encoded without their metadata. Replaces my former "
            "document of that kind."
        ),
    )
    @handle_user_errors
    def kyc_document_upload(
        self, info: Info, kind: KycDocumentKind, file: Upload, expires_on: dt.date | None = None
    ) -> KycDocumentPayload:
        brand_host_only(info)
        document = services.document_upload(
            user=info.context.user, kind=kind.value, file=file, expires_on=expires_on
        )
        return KycDocumentPayload(document=KycDocument.from_model(document), errors=[])

    @strawberry.mutation(permission_classes=[IsAuthenticated], description="Remove a document of my draft.")
    @handle_user_errors
    def kyc_document_delete(self, info: Info, id: strawberry.ID) -> KycDocumentDeletePayload:
        brand_host_only(info)
        document = models.KycDocument.objects.filter(pk=parse_id(id), profile__user=info.context.user).first()
        if document is None:
            raise not_found("KycDocument")
        services.document_delete(user=info.context.user, document=document)
        return KycDocumentDeletePayload(deleted_id=id, errors=[])

    @strawberry.mutation(permission_classes=[IsAuthenticated], description="Send my KYC profile for review.")
    @handle_user_errors
    def kyc_submit(self, info: Info) -> KycProfilePayload:
        brand_host_only(info)
        user = info.context.user
        keep_on_error(profile=lambda: KycProfile.from_model(services.profile_get_or_create(user)))
        profile = services.profile_submit(user=user)
        return KycProfilePayload(profile=KycProfile.from_model(profile), errors=[])

    @strawberry.mutation(
        permission_classes=[IsBrandAdmin],
        description=(
            "Decide on a submitted profile: approve, reject (reason required) or ask for more information."
        ),
    )
    @handle_user_errors
    def kyc_decide(
        self, info: Info, id: strawberry.ID, decision: KycDecision, reason: str = ""
    ) -> KycProfilePayload:
        brand_host_only(info)
        profile = reviewed_profile(id)
        keep_on_error(profile=lambda: KycProfile.from_model(profile))
        decided = services.profile_decide(
            actor=info.context.user, profile=profile, decision=decision.value, reason=reason
        )
        return KycProfilePayload(profile=KycProfile.from_model(decided), errors=[])

    @strawberry.mutation(
        permission_classes=[IsBrandAdmin],
        description="A short-lived link to a KYC document, valid for me only (reviewers).",
    )
    @handle_user_errors
    def kyc_document_link(self, info: Info, id: strawberry.ID) -> KycDocumentLinkPayload:
        brand_host_only(info)
        document = models.KycDocument.objects.filter(pk=parse_id(id)).first()
        if document is None:
            raise not_found("KycDocument")
        return KycDocumentLinkPayload(url=document_link(document, viewer=info.context.user), errors=[])

    @strawberry.mutation(permission_classes=[IsBrandAdmin], description="Change the brand's KYC settings.")
    @handle_user_errors
    def kyc_settings_update(self, info: Info, input: KycSettingsInput) -> KycSettingsPayload:
        brand_host_only(info)
        row = services.kyc_settings_update(
            actor=info.context.user,
            required_roles=input.required_roles,
            payout_threshold=input.payout_threshold,
            retention_days=input.retention_days,
        )
        return KycSettingsPayload(settings=KycSettings.from_model(row), errors=[])
