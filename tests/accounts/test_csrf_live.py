"""CSRF against the live server: Django's test client does not enforce it, a real server does."""

from __future__ import annotations

import pytest

from accounts.models import Role
from tests.conftest import make_user

pytestmark = pytest.mark.live

BRAND_UPDATE = 'mutation { brandUpdate(input: {name: "Renamed"}) { brand { name } errors { code } } }'


def test_cookie_sessions_need_the_csrf_token(live_brands, live_client):
    brand, _ = live_brands
    admin = make_user(brand, role=Role.BRAND_ADMIN)
    browser = live_client(brand)
    browser.login(admin.email)

    without = browser.post(BRAND_UPDATE)
    with_token = browser.post(BRAND_UPDATE, headers={"X-CSRFToken": browser.http.cookies["csrftoken"]})

    assert without.status_code == 403
    assert without.json()["errors"][0]["extensions"]["code"] == "CSRF_FAILED"
    assert with_token.status_code == 200
    assert with_token.json()["data"]["brandUpdate"] == {"brand": {"name": "Renamed"}, "errors": []}


def test_login_itself_needs_the_csrf_token(live_brands, live_client):
    brand, _ = live_brands
    user = make_user(brand)
    browser = live_client(brand)

    response = browser.post(
        f'mutation {{ login(input: {{email: "{user.email}", password: "x"}}) {{ errors {{ code }} }} }}'
    )

    assert response.status_code == 403


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
