from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import Enum

import strawberry

from fraud import models
from fraud.config import RuleConfig
from graphql_schema.errors import UserError
from graphql_schema.money import Money, money


@strawberry.enum
class FraudAction(Enum):
    FLAG = "flag"
    HOLD = "hold"
    REJECT = "reject"


@strawberry.enum
class FraudCaseStatus(Enum):
    OPEN = "open"
    APPROVED = "approved"
    REJECTED = "rejected"


@strawberry.enum
class FraudCaseKind(Enum):
    CONVERSION = "conversion"
    CLICKS = "clicks"
    SIGNUP = "signup"
    WITHDRAWAL = "withdrawal"


@strawberry.enum
class FraudDecision(Enum):
    APPROVE = "approve"
    REJECT = "reject"
    BAN = "ban"


@strawberry.type(description="One rule that tripped: its code, what it did, and the facts it saw.")
class FraudReason:
    code: str
    action: FraudAction
    facts: strawberry.scalars.JSON


@strawberry.type(description="One decision on a case (the audit trail).")
class FraudCaseDecisionEntry:
    decision: str
    at: dt.datetime | None
    reviewer_id: strawberry.ID | None
    note: str


@strawberry.type(description="What the fraud rules found on a sale, clicks, a signup or a withdrawal.")
class FraudCase:
    id: strawberry.ID
    kind: FraudCaseKind
    status: FraudCaseStatus
    action: FraudAction
    score: int = strawberry.field(description="0 to 100: the weights of the rules that tripped.")
    rule_codes: list[str]
    reasons: list[FraudReason]
    program_id: strawberry.ID
    program_name: str
    affiliate_id: strawberry.ID
    affiliate_email: str
    affiliate_status: str
    conversion_id: strawberry.ID | None
    order_id: str | None
    amount: Money | None
    withdrawal_id: strawberry.ID | None
    click_count: int
    reviewer_email: str | None
    decided_at: dt.datetime | None
    note: str
    history: list[FraudCaseDecisionEntry]
    created_at: dt.datetime

    @classmethod
    def from_model(cls, case: models.FraudCase) -> FraudCase:
        conversion = case.conversion
        return cls(
            id=strawberry.ID(str(case.pk)),
            kind=FraudCaseKind(case.kind),
            status=FraudCaseStatus(case.status),
            action=FraudAction(case.action),
            score=case.score,
            rule_codes=list(case.rule_codes),
            reasons=[
                FraudReason(
                    code=str(reason.get("code", "")),
                    action=FraudAction(reason.get("action", "flag")),
                    facts=strawberry.scalars.JSON(reason.get("facts", {})),
                )
                for reason in case.reasons
            ],
            program_id=strawberry.ID(str(case.program_id)),
            program_name=case.program.name,
            affiliate_id=strawberry.ID(str(case.affiliate_id)),
            affiliate_email=case.affiliate.user.email,
            affiliate_status=case.affiliate.status,
            conversion_id=strawberry.ID(str(case.conversion_id)) if case.conversion_id else None,
            order_id=conversion.order_id if conversion is not None else None,
            amount=money(conversion.amount, conversion.currency) if conversion is not None else None,
            withdrawal_id=strawberry.ID(str(case.withdrawal_id)) if case.withdrawal_id else None,
            click_count=case.click_count,
            reviewer_email=case.reviewer.email if case.reviewer is not None else None,
            decided_at=case.decided_at,
            note=case.note,
            history=[
                FraudCaseDecisionEntry(
                    decision=str(entry.get("decision", "")),
                    at=dt.datetime.fromisoformat(entry["at"]) if entry.get("at") else None,
                    reviewer_id=strawberry.ID(str(entry["by"])) if entry.get("by") else None,
                    note=str(entry.get("note", "")),
                )
                for entry in case.history
            ],
            created_at=case.created_at,
        )


def _plain(value: Decimal | None) -> Decimal | None:
    """30.0000 as stored -> 30."""
    return None if value is None else Decimal(format(value.normalize(), "f"))


@strawberry.type(description="A fraud rule as a program has it (its defaults unless customised).")
class FraudRule:
    code: str
    target: str = strawberry.field(description="conversion, click, signup or withdrawal.")
    description: str
    enabled: bool
    action: FraudAction
    threshold: Decimal | None
    default_threshold: Decimal | None
    default_action: FraudAction
    unit: str
    countries: list[str] = strawberry.field(description="country_not_allowed: the allowed countries.")
    customised: bool

    @classmethod
    def from_config(cls, rule: RuleConfig) -> FraudRule:
        spec = rule.spec
        return cls(
            code=spec.code,
            target=spec.target,
            description=spec.description,
            enabled=rule.enabled,
            action=FraudAction(rule.action),
            threshold=_plain(rule.threshold),
            default_threshold=_plain(spec.threshold),
            default_action=FraudAction(spec.action),
            unit=spec.unit,
            countries=list(rule.countries),
            customised=rule.customised,
        )


@strawberry.input
class FraudRuleInput:
    code: str
    enabled: bool
    action: FraudAction
    threshold: Decimal | None = None
    countries: list[str] | None = None


@strawberry.input
class FraudRulesUpdateInput:
    program_id: strawberry.ID
    rules: list[FraudRuleInput]


@strawberry.input
class FraudCaseDecideInput:
    id: strawberry.ID
    decision: FraudDecision
    note: str = ""


@strawberry.type
class FraudCasePayload:
    case: FraudCase | None
    errors: list[UserError]


@strawberry.type
class FraudRulesPayload:
    rules: list[FraudRule]
    errors: list[UserError]
