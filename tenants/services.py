"""Writes on brands: the platform's public and template tenants, provisioning, updates."""

from __future__ import annotations

import ipaddress
import time
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, ProgrammingError, connection, transaction
from django_tenants.utils import get_public_schema_name, schema_context, schema_exists

from core.audit import audit_log
from core.events import emit, publish_on_commit
from core.tenancy import tenant_connection
from tenants.clone import clone_schema
from tenants.error_codes import BrandErrorCode, IpBlockErrorCode
from tenants.hosts_events import brand_hosts_changed
from tenants.ipblocks import ip_blocks_changed
from tenants.models import Domain, IpBlock, Tenant, TenantKind
from tenants.selectors import brand_snapshot
from tenants.validators import (
    validate_currency,
    validate_language,
    validate_merchant_signup,
    validate_name,
    validate_subdomain,
    validate_theme,
    validate_two_factor_roles,
)
from themes import get_theme, override_problems, prune_overrides

BRAND_TOPIC = "brand"
BRAND_UPDATED_EVENT = "brand.updated"


def schema_name_for_subdomain(subdomain: str) -> str:
    return "brand_" + subdomain.replace("-", "_")


def domain_for_subdomain(subdomain: str) -> str:
    return f"{subdomain}.{settings.ROOT_DOMAIN}"


def public_tenant_ensure() -> Tenant:
    """The public tenant serving the root domain (the operator console). Idempotent."""
    with schema_context(get_public_schema_name()):
        tenant, _ = Tenant.objects.get_or_create(
            schema_name=get_public_schema_name(),
            defaults={"kind": TenantKind.PUBLIC, "name": "Platform"},
        )
        Domain.objects.get_or_create(
            domain=settings.ROOT_DOMAIN, defaults={"tenant": tenant, "is_primary": True}
        )
    return tenant


def template_tenant_ensure(*, verbosity: int = 0) -> Tenant:
    """The template schema, migrated like every brand, with no business rows. Idempotent."""
    schema_name = settings.TENANT_BASE_SCHEMA
    with schema_context(get_public_schema_name()):
        tenant, _ = Tenant.objects.get_or_create(
            schema_name=schema_name,
            defaults={"kind": TenantKind.TEMPLATE, "name": "Template"},
        )
        if not schema_exists(schema_name):
            with connection.cursor() as cursor:
                cursor.execute(f'CREATE SCHEMA "{schema_name}"')
        call_command(
            "migrate_schemas", schema_name=schema_name, tenant=True, interactive=False, verbosity=verbosity
        )
        tenant_connection().set_schema_to_public()
    return tenant


def _validated(**validators_and_values: tuple[Any, Any]) -> dict[str, Any]:
    """Run each field's validator; raise one ValidationError naming every bad field."""
    cleaned: dict[str, Any] = {}
    errors: dict[str, ValidationError] = {}
    for field, (validator, value) in validators_and_values.items():
        try:
            cleaned[field] = validator(value)
        except ValidationError as error:
            errors[field] = error
    if errors:
        raise ValidationError(errors)
    return cleaned


