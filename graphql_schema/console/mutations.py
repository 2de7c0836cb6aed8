from __future__ import annotations

import strawberry
from django.core.exceptions import ValidationError
from django_tenants.utils import tenant_context
from graphql import GraphQLError
from strawberry.types import Info

from graphql_schema.affiliation.access import parse_id
from graphql_schema.brand.types import Brand
from graphql_schema.console.types import BrandCreateInput, BrandCreatePayload
from graphql_schema.errors import user_errors
from graphql_schema.invitations.types import Invitation, InvitationPayload
from graphql_schema.permissions import IsOperator
from tenants.models import Tenant, TenantKind
from tenants.onboarding import brand_admin_invite, brand_onboard
from tenants.selectors import brand_snapshot


@strawberry.type
class ConsoleMutation:
    @strawberry.mutation(
        permission_classes=[IsOperator],
        description=(
            "Provision a new brand on <subdomain>.<root domain> with a default program, and invite "
            "its first admin by email (operators, on the root domain)."
        ),
    )
    def brand_create(self, info: Info, input: BrandCreateInput) -> BrandCreatePayload:
        try:
            tenant = brand_onboard(
                actor=info.context.user,
                name=input.name,
                subdomain=input.subdomain,
                theme=input.theme,
                currency=input.currency,
                language=input.language.value,
                admin_email=input.admin_email,
                admin_name=input.admin_name,
            ).tenant
        except ValidationError as error:
            return BrandCreatePayload(brand=None, errors=user_errors(error))
        return BrandCreatePayload(brand=Brand.from_snapshot(brand_snapshot(tenant)), errors=[])

    @strawberry.mutation(
        permission_classes=[IsOperator],
        description=(
            "Invite a brand admin of a brand (operators): re-sends the address's open invitation "
            "with a new link (the old one stops working), or creates one."
        ),
    )
    def brand_admin_invite(
        self, info: Info, brand_id: strawberry.ID, email: str, full_name: str = ""
    ) -> InvitationPayload:
        tenant = Tenant.objects.filter(pk=parse_id(brand_id), kind=TenantKind.BRAND).first()
        if tenant is None:
            raise GraphQLError("Brand not found.", extensions={"code": "NOT_FOUND"})
        try:
            invitation = brand_admin_invite(
                actor=info.context.user, tenant=tenant, email=email, full_name=full_name
            )
        except ValidationError as error:
            return InvitationPayload(invitation=None, errors=user_errors(error))
        with tenant_context(tenant):  # the inviter, if any, is a user of the brand
            payload = Invitation.from_model(invitation)
        return InvitationPayload(invitation=payload, errors=[])
