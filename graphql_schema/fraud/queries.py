from __future__ import annotations

import strawberry
from django.db.models import QuerySet

from fraud.config import program_rules_fresh
from fraud.models import FraudCase as FraudCaseModel
from graphql_schema.access import not_found, parse_id
from graphql_schema.affiliation.access import program_or_error
from graphql_schema.context import Info
from graphql_schema.fraud.types import FraudCase, FraudCaseKind, FraudCaseStatus, FraudRule
from graphql_schema.pagination import Connection, paginate
from graphql_schema.permissions import IsBrandAdmin


def cases_queryset() -> QuerySet[FraudCaseModel]:
    return FraudCaseModel.objects.select_related("program", "affiliate__user", "conversion", "reviewer")


@strawberry.type
class FraudQuery:
    @strawberry.field(
        permission_classes=[IsBrandAdmin],
        description="The fraud review queue, newest first; filter by status, kind, program, affiliate.",
    )
    def fraud_cases(
        self,
        info: Info,
        status: FraudCaseStatus | None = None,
        kind: FraudCaseKind | None = None,
        program_id: strawberry.ID | None = None,
        affiliate_id: strawberry.ID | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> Connection[FraudCase]:
        cases = cases_queryset()
        if status is not None:
            cases = cases.filter(status=status.value)
        if kind is not None:
            cases = cases.filter(kind=kind.value)
        if program_id is not None:
            cases = cases.filter(program_id=parse_id(program_id))
        if affiliate_id is not None:
            cases = cases.filter(affiliate_id=parse_id(affiliate_id))
        return paginate(cases, first=first, after=after, to_node=FraudCase.from_model, descending=True)

    @strawberry.field(permission_classes=[IsBrandAdmin], description="One case with its reasons.")
    def fraud_case(self, info: Info, id: strawberry.ID) -> FraudCase:
        case = cases_queryset().filter(pk=parse_id(id)).first()
        if case is None:
            raise not_found("Fraud case")
        return FraudCase.from_model(case)

    @strawberry.field(permission_classes=[IsBrandAdmin], description="A program's fraud rules.")
    def fraud_rules(self, info: Info, program_id: strawberry.ID) -> list[FraudRule]:
        program = program_or_error(program_id)
        return [FraudRule.from_config(rule) for rule in program_rules_fresh(program.pk).values()]
