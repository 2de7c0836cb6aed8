"""Validation of brand attributes, with one code and one plain sentence per mistake."""

from __future__ import annotations

import re
from functools import cache

from babel.numbers import list_currencies
from django.core.exceptions import ValidationError

from tenants.error_codes import BrandErrorCode
from tenants.models import Language, MerchantSignup
from themes import available_themes

SUBDOMAIN_MIN_LENGTH = 3
SUBDOMAIN_MAX_LENGTH = 30
RESERVED_SUBDOMAINS = frozenset(
    {
        "www",
        "api",
        "admin",
        "app",
        "apps",
        "assets",
        "auth",
        "billing",
        "blog",
        "cdn",
        "console",
        "dashboard",
        "dev",
        "docs",
        "email",
        "ftp",
        "graphql",
        "help",
        "login",
        "mail",
        "media",
        "operator",
        "public",
        "root",
        "smtp",
        "static",
        "staging",
        "status",
        "support",
        "template",
        "test",
        "ws",
        "www1",
        "www2",
    }
)
_SUBDOMAIN_SHAPE = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")


def validate_subdomain(value: str) -> str:
    """Return the subdomain if it is usable, else raise a ValidationError with a code."""
    if not value:
        raise ValidationError("Choose a subdomain.", code=BrandErrorCode.REQUIRED)
    if value != value.lower():
        raise ValidationError("Use lowercase letters only.", code=BrandErrorCode.INVALID)
    if "." in value:
        raise ValidationError("A subdomain cannot contain dots.", code=BrandErrorCode.INVALID)
    if len(value) < SUBDOMAIN_MIN_LENGTH:
        raise ValidationError(
            f"Use at least {SUBDOMAIN_MIN_LENGTH} characters.", code=BrandErrorCode.TOO_SHORT
        )
    if len(value) > SUBDOMAIN_MAX_LENGTH:
        raise ValidationError(f"Use at most {SUBDOMAIN_MAX_LENGTH} characters.", code=BrandErrorCode.TOO_LONG)
    if not _SUBDOMAIN_SHAPE.match(value):
        raise ValidationError(
            "Use letters a-z, digits and hyphens, starting and ending with a letter or digit.",
            code=BrandErrorCode.INVALID,
        )
    if value in RESERVED_SUBDOMAINS or value.startswith("xn--"):
        raise ValidationError(
            f"“{value}” is reserved. Choose another subdomain.", code=BrandErrorCode.RESERVED
        )
    return value


@cache
def _currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def validate_currency(value: str) -> str:
    if value not in _currencies():
        raise ValidationError(
            "Use an ISO 4217 currency code such as EUR, USD or MAD.", code=BrandErrorCode.UNKNOWN_CURRENCY
        )
    return value


def validate_theme(value: str) -> str:
    if value not in available_themes():
        names = ", ".join(sorted(available_themes()))
        raise ValidationError(f"Unknown theme. Choose one of: {names}.", code=BrandErrorCode.UNKNOWN_THEME)
    return value


def validate_merchant_signup(value: str) -> str:
    if value not in MerchantSignup.values:
        raise ValidationError(
            "Choose open, approval or invite_only.", code=BrandErrorCode.UNKNOWN_MERCHANT_SIGNUP
        )
    return value


BRAND_ROLE_NAMES = ("brand_admin", "merchant", "affiliate", "customer")


def validate_two_factor_roles(value: list[str]) -> list[str]:
    """The brand's roles for which two-factor authentication is mandatory (a subset of
    the brand's roles, in a stable order). Operators (the public tenant's row) are not a
    brand's to choose: the public row keeps its own list."""
    unknown = [role for role in value if role not in BRAND_ROLE_NAMES]
    if unknown:
        raise ValidationError(
            f"Choose among {', '.join(BRAND_ROLE_NAMES)}.", code=BrandErrorCode.UNKNOWN_ROLE
        )
    return [role for role in BRAND_ROLE_NAMES if role in value]


def validate_language(value: str) -> str:
    if value not in Language.values:
        raise ValidationError("Choose English (en) or French (fr).", code=BrandErrorCode.UNKNOWN_LANGUAGE)
    return value


def validate_name(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValidationError("Give the brand a name.", code=BrandErrorCode.REQUIRED)
    if len(value) > 120:
        raise ValidationError("Use at most 120 characters.", code=BrandErrorCode.TOO_LONG)
    return value
