"""One check on every argument of every operation: no NUL character.

PostgreSQL text cannot hold U+0000, so a NUL that reaches a query is an exception from the
database driver, deep in a service: an internal error for what is the client's mistake. This
extension refuses it before the resolver runs, whatever the field:

- a mutation whose payload has ``errors: [UserError!]!`` answers that payload with a UserError
  on the input field at fault (``email``, ``themeOverrides.typography.fontFamily``) and code
  ``INVALID_CHARACTER``, the other payload fields as on any of its user errors
  (``graphql_schema.errors``);
- any other field answers a top-level error with ``extensions.code`` ``BAD_USER_INPUT`` and
  ``extensions.field`` the argument's path (``filter.search``).

Arguments arrive coerced (variables and inline literals alike, ``"\\u0000"`` escapes decoded),
as GraphQL names. The walk runs only when the operation can carry a NUL at all: a variable
holding one, or a ``\\u`` escape in the document.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo, get_named_type
from strawberry.extensions import SchemaExtension
from strawberry.types.base import StrawberryOptional

from core.inputs import INVALID_CHARACTER, nul_path
from core.inputs import NUL_MESSAGE as MESSAGE
from graphql_schema.errors import UserError, user_error_handling

BAD_USER_INPUT = "BAD_USER_INPUT"
# The argument that wraps a mutation's fields: UserError.field is relative to it.
INPUT_ARGUMENT = "input"


def _failure_payload(info: GraphQLResolveInfo, error: UserError) -> object | None:
    """The mutation's failure payload with ``errors=[error]``, built as its resolver's own user
    errors are (``graphql_schema.errors.handle_user_errors``), or None when the field has none
    or the payload would leave a non-null field empty."""
    field = (info.parent_type.fields[info.field_name].extensions or {}).get("strawberry-definition")
    resolver = getattr(field, "base_resolver", None)
    handling = user_error_handling(resolver.wrapped_func) if resolver is not None else None
    if handling is None:
        return None
    payload = handling.failure_payload([error], {})
    definition = (get_named_type(info.return_type).extensions or {}).get("strawberry-definition")
    for payload_field in getattr(definition, "fields", ()):
        if getattr(payload, payload_field.python_name) is None and not isinstance(
            payload_field.type, StrawberryOptional
        ):
            return None
    return payload


class NulCharacterGuard(SchemaExtension):
    def __init__(self) -> None:
        self._may_carry_nul = False

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        self._may_carry_nul = nul_path(context.variables or {}) is not None or "\\u" in (context.query or "")
        yield

    def resolve(
        self, _next: Callable[..., Any], root: Any, info: GraphQLResolveInfo, *args: Any, **kwargs: Any
    ) -> Any:
        if self._may_carry_nul and kwargs:
            path = nul_path(kwargs)
            if path is not None:
                return self._refusal(info, path)
        return _next(root, info, *args, **kwargs)

    @staticmethod
    def _refusal(info: GraphQLResolveInfo, path: tuple[str, ...]) -> object:
        is_mutation_field = info.parent_type is info.schema.mutation_type
        if is_mutation_field:
            relative = path[1:] if path[0] == INPUT_ARGUMENT and len(path) > 1 else path
            payload = _failure_payload(
                info, UserError(field=".".join(relative), code=INVALID_CHARACTER, message=MESSAGE)
            )
            if payload is not None:
                return payload
        raise GraphQLError(MESSAGE, extensions={"code": BAD_USER_INPUT, "field": ".".join(path)})
