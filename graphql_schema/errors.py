"""User errors: what the user can fix comes back as data, never as a top-level error."""

from __future__ import annotations

import strawberry
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError


@strawberry.type(description="A problem the user can fix, attached to an input field when there is one.")
class UserError:
    field: str | None = strawberry.field(description="The input field at fault (camelCase), or null.")
    code: str = strawberry.field(description="A stable, machine-readable code, e.g. TAKEN or RATE_LIMITED.")
    message: str = strawberry.field(description="A sentence to show to the user.")


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def user_errors(error: ValidationError) -> list[UserError]:
    """Flatten a Django ValidationError (as raised by services) into UserErrors."""
    result: list[UserError] = []
    if hasattr(error, "error_dict"):
        for field_name, field_errors in error.error_dict.items():
            for item in field_errors:
                result.append(
                    UserError(
                        field=None if field_name == NON_FIELD_ERRORS else _camel(field_name),
                        code=str(item.code or "INVALID"),
                        message=" ".join(item.messages),
                    )
                )
    else:
        for item in error.error_list:
            result.append(
                UserError(field=None, code=str(item.code or "INVALID"), message=" ".join(item.messages))
            )
    return result
