from __future__ import annotations

import dataclasses

import strawberry

from accounts.models import User
from graphql_schema.access import not_found, parse_id
from graphql_schema.context import Info
from graphql_schema.errors import handle_user_errors
from graphql_schema.permissions import IsBrandAdmin
from graphql_schema.statements.types import (
    Statement,
    StatementPayload,
    StatementSettings,
    StatementSettingsInput,
    StatementSettingsPayload,
)
from statements.services import statement_regenerate as regenerate
from statements.services import statement_settings_update


@strawberry.type
class StatementMutation:
    @strawberry.mutation(
        permission_classes=[IsBrandAdmin],
        description="Generate (again) an affiliate's statement of a month that is over, in one currency.",
    )
    @handle_user_errors
    def statement_regenerate(
        self, info: Info, user_id: strawberry.ID, period: str, currency: str
    ) -> StatementPayload:
        user = User.objects.filter(pk=parse_id(user_id)).first()
        if user is None:
            raise not_found("Affiliate")
        statement = regenerate(actor=info.context.user, user=user, period=period, currency=currency)
        return StatementPayload(statement=Statement.from_model(statement), errors=[])

    @strawberry.mutation(
        permission_classes=[IsBrandAdmin], description="Change the brand's statement settings."
    )
    @handle_user_errors
    def statement_settings_update(
        self, info: Info, input: StatementSettingsInput
    ) -> StatementSettingsPayload:
        values = {
            field.name: getattr(input, field.name)
            for field in dataclasses.fields(input)
            if getattr(input, field.name) is not None
        }
        row = statement_settings_update(actor=info.context.user, **values)
        return StatementSettingsPayload(statement_settings=StatementSettings.from_model(row), errors=[])
