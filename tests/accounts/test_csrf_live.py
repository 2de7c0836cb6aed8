"""CSRF against the live server: Django's test client does not enforce it, a real server does."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from django_tenants.utils import tenant_context

from accounts.models import Role
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.live

BRAND_UPDATE = 'mutation { brandUpdate(input: {name: "Renamed"}) { brand { name } errors { code } } }'


def _simple(browser, query: str, content_type: str, headers: dict | None = None):  # type: ignore[no-untyped-def,type-arg]
    """A "simple" POST, as an HTML form on another site can send it (no CORS preflight)."""
    body = json.dumps({"query": query})
    if content_type == "application/x-www-form-urlencoded":
        body = urlencode({"query": query})
    return browser.http.post(
        "/graphql/", content=body, headers={"Content-Type": content_type, **(headers or {})}
    )


def _multipart(browser, query: str, headers: dict | None = None):  # type: ignore[no-untyped-def,type-arg]
    """A GraphQL multipart request (the upload spec) without a file, as a form can post it."""
    return browser.http.post(
        "/graphql/",
        data={"operations": json.dumps({"query": query, "variables": {}}), "map": "{}"},
        files={"unused": ("a.txt", b"x", "text/plain")},
        headers=headers or {},
    )


def test_a_public_query_needs_no_cookie_and_no_token(live_brands, live_client):
    brand, _ = live_brands
    anonymous = live_client(brand)

    response = anonymous.post("{ brand { name } }")

    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"brand": {"name": brand.name}}}
    assert not anonymous.http.cookies


def test_json_requests_need_no_token_even_with_a_session(live_brands, live_client):
    """A browser cannot send application/json across sites without a CORS preflight, which
    this server never grants: the content type itself proves the request is same-origin."""
    brand, _ = live_brands
    admin = make_user(brand, role=Role.BRAND_ADMIN)
    browser = live_client(brand)
    browser.login(admin.email)

    response = browser.post(BRAND_UPDATE)

    assert response.status_code == 200, response.text
    assert response.json()["data"]["brandUpdate"] == {"brand": {"name": "Renamed"}, "errors": []}


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_simple_requests_with_a_session_need_the_token(live_brands, live_client, content_type):
    brand, _ = live_brands
    admin = make_user(brand, role=Role.BRAND_ADMIN)
    browser = live_client(brand)
    browser.login(admin.email)

    without = _simple(browser, BRAND_UPDATE, content_type)

    assert without.status_code == 403
    assert without.json()["errors"][0]["extensions"]["code"] == "CSRF_FAILED"
    with tenant_context(brand):
        brand.refresh_from_db()
    assert brand.name != "Renamed"


def test_multipart_with_a_session_needs_the_token_or_a_preflight_header(live_brands, live_client):
    brand, _ = live_brands
    admin = make_user(brand, role=Role.BRAND_ADMIN)
    browser = live_client(brand)
    browser.login(admin.email)

    without = _multipart(browser, BRAND_UPDATE)
    with_token = _multipart(browser, BRAND_UPDATE, {"X-CSRFToken": browser.http.cookies["csrftoken"]})
    preflighted = [
        _multipart(browser, BRAND_UPDATE, {header: "1"})
        for header in ("GraphQL-Preflight", "Apollo-Require-Preflight", "X-Requested-With")
    ]

    assert without.status_code == 403
    assert without.json()["errors"][0]["extensions"]["code"] == "CSRF_FAILED"
    for response in [with_token, *preflighted]:
        assert response.status_code == 200, response.text
        assert response.json()["data"]["brandUpdate"]["errors"] == []


def test_a_forged_login_form_is_refused(live_brands, live_client):
    """Login CSRF: a form on another site cannot sign the visitor in (to the attacker's account)."""
    brand, _ = live_brands
    user = make_user(brand)
    forger = live_client(brand)
    login = f'mutation {{ login(input: {{email: "{user.email}", password: "{PASSWORD}"}}) {{ errors {{ code }} }} }}'

    responses = [_simple(forger, login, "text/plain"), _multipart(forger, login)]

    # text/plain: refused by CSRF; multipart without a session or token: refused before its
    # body is read (core.request_limits), which comes first.
    assert [response.status_code for response in responses] == [403, 401]
    assert "sessionid" not in forger.http.cookies


def test_bearer_tokens_are_exempt(live_brands, live_client):
    brand, _ = live_brands
    user = make_user(brand)
    browser = live_client(brand)
    browser.login(user.email)
    created = browser.post(
        'mutation { apiTokenCreate(input: {name: "ci", scopes: [READ, WRITE]}) { token } }',
        headers={"X-CSRFToken": browser.http.cookies["csrftoken"]},
    ).json()["data"]["apiTokenCreate"]["token"]
    integration = live_client(brand)

    response = integration.post(
        'mutation { apiTokenCreate(input: {name: "second", scopes: [READ]}) { errors { code } } }',
        headers={"Authorization": f"Bearer {created}"},
    )

    assert response.status_code == 200
    assert response.json()["data"]["apiTokenCreate"]["errors"] == []


def test_queries_over_get_need_no_csrf(live_brands, live_client):
    brand, _ = live_brands

    response = live_client(brand).http.get("/graphql/", params={"query": "{ brand { name } }"})

    assert response.json() == {"data": {"brand": {"name": brand.name}}}
