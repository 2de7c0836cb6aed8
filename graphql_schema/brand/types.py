from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Any

import strawberry

from graphql_schema.accounts.types import Role
from graphql_schema.errors import UserError
from themes import css_variables


@strawberry.type(description="The colours of a theme in one mode (light or dark), as #rrggbb.")
class ThemeColors:
    primary: str
    on_primary: str
    background: str
    surface: str
    text: str
    muted_text: str
    accent: str
    border: str

    @classmethod
    def from_tokens(cls, palette: dict[str, str]) -> ThemeColors:
        return cls(
            primary=palette["primary"],
            on_primary=palette["onPrimary"],
            background=palette["background"],
            surface=palette["surface"],
            text=palette["text"],
            muted_text=palette["mutedText"],
            accent=palette["accent"],
            border=palette["border"],
        )


@strawberry.type
class ThemeTypography:
    font_family: str
    heading_font_family: str
    base_size: str


@strawberry.type(description="A named set of design tokens. Apply `cssVariables` to :root to theme a page.")
class Theme:
    name: str
    label: str
    description: str
    colors: ThemeColors
    dark_colors: ThemeColors
    typography: ThemeTypography
    radius: str
    spacing: str
    css_variables: strawberry.scalars.JSON = strawberry.field(
        description='The light-mode tokens as CSS custom properties, e.g. {"--color-primary": "#d4af37"}.'
    )
    dark_css_variables: strawberry.scalars.JSON = strawberry.field(
        description="The dark-mode tokens as CSS custom properties."
    )
    overrides: strawberry.scalars.JSON = strawberry.field(
        description="The brand's own overrides of the named theme's tokens, already merged into the"
        ' other fields (e.g. {"colors": {"primary": "#112233"}, "radius": "4px"}); {} for none.'
    )

    @classmethod
    def from_tokens(cls, tokens: dict[str, Any], overrides: dict[str, Any] | None = None) -> Theme:
        return cls(
            name=tokens["name"],
            label=tokens["label"],
            description=tokens.get("description", ""),
            colors=ThemeColors.from_tokens(tokens["colors"]),
            dark_colors=ThemeColors.from_tokens(tokens["darkColors"]),
            typography=ThemeTypography(
                font_family=tokens["typography"]["fontFamily"],
                heading_font_family=tokens["typography"]["headingFontFamily"],
                base_size=tokens["typography"]["baseSize"],
            ),
            radius=tokens["radius"],
            spacing=tokens["spacing"],
            css_variables=strawberry.scalars.JSON(css_variables(tokens)),
            dark_css_variables=strawberry.scalars.JSON(css_variables(tokens, dark=True)),
            overrides=strawberry.scalars.JSON(overrides or {}),
        )


@strawberry.enum(description="Interface languages a brand can default to.")
class LanguageCode(Enum):
    EN = "en"
    FR = "fr"


@strawberry.enum(description="Whether people may sign up as merchants of the brand on their own.")
class MerchantSignupPolicy(Enum):
    OPEN = "open"
    APPROVAL = "approval"
    INVITE_ONLY = "invite_only"


@strawberry.type(description="A brand: a white-label instance of the platform on its own subdomain.")
class Brand:
    id: strawberry.ID
    name: str
    subdomain: str
    domain: str = strawberry.field(description="The primary host name, e.g. nova.example.com.")
    currency: str = strawberry.field(description="Default ISO 4217 currency of the brand's programs.")
    language: LanguageCode
    merchant_signup: MerchantSignupPolicy = strawberry.field(
        description=(
            "OPEN: merchants sign up and sell at once; APPROVAL: a brand admin approves each new "
            "merchant; INVITE_ONLY: merchants cannot sign up."
        )
    )
    two_factor_required_roles: list[Role] = strawberry.field(
        description="Roles that must sign in with two-factor authentication (an authenticator app)."
    )
    theme: Theme
    provisioning_ms: int | None = strawberry.field(description="How long provisioning took, in milliseconds.")
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def from_snapshot(cls, snapshot: dict[str, Any]) -> Brand:
        """From ``tenants.selectors.brand_snapshot``: plain data, no lazy database access, so
        the same type serves HTTP resolvers and websocket subscriptions."""
        return cls(
            id=strawberry.ID(str(snapshot["id"])),
            name=snapshot["name"],
            subdomain=snapshot["subdomain"],
            domain=snapshot["domain"],
            currency=snapshot["currency"],
            language=LanguageCode(snapshot["language"]),
            merchant_signup=MerchantSignupPolicy(snapshot.get("merchant_signup", "approval")),
            two_factor_required_roles=[Role(role) for role in snapshot.get("two_factor_required_roles", [])],
            theme=Theme.from_tokens(snapshot["theme"], snapshot.get("theme_overrides")),
            provisioning_ms=snapshot["provisioning_ms"],
            created_at=dt.datetime.fromisoformat(snapshot["created_at"]),
            updated_at=dt.datetime.fromisoformat(snapshot["updated_at"]),
        )


@strawberry.input
class BrandUpdateInput:
    name: str | None = None
    theme: str | None = strawberry.field(default=None, description="Name of a theme from the `themes` query.")
    language: LanguageCode | None = None
    merchant_signup: MerchantSignupPolicy | None = None
    two_factor_required_roles: list[Role] | None = strawberry.field(
        default=None,
        description="Roles that must use two-factor authentication ([] makes it optional for all).",
    )
    theme_overrides: strawberry.scalars.JSON | None = strawberry.field(
        default=None,
        description="Replaces the brand's overrides of its theme's tokens: colors.*, darkColors.*,"
        " typography.fontFamily / headingFontFamily, radius, spacing. {} resets to the named theme.",
    )


@strawberry.type
class BrandUpdatePayload:
    brand: Brand | None
    errors: list[UserError]
