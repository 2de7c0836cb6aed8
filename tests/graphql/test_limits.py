from __future__ import annotations

from django.conf import settings
from django.test import override_settings


@override_settings(GRAPHQL_MAX_DEPTH=2)
def test_a_too_deep_query_is_refused_with_a_clear_message(gql, brand_a):
    response = gql(brand_a).post("query Deep { brand { theme { colors { primary } } } }")

    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["message"] == "'Deep' exceeds maximum operation depth of 2"


def test_a_deep_introspection_query_is_refused_not_500(gql, brand_a):
    query = "{ __schema { types { " + "fields { type { " * 6 + "name" + " } }" * 6 + " } } }"

    response = gql(brand_a).post(query)

    assert response.status_code == 200
    assert response.json()["errors"][0]["message"] == "Maximum introspection depth exceeded"


def test_too_many_aliases_are_refused(gql, brand_a):
    aliases = " ".join(f"a{n}: brand {{ name }}" for n in range(settings.GRAPHQL_MAX_ALIASES + 1))

    body = gql(brand_a).post("{ " + aliases + " }").json()

    assert "aliases" in body["errors"][0]["message"]


def test_too_many_tokens_are_refused(gql, brand_a):
    query = "{ " + " ".join(["brand { name }"] * (settings.GRAPHQL_MAX_TOKENS // 3)) + " }"

    response = gql(brand_a).post(query)

    assert response.status_code in {200, 400}
    assert "token" in response.json()["errors"][0]["message"].lower()


def test_a_fragment_cannot_smuggle_aliases_past_the_limit(gql, brand_a):
    aliases = " ".join(f"a{n}: name" for n in range(settings.GRAPHQL_MAX_ALIASES + 1))
    query = "query { brand { ...F } } fragment F on Brand { " + aliases + " }"

    body = gql(brand_a).post(query).json()

    assert "errors" in body
    assert body.get("data") is None


def test_syntax_errors_are_reported_not_500(gql, brand_a):
    response = gql(brand_a).post("{ brand { name ")

    assert response.status_code == 200
    assert "Syntax Error" in response.json()["errors"][0]["message"]
