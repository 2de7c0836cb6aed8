"""The one mutation error path (graphql_schema/errors.py): ``handle_user_errors`` turns a
``ValidationError`` into the payload's ``errors`` and lets every other exception through
(tests/graphql/test_mutation_errors.py checks that every mutation of the schema uses it)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
import strawberry
from django.core.exceptions import ValidationError
from django.http import HttpResponse

from core.errors import field_error
from core.ratelimit import RateLimited
from graphql_schema.errors import UserError, handle_user_errors, keep_on_error


@strawberry.type
class Thing:
    name: str


@strawberry.type
class ThingPayload:
    thing: Thing | None
    ok: bool
    errors: list[UserError]


@strawberry.type
class Query:
    ping: bool = True


@strawberry.type
class Mutation:
    @strawberry.mutation
    @handle_user_errors(ok=False)
    def thing_rename(self, info: strawberry.Info, name: str, keep: bool = False) -> ThingPayload:
        thing = Thing(name="before")
        if keep:
            keep_on_error(thing=lambda: thing)
        if not name:
            raise field_error("new_name", "Name the thing.", "REQUIRED")
        if name == "twice":
            raise ValidationError(
                {
                    "new_name": ValidationError("Taken.", code="TAKEN"),
                    "__all__": ValidationError("Try again.", code="RETRY"),
                }
            )
        if name == "uncoded":
            raise ValidationError("Something is off.")
        if name == "slow down":
            raise RateLimited(ValidationError("Too many tries.", code="RATE_LIMITED"), retry_after_seconds=42)
        if name == "bug":
            raise RuntimeError("a bug")
        if name == "lookup":
            raise KeyError("missing")
        return ThingPayload(thing=Thing(name=name), ok=True, errors=[])

    @strawberry.mutation
    @handle_user_errors(ok=False)
    async def thing_rename_later(self, name: str) -> ThingPayload:
        if not name:
            raise field_error("name", "Name the thing.", "REQUIRED")
        return ThingPayload(thing=Thing(name=name), ok=True, errors=[])


toy_schema = strawberry.Schema(query=Query, mutation=Mutation)

RENAME = "mutation($name: String!, $keep: Boolean! = false) { thingRename(name: $name, keep: $keep) { thing { name } ok errors { field code message } } }"


def _rename(name: str, *, keep: bool = False, response: HttpResponse | None = None) -> Any:
    context = SimpleNamespace(response=response)
    return toy_schema.execute_sync(RENAME, {"name": name, "keep": keep}, context_value=context)


def test_a_validation_error_with_a_field_and_a_code_becomes_that_user_error():
    result = _rename("")

    assert result.errors is None
    assert result.data == {
        "thingRename": {
            "thing": None,
            "ok": False,
            "errors": [{"field": "newName", "code": "REQUIRED", "message": "Name the thing."}],
        }
    }


def test_every_error_of_a_validation_error_is_returned_and_non_field_errors_have_no_field():
    result = _rename("twice")

    assert result.data["thingRename"]["errors"] == [
        {"field": "newName", "code": "TAKEN", "message": "Taken."},
        {"field": None, "code": "RETRY", "message": "Try again."},
    ]


def test_a_validation_error_without_a_code_is_invalid():
    result = _rename("uncoded")

    assert result.data["thingRename"]["errors"] == [
        {"field": None, "code": "INVALID", "message": "Something is off."}
    ]


def test_kept_fields_are_returned_with_the_errors():
    result = _rename("", keep=True)

    assert result.data["thingRename"]["thing"] == {"name": "before"}
    assert [error["code"] for error in result.data["thingRename"]["errors"]] == ["REQUIRED"]


def test_success_is_the_resolver_s_own_payload():
    result = _rename("after", keep=True)

    assert result.data == {"thingRename": {"thing": {"name": "after"}, "ok": True, "errors": []}}


def test_a_rate_limited_error_is_a_user_error_answered_with_429_and_retry_after():
    response = HttpResponse()

    result = _rename("slow down", response=response)

    assert result.data["thingRename"]["errors"] == [
        {"field": None, "code": "RATE_LIMITED", "message": "Too many tries."}
    ]
    assert response.status_code == 429
    assert response["Retry-After"] == "42"


@pytest.mark.parametrize(("name", "exception"), [("bug", RuntimeError), ("lookup", KeyError)])
def test_an_unexpected_exception_is_not_swallowed_into_a_user_error(name, exception):
    result = _rename(name)

    assert result.data is None
    [error] = result.errors
    assert isinstance(error.original_error, exception)


async def test_an_async_resolver_gets_the_same_handling():
    query = "mutation($name: String!) { thingRenameLater(name: $name) { ok errors { field code } } }"

    result = await toy_schema.execute(query, {"name": ""})

    assert result.data == {
        "thingRenameLater": {"ok": False, "errors": [{"field": "name", "code": "REQUIRED"}]}
    }


def test_keep_on_error_outside_a_decorated_resolver_is_a_bug():
    with pytest.raises(RuntimeError):
        keep_on_error(thing=lambda: None)


def test_the_decorator_refuses_a_resolver_that_does_not_return_a_payload():
    @handle_user_errors
    def not_a_mutation() -> int:
        raise field_error("x", "No.", "NO")

    with pytest.raises(TypeError, match="payload"):
        not_a_mutation()
