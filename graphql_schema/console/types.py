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


@strawberry.type
class BrandCreatePayload:
    brand: Brand | None
    errors: list[UserError]
