from __future__ import annotations

import strawberry
from django_tenants.utils import tenant_context
from graphql import GraphQLError

from graphql_schema.access import parse_id
from graphql_schema.brand.types import Brand
from graphql_schema.console.types import (
    BrandApiLimits,
    BrandApiLimitsInput,
    BrandApiLimitsUpdatePayload,
    BrandCreateInput,
    BrandCreatePayload,
    IpBlock,
    IpBlockCreateInput,
    IpBlockCreatePayload,
    IpBlockDeletePayload,
)
from graphql_schema.context import Info
from graphql_schema.errors import handle_user_errors
from graphql_schema.invitations.types import Invitation, InvitationPayload
from graphql_schema.permissions import IsOperator
from provisioning.onboarding import brand_admin_invite, brand_onboard
from tenants.models import Tenant, TenantKind
from tenants.selectors import brand_snapshot
from tenants.services import brand_api_limits_update, ip_block_create, ip_block_delete


@strawberry.type
class ConsoleMutation:
    @strawberry.mutation(
        permission_classes=[IsOperator],
        description=(
            "Provision a new brand on <subdomain>.<root domain> with a default program, and invite "
            "its first admin by email (operators, on the root domain)."
        ),
    )
    @handle_user_errors
    def brand_create(self, info: Info, input: BrandCreateInput) -> BrandCreatePayload:
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
        return BrandCreatePayload(brand=Brand.from_snapshot(brand_snapshot(tenant)), errors=[])

    @strawberry.mutation(
        permission_classes=[IsOperator],
        description=(
            "Invite a brand admin of a brand (operators): re-sends the address's open invitation "
            "with a new link (the old one stops working), or creates one."
        ),
    )
    @handle_user_errors
    def brand_admin_invite(
        self, info: Info, brand_id: strawberry.ID, email: str, full_name: str = ""
    ) -> InvitationPayload:
        tenant = Tenant.objects.filter(pk=parse_id(brand_id), kind=TenantKind.BRAND).first()
        if tenant is None:
            raise GraphQLError("Brand not found.", extensions={"code": "NOT_FOUND"})
        invitation = brand_admin_invite(
            actor=info.context.user, tenant=tenant, email=email, full_name=full_name
        )
        with tenant_context(tenant):  # the inviter, if any, is a user of the brand
            payload = Invitation.from_model(invitation)
        return InvitationPayload(invitation=payload, errors=[])

    @strawberry.mutation(
        permission_classes=[IsOperator],
        description=(
            "Block an IP address or a CIDR range on one brand's hosts: its requests get 403 and its clicks "
            "are refused (operators, on the root domain)."
        ),
    )
    @handle_user_errors
    def ip_block_create(self, info: Info, input: IpBlockCreateInput) -> IpBlockCreatePayload:
        brand_id = str(input.brand_id)
        block = ip_block_create(
            actor=info.context.user,
            brand_id=int(brand_id) if brand_id.isdigit() else None,
            network=input.network,
            note=input.note,
        )
        return IpBlockCreatePayload(ip_block=IpBlock.from_model(block), errors=[])

    @strawberry.mutation(permission_classes=[IsOperator], description="Lift an IP block (operators).")
    @handle_user_errors
    def ip_block_delete(self, info: Info, id: strawberry.ID) -> IpBlockDeletePayload:
        block_id = str(id)
        ip_block_delete(actor=info.context.user, block_id=int(block_id) if block_id.isdigit() else 0)
        return IpBlockDeletePayload(deleted_id=id, errors=[])

    @strawberry.mutation(
        permission_classes=[IsOperator],
        description=(
            "Set a brand's GraphQL rate limits (requests a minute per API token, signed-in user and "
            "anonymous IP); null restores the platform default (operators)."
        ),
    )
    @handle_user_errors
    def brand_api_limits_update(self, info: Info, input: BrandApiLimitsInput) -> BrandApiLimitsUpdatePayload:
        brand_id = str(input.brand_id)
        tenant = brand_api_limits_update(
            actor=info.context.user,
            brand_id=int(brand_id) if brand_id.isdigit() else None,
            per_token=input.per_token,
            per_user=input.per_user,
            per_ip=input.per_ip,
        )
        limits = BrandApiLimits(
            brand_id=input.brand_id,
            per_token=tenant.api_rate_limit_per_token,
            per_user=tenant.api_rate_limit_per_user,
            per_ip=tenant.api_rate_limit_per_ip,
        )
        return BrandApiLimitsUpdatePayload(limits=limits, errors=[])
