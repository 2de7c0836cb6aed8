"""User errors: what the user can fix comes back as data, never as a top-level error."""

from __future__ import annotations

from typing import Any

import strawberry
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from core.ratelimit import RateLimited


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


def rate_limited_errors(info: Any, error: RateLimited) -> list[UserError]:
    """The user errors of a rate-limited mutation, answered over HTTP with status 429 and
    ``Retry-After`` (the payload still carries the errors, for clients that read them)."""
    response = getattr(info.context, "response", None)
    if response is not None:  # None over the websocket
        response.status_code = 429
        response["Retry-After"] = str(error.retry_after_seconds)
    return user_errors(error)
