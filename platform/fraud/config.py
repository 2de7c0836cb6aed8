"""The rules as a program has them: defaults (``fraud.rules``) under its overrides.

The click screener reads them once per batch, so they are cached per brand schema and program
for a few seconds; a change through ``rule_settings_set`` clears this process's copy."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection

from fraud.models import FraudRuleSetting
from fraud.rules import RULES, RuleSpec

CACHE_SECONDS = 10.0


@dataclass(frozen=True)
class RuleConfig:
    spec: RuleSpec
    enabled: bool
    threshold: Decimal | None
    action: str
    countries: tuple[str, ...] = ()
    customised: bool = False

    @property
    def code(self) -> str:
        return self.spec.code


ProgramRules = dict[str, RuleConfig]

_cache: dict[tuple[str, int], tuple[float, ProgramRules]] = {}


def _defaults() -> ProgramRules:
    return {
        rule.code: RuleConfig(spec=rule, enabled=rule.enabled, threshold=rule.threshold, action=rule.action)
        for rule in RULES
    }


def _apply(rules: ProgramRules, setting: FraudRuleSetting) -> None:
    spec = rules[setting.code].spec
    rules[setting.code] = RuleConfig(
        spec=spec,
        enabled=setting.enabled,
        threshold=setting.threshold if spec.threshold is not None else None,
        action=setting.action,
        countries=tuple(setting.countries),
        customised=True,
    )


def program_rules_fresh(program_id: int) -> ProgramRules:
    """Read from the database now (the settings page, the services)."""
    rules = _defaults()
    for setting in FraudRuleSetting.objects.filter(program_id=program_id):
        if setting.code in rules:
            _apply(rules, setting)
    return rules


def programs_rules(program_ids: Iterable[int]) -> dict[int, ProgramRules]:
    """The rules of these programs, from this process's cache when fresh (one query for the
    others)."""
    schema = str(getattr(connection, "schema_name", ""))
    now = time.monotonic()
    found: dict[int, ProgramRules] = {}
    missing = []
    for program_id in program_ids:
        cached = _cache.get((schema, program_id))
        if cached is not None and now - cached[0] < CACHE_SECONDS:
            found[program_id] = cached[1]
        else:
            missing.append(program_id)
    if missing:
        loaded = {program_id: _defaults() for program_id in missing}
        for setting in FraudRuleSetting.objects.filter(program_id__in=missing):
            if setting.code in loaded[setting.program_id]:
                _apply(loaded[setting.program_id], setting)
        for program_id, rules in loaded.items():
            _cache[(schema, program_id)] = (now, rules)
            found[program_id] = rules
    return found


def rules_cache_clear() -> None:
    _cache.clear()
