from __future__ import annotations

import datetime as dt
from enum import Enum

import strawberry

from accounts.models import Invitation as InvitationModel
from graphql_schema.accounts.types import Role
from graphql_schema.errors import UserError
from provisioning.onboarding import ChecklistItem


@strawberry.enum(description="Roles a brand admin may invite people to.")
class InvitationRole(Enum):
    BRAND_ADMIN = "brand_admin"
    STAFF = "staff"
    MERCHANT = "merchant"


@strawberry.enum
class InvitationStatus(Enum):
    PENDING = "pending"
    EXPIRED = "expired"
    ACCEPTED = "accepted"
    REVOKED = "revoked"


@strawberry.type(description="An emailed invitation to join the brand with a role.")
class Invitation:
    id: strawberry.ID
    email: str
    full_name: str
    role: Role
    status: InvitationStatus
    inviter_email: str | None
    created_at: dt.datetime
    sent_at: dt.datetime | None = strawberry.field(description="When the current link was emailed.")
    expires_at: dt.datetime
    accepted_at: dt.datetime | None
    revoked_at: dt.datetime | None

    @classmethod
    def from_model(cls, invitation: InvitationModel) -> Invitation:
        return cls(
            id=strawberry.ID(str(invitation.pk)),
            email=invitation.email,
            full_name=invitation.full_name,
            role=Role(invitation.role),
            status=InvitationStatus(invitation.status),
            inviter_email=invitation.inviter.email if invitation.inviter else None,
            created_at=invitation.created_at,
            sent_at=invitation.sent_at,
            expires_at=invitation.expires_at,
            accepted_at=invitation.accepted_at,
            revoked_at=invitation.revoked_at,
        )


@strawberry.type(description="What the acceptance page shows about an invitation link.")
class InvitationPreview:
    email: str
    role: Role
    full_name: str
    expires_at: dt.datetime
    account_exists: bool = strawberry.field(
        description="The address has an account here: its owner signs in to accept, no password to set."
    )


@strawberry.input
class InvitationCreateInput:
    email: str
    role: InvitationRole
    full_name: str = ""


@strawberry.input
class InvitationAcceptInput:
    token: str
    password: str | None = strawberry.field(default=None, description="Required for a new account.")
    full_name: str = ""
    marketing_opt_in: bool = strawberry.field(
        default=False, description="A new account: whether the person agrees to the brand's marketing emails."
    )


@strawberry.type
class InvitationPayload:
    invitation: Invitation | None
    errors: list[UserError]


@strawberry.enum
class SetupStep(Enum):
    PROGRAM = "program"
    PAYOUT_METHODS = "payout_methods"
    BANK_DETAILS = "bank_details"
    THEME = "theme"
    FIRST_MERCHANT = "first_merchant"


@strawberry.type(description="One step of a new brand's setup, computed from the brand's state.")
class SetupChecklistItem:
    step: SetupStep
    done: bool
    path: str = strawberry.field(description="The web app page where the step is done.")

    @classmethod
    def from_item(cls, item: ChecklistItem) -> SetupChecklistItem:
        return cls(step=SetupStep(item.key), done=item.done, path=item.path)


@strawberry.type
class BrandSetupChecklist:
    items: list[SetupChecklistItem]
    completed: int
    total: int
