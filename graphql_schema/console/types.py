from __future__ import annotations

import strawberry

from graphql_schema.brand.types import Brand, LanguageCode
from graphql_schema.errors import UserError


@strawberry.input
class BrandCreateInput:
    name: str
    subdomain: str = strawberry.field(
        description="3-30 lowercase letters, digits or hyphens: <subdomain>.<root domain>."
    )
    theme: str = "default"
    currency: str = strawberry.field(default="USD", description="ISO 4217 code, e.g. EUR, USD, MAD.")
    language: LanguageCode = LanguageCode.EN
    admin_email: str = strawberry.field(
        default="",
        description=(
            "The first brand admin's email: they get an invitation link on the brand's host "
            "(single use, 7 days). Leave empty only for a brand you staff yourself."
        ),
    )
    admin_name: str = ""


@strawberry.type
class BrandCreatePayload:
    brand: Brand | None
    errors: list[UserError]
