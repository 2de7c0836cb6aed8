from __future__ import annotations

import strawberry

from fraud import services
from graphql_schema.access import not_found, parse_id
from graphql_schema.affiliation.access import program_or_error
from graphql_schema.context import Info
from graphql_schema.errors import handle_user_errors, keep_on_error
from graphql_schema.fraud.queries import cases_queryset
from graphql_schema.fraud.types import (
    FraudCase,
    FraudCaseDecideInput,
    FraudCasePayload,
    FraudDecision,
    FraudRule,
    FraudRulesPayload,
    FraudRulesUpdateInput,
)
from graphql_schema.permissions import IsBrandAdmin

_DECISIONS = {
    FraudDecision.APPROVE: services.case_approve,
    FraudDecision.REJECT: services.case_reject,
    FraudDecision.BAN: services.affiliate_ban,
}


@strawberry.type
class FraudMutation:
    @strawberry.mutation(
        permission_classes=[IsBrandAdmin],
        description="Decide a case: APPROVE releases held commissions, REJECT reverses them through the"
        " ledger, BAN rejects and suspends the affiliate.",
    )
    @handle_user_errors
    def fraud_case_decide(self, info: Info, input: FraudCaseDecideInput) -> FraudCasePayload:
        case = cases_queryset().filter(pk=parse_id(input.id)).first()
        if case is None:
            raise not_found("Fraud case")
        keep_on_error(case=lambda: FraudCase.from_model(case))
        decided = _DECISIONS[input.decision](actor=info.context.user, case=case, note=input.note)
        fresh = cases_queryset().get(pk=decided.pk)
        return FraudCasePayload(case=FraudCase.from_model(fresh), errors=[])

    @strawberry.mutation(
        permission_classes=[IsBrandAdmin], description="Override some fraud rules of a program."
    )
    @handle_user_errors(rules=[])
    def fraud_rules_update(self, info: Info, input: FraudRulesUpdateInput) -> FraudRulesPayload:
        program = program_or_error(input.program_id)
        rules = services.rule_settings_set(
            actor=info.context.user,
            program=program,
            rules=[
                services.RuleInput(
                    code=rule.code,
                    enabled=rule.enabled,
                    action=rule.action.value,
                    threshold=rule.threshold,
                    countries=rule.countries,
                )
                for rule in input.rules
            ],
        )
        return FraudRulesPayload(rules=[FraudRule.from_config(rule) for rule in rules], errors=[])
