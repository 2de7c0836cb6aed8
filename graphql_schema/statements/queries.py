from __future__ import annotations

import strawberry

from graphql_schema.access import parse_id
from graphql_schema.context import Info
from graphql_schema.permissions import IsAuthenticated, IsBrandAdmin
from graphql_schema.statements.types import SelfBillingInvoice, Statement, StatementSettings
from statements.selectors import self_billing_invoices_visible_to, statements_visible_to
from statements.services import statement_settings

MAX_ROWS = 120


@strawberry.type
class StatementQuery:
    @strawberry.field(
        permission_classes=[IsAuthenticated], description="My monthly statements, newest first."
    )
    def my_statements(self, info: Info, currency: str | None = None) -> list[Statement]:
        rows = statements_visible_to(info.context.user).filter(user_id=info.context.user.pk)
        if currency:
            rows = rows.filter(currency=currency.upper())
        return [Statement.from_model(row) for row in rows[:MAX_ROWS]]

    @strawberry.field(
        permission_classes=[IsBrandAdmin],
        description="An affiliate's statements, newest first (brand admins).",
    )
    def affiliate_statements(self, info: Info, user_id: strawberry.ID) -> list[Statement]:
        rows = statements_visible_to(info.context.user).filter(user_id=parse_id(user_id))
        return [Statement.from_model(row) for row in rows[:MAX_ROWS]]

    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="Self-billing invoices, newest first: mine, or every affiliate's for brand admins "
        "(optionally one affiliate's).",
    )
    def self_billing_invoices(
        self, info: Info, user_id: strawberry.ID | None = None
    ) -> list[SelfBillingInvoice]:
        rows = self_billing_invoices_visible_to(info.context.user)
        if user_id is not None:
            rows = rows.filter(user_id=parse_id(user_id))
        return [SelfBillingInvoice.from_model(row) for row in rows[:MAX_ROWS]]

    @strawberry.field(permission_classes=[IsBrandAdmin], description="The brand's statement settings.")
    def statement_settings(self, info: Info) -> StatementSettings:
        return StatementSettings.from_model(statement_settings())
