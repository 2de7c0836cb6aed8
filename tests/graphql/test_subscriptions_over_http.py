"""A subscription POSTed to ``/graphql/`` is told to use the websocket, against the live server."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.live

SUBSCRIPTION_OVER_HTTP = {
    "message": (
        "Subscriptions are served over the websocket: open ws://{host}/graphql/ with the "
        "graphql-transport-ws protocol and send this operation there."
    ),
    "extensions": {"code": "SUBSCRIPTION_OVER_HTTP"},
}


@pytest.mark.parametrize(
    ("document", "operation_name"),
    [
        ("subscription { brandUpdated { name } }", None),
        ("query Q { brand { name } } subscription S { brandUpdated { name } }", "S"),
    ],
)
def test_a_subscription_over_http_is_a_clear_400(live_client, live_brands, document, operation_name):
    brand, _ = live_brands
    browser = live_client(brand)

    response = browser.http.post(
        "/graphql/",
        json={"query": document, "operationName": operation_name},
        headers={"X-CSRFToken": browser.csrf_token()},
    )

    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/json"
    expected = dict(
        SUBSCRIPTION_OVER_HTTP, message=SUBSCRIPTION_OVER_HTTP["message"].format(host=browser.host)
    )
    assert response.json() == {"errors": [expected]}


def test_queries_in_the_same_document_still_run_over_http(live_client, live_brands):
    brand, _ = live_brands
    browser = live_client(brand)

    response = browser.http.post(
        "/graphql/",
        json={
            "query": "query Q { brand { name } } subscription S { brandUpdated { name } }",
            "operationName": "Q",
        },
        headers={"X-CSRFToken": browser.csrf_token()},
    )

    assert response.status_code == 200
    assert response.json() == {"data": {"brand": {"name": brand.name}}}
