"""Server endpoints with and without their trailing slash (issue 9, finding 14).

Django's APPEND_SLASH answers a 404 path whose slashed twin exists with a redirect, and under
DEBUG a POST there is a RuntimeError (a 500 debug page): a redirect would lose the body. The
machine endpoints take both spellings; any other POST without its slash is a plain 404.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tests.conftest import domain_of


@pytest.fixture
def debug_client(settings) -> Client:
    """A client that reports a 500 as a response, under DEBUG as a developer runs it."""
    settings.DEBUG = True
    return Client(raise_request_exception=False)


@pytest.mark.parametrize("path", ["/postback", "/postback/"])
def test_a_postback_is_accepted_with_or_without_the_slash(debug_client, brand_a, path):
    response = debug_client.post(
        path, data=b'{"order_id": "A1"}', content_type="application/json", HTTP_HOST=domain_of(brand_a)
    )

    assert response.status_code == 401, response.content[:300]
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "INVALID_SIGNATURE"


@pytest.mark.parametrize("path", ["/graphql", "/graphql/"])
def test_graphql_answers_with_or_without_the_slash(debug_client, brand_a, path):
    response = debug_client.post(
        path,
        data=json.dumps({"query": "{ __typename }"}),
        content_type="application/json",
        HTTP_HOST=domain_of(brand_a),
    )

    assert response.status_code == 200, response.content[:300]
    assert response.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize("path", ["/a/collect", "/a/collect/"])
def test_the_analytics_beacon_answers_with_or_without_the_slash(debug_client, brand_a, path):
    # Not a page view: refused by the view itself, not by a redirect or a crash.
    response = debug_client.post(path, data=b"{}", content_type="text/plain", HTTP_HOST=domain_of(brand_a))

    assert response.status_code == 400


@pytest.mark.parametrize("path", ["/stripe/webhook", "/stripe/webhook/"])
def test_the_stripe_webhook_answers_with_or_without_the_slash(debug_client, public_tenant, path):
    host = public_tenant.domains.get(is_primary=True).domain

    response = debug_client.post(path, data=b"{}", content_type="application/json", HTTP_HOST=host)

    assert response.status_code == 400, response.content[:300]


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_any_other_write_without_its_slash_is_a_plain_404_not_a_crash(debug_client, brand_a, method):
    response = getattr(debug_client, method)("/csrf", HTTP_HOST=domain_of(brand_a))

    assert response.status_code == 404


def test_a_get_without_the_slash_is_still_redirected(client, brand_a):
    response = client.get("/csrf", HTTP_HOST=domain_of(brand_a))

    assert response.status_code == 301
    assert response["Location"] == "/csrf/"
