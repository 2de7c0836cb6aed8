"""Validation of brand attributes, with one code and one plain sentence per mistake."""

from __future__ import annotations

import ipaddress
import re
from functools import cache

from babel.numbers import list_currencies
from django.conf import settings
from django.core.exceptions import ValidationError

from tenants.error_codes import BrandErrorCode
from tenants.error_codes import CustomDomainErrorCode as Code
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


# --- custom domains (tenants.custom_domains) --------------------------------------------------

CUSTOM_DOMAIN_MAX_LENGTH = 253
# Special-use names (RFC 6761, 6762, 7686) and the reverse-lookup tree: never on the public DNS.
SPECIAL_USE_SUFFIXES = ("localhost", "local", "internal", "invalid", "onion", "arpa")
_LABEL_SHAPE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_TLD_SHAPE = re.compile(r"^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$")


def _custom_domain_error(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


def validate_custom_domain(value: str) -> str:
    """A host name a brand may claim, normalized: lowercase, IDNA (``xn--``) labels, no dot at
    the end. A pasted ``https://partners.example.com/`` is accepted as its host; a path, a port,
    an IP address, a single label, the platform's own root domain (and its subdomains) and
    special-use names are refused, each with its code."""
    host = value.strip().lower()
    for scheme in ("https://", "http://"):
        host = host.removeprefix(scheme)
    host = host.removesuffix("/").removesuffix(".")
    if not host:
        raise _custom_domain_error("Enter a domain, e.g. partners.example.com.", Code.REQUIRED)
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    else:
        raise _custom_domain_error("Enter a domain name, not an IP address.", Code.IP_ADDRESS)
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise _custom_domain_error(
            "Enter a domain such as partners.example.com (letters, digits, hyphens and dots).", Code.INVALID
        ) from None
    labels = host.split(".")
    root = settings.ROOT_DOMAIN.lower().rstrip(".")
    if host == root or host.endswith("." + root) or labels[-1] in SPECIAL_USE_SUFFIXES:
        raise _custom_domain_error(
            "This domain belongs to the platform. Use a domain of your own.", Code.RESERVED
        )
    if (
        len(host) > CUSTOM_DOMAIN_MAX_LENGTH
        or len(labels) < 2
        or not all(_LABEL_SHAPE.match(label) for label in labels)
        or not _TLD_SHAPE.match(labels[-1])
    ):
        raise _custom_domain_error(
            "Enter a domain such as partners.example.com (letters, digits, hyphens and dots).", Code.INVALID
        )
    return host
