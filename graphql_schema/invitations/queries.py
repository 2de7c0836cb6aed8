from __future__ import annotations

import strawberry

from accounts.selectors import invitation_by_token, invitations_list, user_by_email
from graphql_schema.accounts.types import Role
from graphql_schema.context import Info
from graphql_schema.invitations.types import (
    BrandSetupChecklist,
    Invitation,
    InvitationPreview,
    SetupChecklistItem,
)
from graphql_schema.permissions import IsBrandAdmin
from provisioning.onboarding import brand_setup_checklist


@strawberry.type
class InvitationQuery:
    @strawberry.field(
        permission_classes=[IsBrandAdmin],
        description="The brand's invitations, newest first (at most 200), in every status.",
    )
    def invitations(self, info: Info) -> list[Invitation]:
        return [Invitation.from_model(invitation) for invitation in invitations_list()]

    @strawberry.field(
        description=(
            "The open invitation of a link's token on this brand's host, for the acceptance page; "
            "null when the token is invalid, expired, revoked, used or of another brand."
        )
    )
    def invitation_preview(self, info: Info, token: str) -> InvitationPreview | None:
        if info.context.is_root_host:
            return None
        invitation = invitation_by_token(token)
        if invitation is None:
            return None
        return InvitationPreview(
            email=invitation.email,
            role=Role(invitation.role),
            full_name=invitation.full_name,
            expires_at=invitation.expires_at,
            account_exists=user_by_email(invitation.email) is not None,
        )

    @strawberry.field(
        permission_classes=[IsBrandAdmin],
        description=(
            "The new brand's setup steps (program, payout methods, bank details, theme, first merchant)."
        ),
    )
    def brand_setup_checklist(self, info: Info) -> BrandSetupChecklist:
        items = brand_setup_checklist(tenant=info.context.tenant)
        return BrandSetupChecklist(
            items=[SetupChecklistItem.from_item(item) for item in items],
            completed=sum(item.done for item in items),
            total=len(items),
        )
