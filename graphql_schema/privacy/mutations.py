from __future__ import annotations

import strawberry

from graphql_schema.access import not_found, parse_id
from graphql_schema.context import Info
from graphql_schema.errors import handle_user_errors, keep_on_error
from graphql_schema.permissions import IsAuthenticated, IsBrandAdmin
from graphql_schema.privacy.queries import brand_host_only, my_privacy_status
from graphql_schema.privacy.types import (
    DataExport,
    DataExportPayload,
    ErasureRequest,
    ErasureRequestPayload,
    LegalDocument,
    LegalDocumentPayload,
    LegalDocumentPublishInput,
    PrivacySettings,
    PrivacySettingsInput,
    PrivacySettingsPayload,
    PrivacyStatusPayload,
)
from privacy import models, services


def _erasure(id: strawberry.ID) -> models.ErasureRequest:
    row = models.ErasureRequest.objects.select_related("user").filter(pk=parse_id(id)).first()
    if row is None:
        raise not_found("ErasureRequest")
    return row


@strawberry.type
class PrivacyMutation:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Ask for a ZIP of my data; I am emailed when it is ready (one request a day).",
    )
    @handle_user_errors
    def data_export_request(self, info: Info) -> DataExportPayload:
        brand_host_only(info)
        export = services.data_export_request(user=info.context.user)
        return DataExportPayload(export=DataExport.from_model(export), errors=[])

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Ask for my account to be erased after the brand's legal window (cancellable till then).",
    )
    @handle_user_errors
    def erasure_request(self, info: Info, reason: str = "") -> ErasureRequestPayload:
        brand_host_only(info)
        row = services.erasure_request(user=info.context.user, reason=reason)
        return ErasureRequestPayload(erasure_request=ErasureRequest.from_model(row), errors=[])

    @strawberry.mutation(
        permission_classes=[IsAuthenticated], description="Cancel my pending erasure request."
    )
    @handle_user_errors
    def erasure_cancel(self, info: Info, id: strawberry.ID) -> ErasureRequestPayload:
        brand_host_only(info)
        row = _erasure(id)
        if row.user_id != info.context.user.pk:
            raise not_found("ErasureRequest")
        keep_on_error(erasure_request=lambda: ErasureRequest.from_model(row))
        row = services.erasure_cancel(user=info.context.user, request=row)
        return ErasureRequestPayload(erasure_request=ErasureRequest.from_model(row), errors=[])

    @strawberry.mutation(
        permission_classes=[IsBrandAdmin],
        description="Anonymise the account now, without waiting for the window.",
    )
    @handle_user_errors
    def erasure_process(self, info: Info, id: strawberry.ID, reason: str = "") -> ErasureRequestPayload:
        row = _erasure(id)
        keep_on_error(erasure_request=lambda: ErasureRequest.from_model(row))
        row = services.erasure_process(actor=info.context.user, request=row, reason=reason)
        return ErasureRequestPayload(erasure_request=ErasureRequest.from_model(row), errors=[])

    @strawberry.mutation(
        permission_classes=[IsBrandAdmin], description="Refuse an erasure request, saying why."
    )
    @handle_user_errors
    def erasure_refuse(self, info: Info, id: strawberry.ID, reason: str) -> ErasureRequestPayload:
        row = _erasure(id)
        keep_on_error(erasure_request=lambda: ErasureRequest.from_model(row))
        row = services.erasure_refuse(actor=info.context.user, request=row, reason=reason)
        return ErasureRequestPayload(erasure_request=ErasureRequest.from_model(row), errors=[])

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Accept the brand's current terms and privacy policy.",
    )
    @handle_user_errors
    def consent_accept(self, info: Info) -> PrivacyStatusPayload:
        brand_host_only(info)
        user = info.context.user
        keep_on_error(privacy=lambda: my_privacy_status(user))
        services.consent_accept_current(user=user)
        return PrivacyStatusPayload(privacy=my_privacy_status(user), errors=[])

    @strawberry.mutation(
        permission_classes=[IsAuthenticated], description="Opt in or out of marketing emails."
    )
    @handle_user_errors
    def marketing_consent_set(self, info: Info, opt_in: bool) -> PrivacyStatusPayload:
        brand_host_only(info)
        user = info.context.user
        services.marketing_consent_set(user=user, opt_in=opt_in)
        return PrivacyStatusPayload(privacy=my_privacy_status(user), errors=[])

    @strawberry.mutation(
        permission_classes=[IsBrandAdmin],
        description="Publish a new version of the terms or privacy policy; users are asked to accept it.",
    )
    @handle_user_errors
    def legal_document_publish(self, info: Info, input: LegalDocumentPublishInput) -> LegalDocumentPayload:
        document = services.legal_document_publish(
            actor=info.context.user, kind=input.kind.value, title=input.title, body=input.body
        )
        return LegalDocumentPayload(document=LegalDocument.from_model(document), errors=[])

    @strawberry.mutation(
        permission_classes=[IsBrandAdmin], description="Change the brand's privacy settings."
    )
    @handle_user_errors
    def privacy_settings_update(self, info: Info, input: PrivacySettingsInput) -> PrivacySettingsPayload:
        row = services.privacy_settings_update(
            actor=info.context.user,
            erasure_window_days=input.erasure_window_days,
            click_retention_days=input.click_retention_days,
            page_view_retention_days=input.page_view_retention_days,
        )
        return PrivacySettingsPayload(settings=PrivacySettings.from_model(row), errors=[])
