from __future__ import annotations

import strawberry
from django.core.exceptions import ValidationError
from strawberry.types import Info

from graphql_schema.brand.types import Brand
from graphql_schema.console.types import BrandCreateInput, BrandCreatePayload
from graphql_schema.errors import user_errors
from graphql_schema.permissions import IsOperator
from tenants.onboarding import brand_onboard
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
