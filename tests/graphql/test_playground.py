from __future__ import annotations

from django.conf import settings
from django.test import override_settings
from django_tenants.utils import tenant_context

from tests.conftest import domain_of, make_user

PLAYGROUND_ASSETS = [
    "graphiql.min.js",
    "graphiql.min.css",
    "react.production.min.js",
    "react-dom.production.min.js",
    "graphql-ws.min.js",
]


def _get_playground(client, brand):
    return client.get("/graphql/", HTTP_HOST=domain_of(brand), HTTP_ACCEPT="text/html")


def test_the_playground_is_served_with_local_assets_only(client, brand_a):
    response = _get_playground(client, brand_a)

    html = response.content.decode()
    assert response.status_code == 200
    for asset in PLAYGROUND_ASSETS:
        assert f"/static/playground/{asset}" in html
    for remote in ("unpkg", "jsdelivr", "cdn", "https://"):
        assert remote not in html.lower()
    assert "csrftoken" in response.cookies


def test_the_playground_assets_are_built_and_served(client, brand_a):
    for asset in PLAYGROUND_ASSETS:
        assert (settings.STATICFILES_DIRS[0] / "playground" / asset).is_file()
        response = client.get(f"/static/playground/{asset}", HTTP_HOST=domain_of(brand_a))
        assert response.status_code == 200, asset


@override_settings(GRAPHQL_PLAYGROUND="authenticated")
def test_the_playground_can_be_limited_to_signed_in_users(client, brand_a):
    assert _get_playground(client, brand_a).status_code == 403

    with tenant_context(brand_a):
        client.force_login(make_user(brand_a))
    assert _get_playground(client, brand_a).status_code == 200
