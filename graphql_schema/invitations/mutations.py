from __future__ import annotations

from collections.abc import Callable

import strawberry

from accounts import invitations as services
from accounts.models import Invitation as InvitationModel
from graphql_schema.access import parse_id
from graphql_schema.accounts.mutations import _brand_host_only, _http_request
from graphql_schema.accounts.types import AuthPayload, User
from graphql_schema.context import Info
from graphql_schema.errors import handle_user_errors
from graphql_schema.invitations.types import (
    Invitation,
    InvitationAcceptInput,
    InvitationCreateInput,
    InvitationPayload,
)
from graphql_schema.permissions import IsBrandAdmin
from privacy.services import consent_record_signup


def _payload(action: Callable[[], InvitationModel]) -> InvitationPayload:
    invitation = action()
    return InvitationPayload(invitation=Invitation.from_model(invitation), errors=[])


@strawberry.type
class InvitationMutation:
    @strawberry.mutation(
        permission_classes=[IsBrandAdmin],
        description="Invite someone by email as a merchant, brand admin or staff member (link valid 7 days).",
    )
    @handle_user_errors
    def invitation_create(self, info: Info, input: InvitationCreateInput) -> InvitationPayload:
        return _payload(
            lambda: services.invitation_create(
                actor=info.context.user, email=input.email, role=input.role.value, full_name=input.full_name
            )
        )

    @strawberry.mutation(
        permission_classes=[IsBrandAdmin],
        description="Email a new link for an open invitation: the previous link stops working.",
    )
    @handle_user_errors
    def invitation_resend(self, info: Info, id: strawberry.ID) -> InvitationPayload:
        return _payload(
            lambda: services.invitation_resend(actor=info.context.user, invitation_id=parse_id(id))
        )

    @strawberry.mutation(permission_classes=[IsBrandAdmin], description="Revoke an open invitation.")
    @handle_user_errors
    def invitation_revoke(self, info: Info, id: strawberry.ID) -> InvitationPayload:
        return _payload(
            lambda: services.invitation_revoke(actor=info.context.user, invitation_id=parse_id(id))
        )

    @strawberry.mutation(
        description=(
            "Accept an invitation with its token: a new account chooses its password and is signed "
            "in; an existing account of the address must be signed in, and takes the role."
        )
    )
    @handle_user_errors
    def invitation_accept(self, info: Info, input: InvitationAcceptInput) -> AuthPayload:
        _brand_host_only(info)
        user = services.invitation_accept(
            request=_http_request(info),
            token=input.token,
            password=input.password,
            full_name=input.full_name,
        )
        if input.password is not None:
            # A new account accepts the brand's current terms and privacy policy, as at signup
            # (the form says so); an existing account gave its consents when it signed up.
            consent_record_signup(user=user, marketing_opt_in=input.marketing_opt_in)
        return AuthPayload(user=User.from_model(user), errors=[])
