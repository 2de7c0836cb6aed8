"""Brand admins' side of fraud: rule settings per program and decisions on review cases."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from affiliation.models import (
    Affiliate,
    AffiliateStatus,
    Commission,
    CommissionKind,
    CommissionStatus,
    Conversion,
    ConversionStatus,
    Program,
)
from affiliation.services import affiliate_decide, commission_reverse, commissions_unhold
from core.audit import audit_log
from core.errors import field_error
from core.money import COMMISSION_ROUNDING, quantize
from fraud.config import RuleConfig, program_rules_fresh, rules_cache_clear
from fraud.error_codes import FraudErrorCode as Code
from fraud.models import CaseKind, CaseStatus, FraudCase, FraudRuleSetting
from fraud.rules import RULE_ACTIONS, RULES_BY_CODE
from payouts.models import WithdrawalStatus


@dataclass(frozen=True)
class RuleInput:
    code: str
    enabled: bool
    action: str
    threshold: Any = None
    countries: list[str] | None = None


def rule_settings_set(*, actor: User | None, program: Program, rules: list[RuleInput]) -> list[RuleConfig]:
    """Override some rules of a program (all checked before any is saved)."""
    rows = []
    for index, item in enumerate(rules):
        prefix = f"rules.{index}"
        spec = RULES_BY_CODE.get(item.code)
        if spec is None:
            raise field_error(f"{prefix}.code", "Unknown rule.", Code.UNKNOWN_RULE)
        if item.action not in RULE_ACTIONS:
            raise field_error(f"{prefix}.action", "Choose flag, hold or reject.", Code.INVALID_ACTION)
        threshold = None
        if spec.threshold is not None:
            try:
                threshold = Decimal(str(item.threshold if item.threshold is not None else spec.threshold))
            except (InvalidOperation, ValueError) as error:
                raise field_error(f"{prefix}.threshold", "Enter a number.", Code.INVALID_THRESHOLD) from error
            if not threshold.is_finite() or not spec.minimum <= threshold <= spec.maximum:
                raise field_error(
                    f"{prefix}.threshold",
                    f"Enter a number from {spec.minimum} to {spec.maximum}.",
                    Code.INVALID_THRESHOLD,
                )
        countries = sorted({c.strip().upper() for c in item.countries or [] if c.strip()})
        if any(len(c) != 2 or not c.isalpha() for c in countries):
            raise field_error(
                f"{prefix}.countries", "Use two-letter country codes (MA, FR…).", Code.INVALID_COUNTRY
            )
        rows.append((item.code, item.enabled, item.action, threshold, countries))
    with transaction.atomic():
        for code, enabled, action, threshold, countries in rows:
            FraudRuleSetting.objects.update_or_create(
                program=program,
                code=code,
                defaults={
                    "enabled": enabled,
                    "action": action,
                    "threshold": threshold,
                    "countries": countries,
                },
            )
        audit_log(actor=actor, action="fraud.rules_changed", target=program, codes=[row[0] for row in rows])
    rules_cache_clear()
    return list(program_rules_fresh(program.pk).values())


def _locked_open(case: FraudCase) -> FraudCase:
    locked = FraudCase.objects.select_for_update().get(pk=case.pk)
    if locked.status != CaseStatus.OPEN:
        raise field_error("case", "This case is already decided.", Code.ALREADY_DECIDED)
    return locked


def _decided(*, case: FraudCase, actor: User, status: str, note: str) -> None:
    now = timezone.now()
    case.status = status
    case.reviewer = actor
    case.decided_at = now
    case.note = note.strip()[:500]
    case.history = [
        *case.history,
        {"at": now.isoformat(), "by": actor.pk, "decision": status, "note": case.note},
    ]
    case.save(update_fields=["status", "reviewer", "decided_at", "note", "history", "updated_at"])
    audit_log(actor=actor, action=f"fraud_case.{status}", target=case, key=case.key, note=case.note)


def case_approve(*, actor: User, case: FraudCase, note: str = "") -> FraudCase:
    """Not fraud: a held sale's commissions go back to pending (or straight to available when
    their hold period is over); a held signup is approved; a held withdrawal is released (a
    brand admin approves it, or not, as any other)."""
    with transaction.atomic():
        case = _locked_open(case)
        if case.conversion_id is not None:
            conversion = Conversion.objects.select_for_update().get(pk=case.conversion_id)
            commissions = list(conversion.commissions.select_for_update().order_by("pk"))
            commissions_unhold(commissions=commissions)
            if conversion.under_review:
                conversion.under_review = False
                conversion.save(update_fields=["under_review"])
        if case.withdrawal is not None:
            from payouts.services import withdrawal_release

            withdrawal_release(actor=actor, withdrawal=case.withdrawal)  # approvable again
        if case.kind == CaseKind.SIGNUP:
            affiliate = Affiliate.objects.get(pk=case.affiliate_id)
            # held (pending) or refused by a reject rule: the review lets them in
            if affiliate.status in (AffiliateStatus.PENDING, AffiliateStatus.REJECTED):
                affiliate_decide(actor=actor, affiliate=affiliate, approve=True)
        _decided(case=case, actor=actor, status=CaseStatus.APPROVED, note=note)
    return case


def _click_pay_reverse(case: FraudCase) -> None:
    """Take back what the case's clicks earned from the per-click commissions that paid for
    them (``FraudCase.click_pay``), through the ledger, once per commission and case (the
    ledger's idempotency key), never more than what the commission still holds."""
    for batch_key, clicks in sorted(case.click_pay.items()):
        commission = (
            Commission.objects.select_for_update()
            .filter(
                click_batch_key=batch_key, beneficiary_id=case.affiliate_id, kind=CommissionKind.PER_CLICK
            )
            .first()
        )
        if commission is None or commission.status == CommissionStatus.REVERSED:
            continue  # the program does not pay per click, or nothing is left to take back
        earned = quantize(commission.base_amount * int(clicks), commission.currency, COMMISSION_ROUNDING)
        amount = min(earned, commission.amount - commission.reversed_amount)
        if amount > 0:
            commission_reverse(
                commission=commission,
                amount=amount,
                idempotency_key=f"commission:{commission.pk}:fraud:{case.pk}",
            )


def case_reject(*, actor: User, case: FraudCase, note: str = "") -> FraudCase:
    """Fraud: a sale is rejected and what its commissions still hold is reversed through the
    ledger (pending or available, whichever holds it); clicks lose the per-click pay they
    earned (likewise reversed); a signup is refused; a withdrawal is rejected (its money back
    to the affiliate's available balance, for another review)."""
    with transaction.atomic():
        case = _locked_open(case)
        if case.conversion_id is not None:
            conversion = Conversion.objects.select_for_update().get(pk=case.conversion_id)
            commissions: list[Commission] = list(conversion.commissions.select_for_update().order_by("pk"))
            for commission in commissions:
                remaining = commission.amount - commission.reversed_amount
                if remaining > 0 and commission.status != CommissionStatus.REVERSED:
                    commission_reverse(
                        commission=commission,
                        amount=remaining,
                        idempotency_key=f"commission:{commission.pk}:fraud:{case.pk}",
                    )
            conversion.status = ConversionStatus.REJECTED
            conversion.under_review = False
            conversion.save(update_fields=["status", "under_review"])
        if case.kind == CaseKind.CLICKS:
            _click_pay_reverse(case)
        if case.kind == CaseKind.SIGNUP:
            affiliate = Affiliate.objects.get(pk=case.affiliate_id)
            if affiliate.status in (AffiliateStatus.PENDING, AffiliateStatus.APPROVED):
                affiliate_decide(actor=actor, affiliate=affiliate, approve=False)
        if case.withdrawal is not None and case.withdrawal.status in (
            WithdrawalStatus.REQUESTED,
            WithdrawalStatus.APPROVED,
        ):
            from payouts.services import withdrawal_reject

            withdrawal_reject(actor=actor, withdrawal=case.withdrawal, reason="Refused after a fraud review.")
        _decided(case=case, actor=actor, status=CaseStatus.REJECTED, note=note)
    return case


def affiliate_ban(*, actor: User, case: FraudCase, note: str = "") -> FraudCase:
    """Reject the case (as ``case_reject``, when still open), cancel the affiliate's commissions
    still pending or held (reversed through the ledger; what is available stays theirs) and
    suspend them: their links stop redirecting and they earn nothing more."""
    with transaction.atomic():
        if case.status == CaseStatus.OPEN:
            case = case_reject(actor=actor, case=case, note=note)
        affiliate = Affiliate.objects.get(pk=case.affiliate_id)
        # As Dub's ban: what the affiliate has not earned yet (pending or held) is cancelled.
        for commission in Commission.objects.select_for_update().filter(
            beneficiary=affiliate, status__in=(CommissionStatus.PENDING, CommissionStatus.HELD)
        ):
            remaining = commission.amount - commission.reversed_amount
            if remaining > 0:
                commission_reverse(
                    commission=commission, amount=remaining, idempotency_key=f"commission:{commission.pk}:ban"
                )
        if affiliate.status == AffiliateStatus.APPROVED:
            affiliate_decide(actor=actor, affiliate=affiliate, approve=False)  # → suspended
        elif affiliate.status == AffiliateStatus.PENDING:
            affiliate_decide(actor=actor, affiliate=affiliate, approve=False)  # → rejected
        audit_log(actor=actor, action="fraud_case.affiliate_banned", target=case, affiliate_id=affiliate.pk)
    return case
