"""Programs and their commission rules, as brand admins edit them."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from affiliation.error_codes import AffiliationErrorCode as Code
from affiliation.models import (
    AttributionModel,
    CommissionKind,
    CommissionTier,
    Program,
    RecurringMode,
    WithdrawalMethod,
)
from core.audit import audit_log
from core.errors import field_error
from core.events import emit
from core.money import minor_unit_exponent
from core.tenancy import tenant_connection
from core.web_urls import WebUrlError, normalise_host, normalise_web_url
from tenants.validators import validate_currency

MAX_CASCADE_DEPTH = 5
EDITABLE_FIELDS = (
    "name",
    "description",
    "landing_url",
    "allowed_domains",
    "is_active",
    "auto_approve",
    "commission_kind",
    "flat_amount",
    "per_click_amount",
    "recurring_mode",
    "recurring_months",
    "cascade_rates",
    "hold_days",
    "cookie_window_days",
    "attribution_model",
    "minimum_withdrawal",
    "max_order_value",
    "withdrawal_methods",
)


@dataclass(frozen=True)
class TierSpec:
    code: str
    label: str
    rate: Decimal
    is_default: bool = False


DEFAULT_TIERS = (
    TierSpec("default", "Default", Decimal(20), is_default=True),
    TierSpec("premium", "Premium", Decimal(25)),
    TierSpec("vip", "VIP", Decimal(30)),
)
# The same tiers named for a French-speaking brand (labels are the brand's to rename after).
DEFAULT_TIER_LABELS = {"fr": {"default": "Standard", "premium": "Premium", "vip": "VIP"}}


def default_tiers() -> tuple[TierSpec, ...]:
    """The platform's default tiers, named in the current brand's language."""
    language = getattr(tenant_connection().tenant, "language", "en")
    labels = DEFAULT_TIER_LABELS.get(language, {})
    return tuple(
        TierSpec(tier.code, labels.get(tier.code, tier.label), tier.rate, tier.is_default)
        for tier in DEFAULT_TIERS
    )


def _check_rate(value: Any, field: str, errors: dict[str, ValidationError]) -> Decimal | None:
    try:
        rate = Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors[field] = ValidationError("Enter a number.", code=Code.INVALID)
        return None
    if not Decimal(0) <= rate <= Decimal(100):
        errors[field] = ValidationError("Use a percentage between 0 and 100.", code=Code.INVALID)
        return None
    return rate


def _check_money(value: Any, currency: str, field: str, errors: dict[str, ValidationError]) -> Decimal | None:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors[field] = ValidationError("Enter an amount.", code=Code.INVALID)
        return None
    if amount < 0:
        errors[field] = ValidationError("Use an amount of zero or more.", code=Code.INVALID)
        return None
    if amount != amount.quantize(minor_unit_exponent(currency)):
        errors[field] = ValidationError(
            f"{currency} has no smaller unit than {minor_unit_exponent(currency)}.", code=Code.INVALID
        )
        return None
    return amount


def _validated_rules(values: dict[str, Any], currency: str, tiers: list[TierSpec]) -> dict[str, Any]:
    """Check every rule field present in ``values``; raise one error naming each bad field."""
    errors: dict[str, ValidationError] = {}
    cleaned = dict(values)
    if "name" in values and not str(values["name"]).strip():
        errors["name"] = ValidationError("Name the program.", code=Code.REQUIRED)
    # URLs and hosts as browsers read them (core.web_urls): links are checked against these.
    if "landing_url" in values:
        try:
            cleaned["landing_url"] = normalise_web_url(
                str(values["landing_url"]),
                max_length=Program._meta.get_field("landing_url").max_length or 500,
            )
        except WebUrlError as error:
            errors["landing_url"] = ValidationError(str(error), code=Code.INVALID)
    if "allowed_domains" in values:
        try:
            cleaned["allowed_domains"] = sorted(
                {normalise_host(str(domain)) for domain in values["allowed_domains"] if str(domain).strip()}
            )
        except WebUrlError:
            errors["allowed_domains"] = ValidationError(
                "List host names only, like shop.example.com.", code=Code.INVALID
            )
    choices = {
        "commission_kind": CommissionKind.values,
        "recurring_mode": RecurringMode.values,
        "attribution_model": AttributionModel.values,
    }
    for field, allowed in choices.items():
        if field in values and values[field] not in allowed:
            errors[field] = ValidationError(f"Choose one of {', '.join(allowed)}.", code=Code.INVALID)
    for field in ("flat_amount", "per_click_amount", "minimum_withdrawal"):
        if field in values:
            cleaned[field] = _check_money(values[field], currency, field, errors)
    if "max_order_value" in values:
        maximum = _check_money(values["max_order_value"], currency, "max_order_value", errors)
        if maximum is not None and not Decimal(0) < maximum < Decimal(10) ** 12:
            errors["max_order_value"] = ValidationError(
                "Use an amount above zero and below 1,000,000,000,000.", code=Code.INVALID
            )
        cleaned["max_order_value"] = maximum
    if "cascade_rates" in values:
        rates = [_check_rate(rate, "cascade_rates", errors) for rate in values["cascade_rates"]]
        if len(rates) > MAX_CASCADE_DEPTH:
            errors["cascade_rates"] = ValidationError(
                f"At most {MAX_CASCADE_DEPTH} levels.", code=Code.INVALID
            )
        cleaned["cascade_rates"] = rates
    for field, low, high in (
        ("hold_days", 0, 365),
        ("cookie_window_days", 1, 365),
        ("recurring_months", 1, 120),
    ):
        if field in values and not (isinstance(values[field], int) and low <= values[field] <= high):
            errors[field] = ValidationError(f"Use a whole number from {low} to {high}.", code=Code.INVALID)
    if "withdrawal_methods" in values:
        methods = list(dict.fromkeys(values["withdrawal_methods"]))
        if not methods or any(method not in WithdrawalMethod.values for method in methods):
            errors["withdrawal_methods"] = ValidationError(
                f"Allow at least one of {', '.join(WithdrawalMethod.values)}.", code=Code.INVALID
            )
        cleaned["withdrawal_methods"] = methods
    if errors:
        raise ValidationError(errors)
    cascade = [rate for rate in cleaned.get("cascade_rates", []) if rate is not None]
    top_rate = max((tier.rate for tier in tiers), default=Decimal(0))
    if (
        cleaned.get("commission_kind", CommissionKind.PERCENTAGE) == CommissionKind.PERCENTAGE
        and top_rate + sum(cascade) > 100
    ):
        raise field_error(
            "cascade_rates",
            f"The best tier ({top_rate} %) plus the cascade ({sum(cascade)} %) "
            "would pay out more than the sale.",
            Code.RATES_TOO_HIGH,
        )
    return cleaned


def program_create(
    *,
    actor: Any,
    name: str,
    landing_url: str,
    currency: str,
    slug: str = "",
    tiers: tuple[TierSpec, ...] | None = None,
    **rules: Any,
) -> Program:
    """A program with its tiers. Unset rules take the platform defaults (20/25/30 % tiers,
    30-day hold and cookie window, minimum withdrawal 10, PayPal and bank transfer)."""
    try:
        validate_currency(currency)
    except ValidationError as error:
        raise ValidationError({"currency": error}) from error
    rules.setdefault("withdrawal_methods", [WithdrawalMethod.PAYPAL, WithdrawalMethod.BANK_TRANSFER])
    tiers = default_tiers() if tiers is None else tiers
    values = _validated_rules({"name": name, "landing_url": landing_url, **rules}, currency, list(tiers))
    slug = slugify(slug or name)[:60]
    if not slug:
        raise field_error("slug", "Give the program a slug.", Code.REQUIRED)
    try:
        with transaction.atomic():
            program = Program.objects.create(slug=slug, currency=currency, **values)
            _tiers_replace(program, list(tiers))
            audit_log(actor=actor, action="program.created", target=program)
    except IntegrityError as error:
        raise field_error("slug", "Another program uses this slug.", Code.SLUG_TAKEN) from error
    return program


def program_update(*, actor: Any, program: Program, **changes: Any) -> Program:
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    merged_rules = {field: getattr(program, field) for field in ("commission_kind", "cascade_rates")}
    values = _validated_rules({**merged_rules, **changes}, program.currency, _tier_specs(program))
    with transaction.atomic():
        locked = Program.objects.select_for_update().get(pk=program.pk)
        changed = {field: values[field] for field in changes if getattr(locked, field) != values[field]}
        for field, value in changed.items():
            setattr(locked, field, value)
        if changed:
            locked.save(update_fields=[*changed, "updated_at"])
            audit_log(
                actor=actor,
                action="program.updated",
                target=locked,
                changes={k: str(v) for k, v in changed.items()},
            )
            # The click lane republishes the program's routes if they carry what changed
            # (tracking.subscribers).
            emit("program.updated", {"program_id": locked.pk, "changed": sorted(changed)})
    return locked


def tiers_set(*, actor: Any, program: Program, tiers: list[TierSpec]) -> list[CommissionTier]:
    """Replace the program's tiers (codes in use by affiliates must stay)."""
    errors: dict[str, ValidationError] = {}
    for tier in tiers:
        _check_rate(tier.rate, "tiers", errors)
    codes = [tier.code for tier in tiers]
    if not tiers or len(set(codes)) != len(codes) or sum(tier.is_default for tier in tiers) != 1:
        errors["tiers"] = ValidationError(
            "Give distinct codes and exactly one default tier.", code=Code.INVALID
        )
    if errors:
        raise ValidationError(errors)
    in_use = set(program.affiliates.values_list("tier__code", flat=True))
    if in_use - set(codes):
        raise field_error(
            "tiers",
            f"Tiers in use cannot be removed: {', '.join(sorted(in_use - set(codes)))}.",
            Code.INVALID,
        )
    _validated_rules(
        {"commission_kind": program.commission_kind, "cascade_rates": program.cascade_rates},
        program.currency,
        tiers,
    )
    with transaction.atomic():
        result = _tiers_replace(program, tiers)
        audit_log(
            actor=actor,
            action="program.tiers_set",
            target=program,
            tiers=[f"{t.code}:{t.rate}" for t in tiers],
        )
    return result


def _tier_specs(program: Program) -> list[TierSpec]:
    return [TierSpec(t.code, t.label, t.rate, t.is_default) for t in program.tiers.all()]


def _tiers_replace(program: Program, tiers: list[TierSpec]) -> list[CommissionTier]:
    CommissionTier.objects.filter(program=program).exclude(code__in=[tier.code for tier in tiers]).delete()
    CommissionTier.objects.filter(program=program).update(is_default=False)
    result = []
    for tier in tiers:
        row, _ = CommissionTier.objects.update_or_create(
            program=program,
            code=tier.code,
            defaults={"label": tier.label, "rate": tier.rate, "is_default": tier.is_default},
        )
        result.append(row)
    return result