def _overrides_validated(
    theme_name: str, overrides: Any, errors: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The overrides, pruned, if they are valid on ``theme_name``; else a ValidationError naming
    each token at fault (merged into ``errors`` when other fields failed too)."""
    problems = override_problems(get_theme(theme_name), overrides)
    found: dict[str, list[ValidationError]] = errors if errors is not None else {}
    for problem in problems:
        field = "themeOverrides" + (f".{problem.path}" if problem.path else "")
        found.setdefault(field, []).append(ValidationError(problem.message, code=problem.code))
    if errors is None and found:
        raise ValidationError(found)
    return prune_overrides(overrides) if not problems else {}


def _taken(message: str = "This subdomain is taken.") -> ValidationError:
    return ValidationError({"subdomain": ValidationError(message, code=BrandErrorCode.TAKEN)})


def brand_create(
    *, actor: Any, name: str, subdomain: str, theme: str, currency: str, language: str
) -> Tenant:
    """Provision a brand: a Tenant row, its schema cloned from the template, its domain.

    Cloning copies the template's tables, indexes and migration history in one SQL call,
    instead of replaying every migration (bench/provision.py measures both).
    """
    cleaned = _validated(
        name=(validate_name, name),
        subdomain=(validate_subdomain, subdomain),
        theme=(validate_theme, theme),
        currency=(validate_currency, currency),
        language=(validate_language, language),
    )
    subdomain = cleaned["subdomain"]
    schema_name = schema_name_for_subdomain(subdomain)
    domain = domain_for_subdomain(subdomain)
    with schema_context(get_public_schema_name()):
        if (
            Tenant.objects.filter(subdomain=subdomain).exists()
            or Domain.objects.filter(domain=domain).exists()
            or schema_exists(schema_name)
        ):
            raise _taken()
        if not schema_exists(settings.TENANT_BASE_SCHEMA):
            raise RuntimeError("The template schema is missing: run `manage.py platform_init` first.")

        started = time.perf_counter()
        try:
            with transaction.atomic():
                tenant = Tenant.objects.create(
                    kind=TenantKind.BRAND,
                    schema_name=schema_name,
                    name=cleaned["name"],
                    subdomain=subdomain,
                    theme=cleaned["theme"],
                    currency=cleaned["currency"],
                    language=cleaned["language"],
                )
                clone_schema(settings.TENANT_BASE_SCHEMA, schema_name)
                Domain.objects.create(domain=domain, tenant=tenant, is_primary=True)
                tenant.provisioning_ms = round((time.perf_counter() - started) * 1000)
                tenant.save(update_fields=["provisioning_ms"])
                audit_log(actor=actor, action="brand.created", target=tenant, subdomain=subdomain)
                brand_hosts_changed(tenant)
        except IntegrityError as error:  # a concurrent create of the same subdomain won the race
            raise _taken() from error
        except ProgrammingError as error:  # the schema appeared meanwhile (a concurrent create)
            raise _taken() from error
        finally:
            tenant_connection().set_schema_to_public()
    return tenant


def brand_update(
    *,
    actor: Any,
    tenant: Tenant,
    name: str | None = None,
    theme: str | None = None,
    language: str | None = None,
    theme_overrides: dict[str, Any] | None = None,
    merchant_signup: str | None = None,
    two_factor_required_roles: list[str] | None = None,
) -> Tenant:
    """Change what a brand admin may change, and tell every open page of the brand.

    ``theme_overrides`` replaces the brand's overrides as a whole (``{}`` resets to the named
    theme); each mistake is a field error at ``themeOverrides.<token path>``.
    """
    checks: dict[str, tuple[Any, Any]] = {}
    if name is not None:
        checks["name"] = (validate_name, name)
    if theme is not None:
        checks["theme"] = (validate_theme, theme)
    if language is not None:
        checks["language"] = (validate_language, language)
    if merchant_signup is not None:
        checks["merchant_signup"] = (validate_merchant_signup, merchant_signup)
    if two_factor_required_roles is not None:
        checks["two_factor_required_roles"] = (validate_two_factor_roles, two_factor_required_roles)
    if theme_overrides is None and theme is not None and tenant.theme_overrides:
        theme_overrides = tenant.theme_overrides  # kept, so re-checked against the new theme
    try:
        cleaned = _validated(**checks)
    except ValidationError as error:
        if theme_overrides is not None:
            _overrides_validated(theme or tenant.theme, theme_overrides, error.error_dict)
        raise
    if theme_overrides is not None:
        cleaned["theme_overrides"] = _overrides_validated(cleaned.get("theme", tenant.theme), theme_overrides)
    if not cleaned:
        return tenant
    with transaction.atomic():
        locked = Tenant.objects.select_for_update().get(pk=tenant.pk)
        changes = {field: value for field, value in cleaned.items() if getattr(locked, field) != value}
        for field, value in changes.items():
            setattr(locked, field, value)
        if changes:
            locked.save(update_fields=[*changes, "updated_at"])
            audit_log(actor=actor, action="brand.updated", target=locked, changes=changes)
            with schema_context(locked.schema_name):  # the brand's event, wherever the change came from
                emit("brand.updated", {"changed": sorted(changes)})
            publish_on_commit(
                topic=BRAND_TOPIC, message_type=BRAND_UPDATED_EVENT, payload=brand_snapshot(locked)
            )
            if "name" in changes:  # the click lane's 404 page shows it
                brand_hosts_changed(locked)
    return locked


# --- IP blocks (tenants.ipblocks) ---------------------------------------------------------

# The broadest network an operator may block at once: a typo must not lock out a continent.
IP_BLOCK_MIN_PREFIX = {4: 8, 6: 32}


def _field_error(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def ip_block_create(*, actor: Any, brand_id: int | None, network: str, note: str = "") -> IpBlock:
    """Block ``network`` (an address or a CIDR range) on the hosts of the brand ``brand_id``."""
    tenant = Tenant.objects.filter(pk=brand_id, kind=TenantKind.BRAND).first() if brand_id else None
    if tenant is None:
        raise ValidationError(
            {"brand_id": ValidationError("No such brand.", code=IpBlockErrorCode.NOT_FOUND)}
        )
    try:
        parsed = ipaddress.ip_network(network.strip(), strict=False)
    except ValueError:
        raise ValidationError(
            {
                "network": ValidationError(
                    "Enter an IP address or a CIDR range.", code=IpBlockErrorCode.INVALID_NETWORK
                )
            }
        ) from None
    if parsed.prefixlen < IP_BLOCK_MIN_PREFIX[parsed.version]:
        raise ValidationError(
            {
                "network": ValidationError(
                    f"Block at most a /{IP_BLOCK_MIN_PREFIX[parsed.version]} at once.",
                    code=IpBlockErrorCode.TOO_BROAD,
                )
            }
        )
    note = note.strip()[:200]
    with transaction.atomic():
        block, created = IpBlock.objects.get_or_create(
            tenant=tenant,
            network=str(parsed),
            defaults={"note": note, "created_by_email": getattr(actor, "email", "") or ""},
        )
        if not created:
            raise ValidationError(
                {
                    "network": ValidationError(
                        "This network is already blocked.", code=IpBlockErrorCode.ALREADY_BLOCKED
                    )
                }
            )
        audit_log(actor=actor, action="ip_block.created", target=tenant, network=block.network, note=note)
        transaction.on_commit(lambda: ip_blocks_changed(tenant))
    return block


def ip_block_delete(*, actor: Any, block_id: int) -> Tenant:
    """Lift a block; returns its brand."""
    with transaction.atomic():
        block = IpBlock.objects.select_related("tenant").select_for_update().filter(pk=block_id).first()
        if block is None:
            raise _field_error("id", "No such block.", IpBlockErrorCode.NOT_FOUND)
        tenant = block.tenant
        block.delete()
        audit_log(actor=actor, action="ip_block.deleted", target=tenant, network=block.network)
        transaction.on_commit(lambda: ip_blocks_changed(tenant))
    return tenant


# The most a brand may allow a minute per bucket (a typo must not switch the limit off).
API_RATE_LIMIT_MAX = 100_000


def brand_api_limits_update(
    *, actor: Any, brand_id: int | None, per_token: int | None, per_user: int | None, per_ip: int | None
) -> Tenant:
    """Set a brand's API rate limits (requests a minute); ``None`` means the platform default."""
    tenant = Tenant.objects.filter(pk=brand_id, kind=TenantKind.BRAND).first() if brand_id else None
    if tenant is None:
        raise _field_error("brand_id", "No such brand.", BrandErrorCode.NOT_FOUND)
    limits = {
        "api_rate_limit_per_token": per_token,
        "api_rate_limit_per_user": per_user,
        "api_rate_limit_per_ip": per_ip,
    }
    errors = {
        field.removeprefix("api_rate_limit_"): ValidationError(
            f"Between 1 and {API_RATE_LIMIT_MAX}, or empty for the platform default.",
            code=BrandErrorCode.INVALID,
        )
        for field, value in limits.items()
        if value is not None and not 1 <= value <= API_RATE_LIMIT_MAX
    }
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = Tenant.objects.select_for_update().get(pk=tenant.pk)
        changes = {field: value for field, value in limits.items() if getattr(locked, field) != value}
        if changes:
            for field, value in changes.items():
                setattr(locked, field, value)
            locked.save(update_fields=[*changes, "updated_at"])
            audit_log(actor=actor, action="brand.api_limits_updated", target=locked, changes=changes)
    return locked
