from __future__ import annotations

import strawberry

from graphql_schema.brand.types import Brand, BrandUpdateInput, BrandUpdatePayload
from graphql_schema.context import Info
from graphql_schema.errors import handle_user_errors, keep_on_error
from graphql_schema.permissions import IsBrandAdmin
from tenants.selectors import brand_snapshot
from tenants.services import brand_update


@strawberry.type
class BrandMutation:
    @strawberry.mutation(
        permission_classes=[IsBrandAdmin],
        description=(
            "Change the brand's name, theme, theme overrides, default language or merchant signup policy. "
            "Open pages re-theme live."
        ),
    )
    @handle_user_errors
    def brand_update(self, info: Info, input: BrandUpdateInput) -> BrandUpdatePayload:
        tenant = info.context.tenant
        keep_on_error(brand=lambda: Brand.from_snapshot(brand_snapshot(tenant)))
        tenant = brand_update(
            actor=info.context.user,
            tenant=tenant,
            name=input.name,
            theme=input.theme,
            language=input.language.value if input.language else None,
            theme_overrides=input.theme_overrides,  # type: ignore[arg-type]
            merchant_signup=input.merchant_signup.value if input.merchant_signup else None,
            two_factor_required_roles=(
                [role.value for role in input.two_factor_required_roles]
                if input.two_factor_required_roles is not None
                else None
            ),
        )
        info.context.tenant = tenant
        return BrandUpdatePayload(brand=Brand.from_snapshot(brand_snapshot(tenant)), errors=[])
