from __future__ import annotations

import strawberry
from graphql import GraphQLError

from graphql_schema.access import not_found, parse_id
from graphql_schema.context import Info
from graphql_schema.kyc.types import KycProfile, KycSettings, KycStatus
from graphql_schema.permissions import IsAuthenticated, IsBrandAdmin
from kyc import models, selectors
from kyc.services import profile_get_or_create

QUEUE_LIMIT = 200


def brand_host_only(info: Info) -> None:
    if info.context.is_root_host:
        raise GraphQLError("KYC belongs to a brand's site.", extensions={"code": "FORBIDDEN"})


def reviewed_profile(id: strawberry.ID) -> models.KycProfile:
    row = models.KycProfile.objects.select_related("user").filter(pk=parse_id(id)).first()
    if row is None:
        raise not_found("KycProfile")
    return row


@strawberry.type
class KycQuery:
    @strawberry.field(
        permission_classes=[IsAuthenticated], description="My KYC profile (an empty draft at first)."
    )
    def my_kyc(self, info: Info) -> KycProfile:
        brand_host_only(info)
        return KycProfile.from_model(profile_get_or_create(info.context.user))

    @strawberry.field(
        permission_classes=[IsBrandAdmin],
        description="KYC profiles to review, oldest submission first (by default those submitted).",
    )
    def kyc_review_queue(self, info: Info, status: KycStatus | None = None) -> list[KycProfile]:
        brand_host_only(info)
        rows = selectors.review_queue(status=status.value if status else None)[:QUEUE_LIMIT]
        return [KycProfile.from_model(row) for row in rows]

    @strawberry.field(permission_classes=[IsBrandAdmin], description="One KYC profile, for its reviewer.")
    def kyc_profile(self, info: Info, id: strawberry.ID) -> KycProfile:
        brand_host_only(info)
        return KycProfile.from_model(reviewed_profile(id))

    @strawberry.field(permission_classes=[IsBrandAdmin], description="The brand's KYC settings.")
    def kyc_settings(self, info: Info) -> KycSettings:
        brand_host_only(info)
        return KycSettings.from_model(selectors.kyc_settings())
