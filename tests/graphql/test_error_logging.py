"""How GraphQL errors are logged (issue 9, finding 11): what the client did wrong (not found,
forbidden, bad variables, page size, a syntax error) is INFO without a traceback; a bug is ERROR
with its traceback."""

from __future__ import annotations

import logging

import pytest

from accounts.models import Role
from tests.conftest import make_user

LOGGER = "strawberry.execution"


def _records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == LOGGER]


@pytest.mark.parametrize(
    ("query", "variables", "signed_in", "code"),
    [
        (
            'query($id: ID!) { linkStats(linkId: $id, since: "2026-01-01T00:00:00Z") { clicks } }',
            {"id": "999999"},
            True,
            "NOT_FOUND",
        ),
        ("{ affiliates(programId: 1, first: 5) { totalCount } }", {}, True, "FORBIDDEN"),
        ("{ myLinks(first: 5) { totalCount } }", {}, False, "UNAUTHENTICATED"),
        ("{ myLinks(first: 100000) { totalCount } }", {}, True, "INVALID_PAGE_SIZE"),
        ("query($n: Int!) { myLinks(first: $n) { totalCount } }", {"n": "many"}, True, None),
        ("{ myLinks(first: 5) { nope } }", {}, True, None),
        ("{ myLinks(first: ", {}, True, None),
    ],
)
def test_an_expected_error_is_logged_at_info_without_a_traceback(
    gql, brand_a, caplog, query, variables, signed_in, code
):
    user = make_user(brand_a, role=Role.AFFILIATE) if signed_in else None
    caplog.set_level(logging.INFO, logger=LOGGER)

    body = gql(brand_a, user).execute(query, variables)

    assert body["errors"]
    if code is not None:
        assert body["errors"][0]["extensions"]["code"] == code
    [record] = _records(caplog)
    assert record.levelno == logging.INFO
    assert record.exc_info is None
    assert body["errors"][0]["message"] in record.getMessage()


def test_a_bug_is_logged_at_error_with_its_traceback(gql, brand_a, caplog, monkeypatch):
    def broken() -> dict:
        raise RuntimeError("a bug in a resolver")

    monkeypatch.setattr("graphql_schema.brand.queries.available_themes", broken)
    caplog.set_level(logging.INFO, logger=LOGGER)

    body = gql(brand_a).execute("{ themes { name } }")

    assert body["errors"][0]["message"] == "Unexpected error."  # masked for the client
    [record] = _records(caplog)
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], RuntimeError)
