"""A NUL character in any string argument (issue 9, finding 8).

PostgreSQL text cannot hold U+0000, so it used to reach the database driver and answer an
internal error. Now one check refuses it before any resolver runs: a mutation with a payload
answers a UserError on the field at fault, anything else a top-level BAD_USER_INPUT error.
"""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from accounts.models import Role, User
from tests.conftest import PASSWORD, make_user

NUL = "\x00"


def _fields_and_codes(payload: dict) -> list[tuple[str | None, str]]:
    return [(error["field"], error["code"]) for error in payload["errors"]]


@pytest.mark.parametrize(
    ("operation", "variables", "field"),
    [
        (
            "mutation($i: LoginInput!) { login(input: $i) { user { id } errors { field code message } } }",
            {"i": {"email": f"a{NUL}@example.com", "password": PASSWORD}},
            "email",
        ),
        (
            "mutation($i: SignupInput!) { signup(input: $i) { ok errors { field code message } } }",
            {"i": {"email": "new@example.com", "password": f"pass{NUL}word-long-enough", "fullName": "A"}},
            "password",
        ),
        (
            "mutation($e: String!) { magicLinkRequest(email: $e) { ok errors { field code message } } }",
            {"e": f"x{NUL}@example.com"},
            "email",
        ),
        (
            "mutation($i: ContactMessageInput!) { contactMessageSend(input: $i) { ok errors { field code message } } }",
            {"i": {"name": "A", "email": "a@example.com", "subject": "Hi", "message": f"one{NUL}two"}},
            "message",
        ),
    ],
)
def test_a_nul_in_a_mutation_input_is_a_field_error(gql, brand_a, operation, variables, field):
    body = gql(brand_a).execute(operation, variables)

    assert "errors" not in body, body
    [payload] = body["data"].values()
    assert _fields_and_codes(payload) == [(field, "INVALID_CHARACTER")]
    with tenant_context(brand_a):
        assert not User.objects.filter(email="new@example.com").exists()


def test_a_nul_inside_a_json_input_names_its_path(gql, brand_a):
    admin = make_user(brand_a, role=Role.BRAND_ADMIN)

    payload = gql(brand_a, admin).data(
        "mutation($o: JSON) { brandUpdate(input: {themeOverrides: $o}) { brand { name } errors { field code } } }",
        {"o": {"typography": {"fontFamily": f"Inter{NUL}"}}},
    )["brandUpdate"]

    assert payload == {
        "brand": None,
        "errors": [{"field": "themeOverrides.typography.fontFamily", "code": "INVALID_CHARACTER"}],
    }


@pytest.mark.parametrize(
    ("query", "variables", "field"),
    [
        (
            "query($s: String) { marketplace(filter: {search: $s}) { totalCount } }",
            {"s": f"shoes{NUL}"},
            "filter.search",
        ),
        ("query($s: String) { product(slug: $s) { id } }", {"s": f"deal{NUL}"}, "slug"),
        ('{ product(slug: "deal\\u0000") { id } }', {}, "slug"),  # an inline literal too
        (
            "query($a: String) { marketplace(first: 5, after: $a) { totalCount } }",
            {"a": f"YXJyYXk{NUL}"},
            "after",
        ),
    ],
)
def test_a_nul_in_a_query_argument_is_a_bad_user_input_error(gql, brand_a, query, variables, field):
    body = gql(brand_a).execute(query, variables)

    [error] = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}
    assert "NUL" in error["message"]


def test_the_same_operations_without_the_nul_still_work(gql, brand_a):
    client = gql(brand_a)

    login = client.data(
        "mutation($i: LoginInput!) { login(input: $i) { errors { field code } } }",
        {"i": {"email": "nobody@example.com", "password": PASSWORD}},
    )["login"]
    search = client.data("query($s: String) { marketplace(filter: {search: $s}) { totalCount } }", {"s": "x"})

    assert [error["code"] for error in login["errors"]] == ["INVALID_CREDENTIALS"]
    assert search["marketplace"]["totalCount"] == 0
