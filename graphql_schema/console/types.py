from __future__ import annotations

import datetime as dt
from typing import Any

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


@strawberry.type(
    description="An address or network (CIDR) refused on one brand's hosts (HTTP 403, clicks too)."
)
class IpBlock:
    id: strawberry.ID
    brand_id: strawberry.ID
    network: str = strawberry.field(description="Normalized CIDR: 203.0.113.7/32, 10.0.0.0/8, 2001:db8::/48.")
    note: str
    created_by_email: str
    created_at: dt.datetime

    @classmethod
    def from_model(cls, block: Any) -> IpBlock:
        return cls(
            id=strawberry.ID(str(block.pk)),
            brand_id=strawberry.ID(str(block.tenant_id)),
            network=block.network,
            note=block.note,
            created_by_email=block.created_by_email,
            created_at=block.created_at,
        )


@strawberry.input
class IpBlockCreateInput:
    brand_id: strawberry.ID
    network: str = strawberry.field(
        description="An IP address or a CIDR range (at most a /8, or a /32 in IPv6)."
    )
    note: str = ""


@strawberry.type
class IpBlockCreatePayload:
    ip_block: IpBlock | None
    errors: list[UserError]


@strawberry.type
class IpBlockDeletePayload:
    deleted_id: strawberry.ID | None
    errors: list[UserError]


@strawberry.input
class BrandApiLimitsInput:
    brand_id: strawberry.ID
    per_token: int | None = strawberry.field(default=None, description="Requests a minute per API token.")
    per_user: int | None = strawberry.field(default=None, description="Requests a minute per signed-in user.")
    per_ip: int | None = strawberry.field(
        default=None, description="Requests a minute per anonymous client IP."
    )


@strawberry.type(description="A brand's API rate limits; null: the platform's default.")
class BrandApiLimits:
    brand_id: strawberry.ID
    per_token: int | None
    per_user: int | None
    per_ip: int | None


@strawberry.type
class BrandApiLimitsUpdatePayload:
    limits: BrandApiLimits | None
    errors: list[UserError]
