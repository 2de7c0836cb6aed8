"""Opening review cases from what the rules found (in the caller's transaction)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F

from core.events import emit
from fraud.config import RuleConfig
from fraud.models import CaseKind, CaseStatus, FraudCase
from fraud.rules import FLAG, HOLD, REJECT

_SEVERITY = {FLAG: 1, HOLD: 2, REJECT: 3}


@dataclass
class Hit:
    rule: RuleConfig
    facts: dict[str, Any] = field(default_factory=dict)


def strictest(hits: list[Hit]) -> str:
    return max((hit.rule.action for hit in hits), key=_SEVERITY.__getitem__)


def score_of(hits: list[Hit]) -> int:
    return min(100, sum(hit.rule.spec.weight for hit in hits))


def _reasons(hits: list[Hit]) -> list[dict[str, Any]]:
    return [{"code": hit.rule.code, "action": hit.rule.action, "facts": hit.facts} for hit in hits]


def case_open(
    *,
    kind: str,
    key: str,
    program_id: int,
    affiliate_id: int,
    hits: list[Hit],
    conversion_id: int | None = None,
    withdrawal_id: int | None = None,
    click_count: int = 0,
    click_pay: Mapping[str, int] | None = None,
) -> FraudCase:
    """A case for this item, or the one already open for it with these findings added. A case
    whose strictest rule rejects is decided at once (REJECTED, no reviewer). ``click_pay``:
    per-click commissions (by batch key) and how many of the case's clicks each pays for."""
    action = strictest(hits)
    existing = FraudCase.objects.select_for_update().filter(key=key).first()
    if existing is None:
        try:
            with transaction.atomic():
                case = FraudCase.objects.create(
                    kind=kind,
                    key=key,
                    program_id=program_id,
                    affiliate_id=affiliate_id,
                    conversion_id=conversion_id,
                    withdrawal_id=withdrawal_id,
                    action=action,
                    rule_codes=[hit.rule.code for hit in hits],
                    score=score_of(hits),
                    reasons=_reasons(hits),
                    click_count=click_count,
                    click_pay=dict(click_pay or {}),
                    status=CaseStatus.REJECTED
                    if action == REJECT and kind == CaseKind.CONVERSION
                    else CaseStatus.OPEN,
                    history=[{"decision": "rejected", "by": None, "note": "rejected by the rules"}]
                    if action == REJECT and kind == CaseKind.CONVERSION
                    else [],
                )
        except IntegrityError:  # opened concurrently (two drain batches of the same hour)
            existing = FraudCase.objects.select_for_update().get(key=key)
        else:
            emit(
                "fraud.flagged",
                {
                    "case_id": case.pk,
                    "kind": kind,
                    "program_id": program_id,
                    "affiliate_id": affiliate_id,
                    "action": action,
                    "score": case.score,
                },
            )
            return case
    codes = list(existing.rule_codes)
    new = [hit for hit in hits if hit.rule.code not in codes]
    if new or click_count or click_pay:
        FraudCase.objects.filter(pk=existing.pk).update(
            # the row is locked (select_for_update above): read, merge, write is safe
            click_pay={**existing.click_pay, **(click_pay or {})},
            rule_codes=codes + [hit.rule.code for hit in new],
            reasons=list(existing.reasons) + _reasons(new),
            score=min(100, existing.score + sum(hit.rule.spec.weight for hit in new)),
            action=max(existing.action, action, key=lambda a: _SEVERITY.get(a, 0)),
            click_count=F("click_count") + click_count,
        )
        existing.refresh_from_db()
    return existing


__all__ = ["HOLD", "Hit", "case_open"]
