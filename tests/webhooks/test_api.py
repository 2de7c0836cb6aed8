"""The webhooks API: brand admins only, field-level user errors with codes, cursor pages of
deliveries with their attempts at a constant query count, the public event catalogue, and
brands that never see each other's endpoints or deliveries, even under the same ids."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Role, User
from core.events import REGISTRY, EventType, PayloadField, emit
from tenants.models import Tenant
from tests.conftest import make_user
from tests.webhooks.receiver import Receiver
from webhooks import services, transport
from webhooks.models import WebhookDelivery, WebhookDeliveryAttempt, WebhookEndpoint

CREATE = """
mutation($input: WebhookEndpointCreateInput!) {
  webhookEndpointCreate(input: $input) {
    endpoint { id url description allEvents eventTypes secretHint isEnabled }
    secret
    errors { field code message }
  }
}"""
UPDATE = """
mutation($id: ID!, $input: WebhookEndpointUpdateInput!) {
  webhookEndpointUpdate(id: $id, input: $input) {
    endpoint { id url eventTypes allEvents isEnabled disabledReason }
    errors { field code }
  }
}"""
ROTATE = "mutation($id: ID!) { webhookEndpointSecretRotate(id: $id) { endpoint { secretHint } secret errors { code } } }"
TEST = (
    "mutation($id: ID!) { webhookEndpointTest(id: $id) { delivery { id eventType status } errors { code } } }"
)
DELETE = "mutation($id: ID!) { webhookEndpointDelete(id: $id) { deletedId errors { code } } }"
REPLAY = (
    "mutation($id: ID!) { webhookDeliveryReplay(id: $id) { delivery { id eventId status } errors { code } } }"
)
ENDPOINTS = "{ webhookEndpoints(first: 10) { totalCount edges { node { id url } } } }"
ENDPOINT = "query($id: ID!) { webhookEndpoint(id: $id) { id url } }"
DELIVERIES = """
query($endpoint: ID!, $first: Int!, $after: String) {
  webhookDeliveries(endpointId: $endpoint, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node {
      id eventId eventType status attemptCount payload
      attempts { trigger isSuccess responseStatusCode responseBody durationMs error }
    } }
  }
}"""
EVENT_TYPES = (
    "{ eventTypes { name version description subscribable jsonSchema fields { name type nullable } } }"
)

WITHDRAWAL = {
    "withdrawal_id": 7,
    "affiliate_id": 3,
    "amount": Decimal("12.50"),
    "currency": "EUR",
    "method": "bank_transfer",
    "status": "requested",
}


@pytest.fixture(autouse=True)
def dns(monkeypatch: Any) -> None:
    """The integrator's host resolves to a public address (this machine has no DNS)."""
    monkeypatch.setattr(transport, "resolve", lambda host, port: ["93.184.215.14"])


@pytest.fixture
def admin(brand_a: Tenant) -> User:
    return make_user(brand_a, role=Role.BRAND_ADMIN)


def create(client: Any, **input: Any) -> dict[str, Any]:
    data: dict[str, Any] = client.data(CREATE, {"input": input})["webhookEndpointCreate"]
    return data


def test_a_brand_admin_adds_an_endpoint_and_sees_its_secret_once(
    brand_a: Tenant, admin: User, gql: Any
) -> None:
    client = gql(brand_a, admin)
    created = create(
        client,
        url="https://hooks.example.com/in",
        description="CRM",
        eventTypes=["commission.created", "conversion.created"],
    )
    assert created["errors"] == []
    assert created["secret"].startswith("whsec_")
    endpoint = created["endpoint"]
    assert endpoint["eventTypes"] == ["commission.created", "conversion.created"]
    assert endpoint["secretHint"] == created["secret"][:10]
    assert endpoint["isEnabled"] is True
    listed = client.data(ENDPOINTS)["webhookEndpoints"]
    assert listed["totalCount"] == 1
    assert listed["edges"][0]["node"] == {"id": endpoint["id"], "url": "https://hooks.example.com/in"}
    with tenant_context(brand_a):
        stored = WebhookEndpoint.objects.get()
    assert created["secret"] not in stored.secret_encrypted

    rotated = client.data(ROTATE, {"id": endpoint["id"]})["webhookEndpointSecretRotate"]
    assert rotated["secret"].startswith("whsec_")
    assert rotated["secret"] != created["secret"]
    assert rotated["endpoint"]["secretHint"] == rotated["secret"][:10]


@pytest.mark.parametrize(
    ("input", "errors"),
    [
        ({"url": "not a url", "eventTypes": ["commission.created"]}, [("url", "INVALID_URL")]),
        ({"url": "ftp://hooks.example.com/", "eventTypes": ["commission.created"]}, [("url", "INVALID_URL")]),
        ({"url": "https://10.0.0.1/", "eventTypes": ["commission.created"]}, [("url", "BLOCKED_TARGET")]),
        ({"url": "http://93.184.215.14/", "eventTypes": ["commission.created"]}, [("url", "INSECURE_URL")]),
        (
            {"url": "https://93.184.215.14/", "eventTypes": ["order.teleported"]},
            [("eventTypes", "UNKNOWN_EVENT_TYPE")],
        ),
        ({"url": "https://93.184.215.14/", "eventTypes": []}, [("eventTypes", "NO_EVENT_TYPES")]),
    ],
)
def test_what_the_admin_can_fix_comes_back_as_field_errors_and_nothing_is_saved(
    brand_a: Tenant,
    admin: User,
    gql: Any,
    settings: Any,
    input: dict[str, Any],
    errors: list[tuple[str, str]],
) -> None:
    settings.WEBHOOKS_ALLOW_HTTP = False
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    created = create(gql(brand_a, admin), **input)
    assert [(e["field"], e["code"]) for e in created["errors"]] == errors
    assert created["endpoint"] is None
    assert created["secret"] is None
    with tenant_context(brand_a):
        assert not WebhookEndpoint.objects.exists()


def test_an_endpoint_can_be_changed_disabled_re_enabled_and_deleted(
    brand_a: Tenant, admin: User, gql: Any
) -> None:
    client = gql(brand_a, admin)
    endpoint_id = create(client, url="https://93.184.215.14/in", eventTypes=["link.created"])["endpoint"][
        "id"
    ]

    changed = client.data(UPDATE, {"id": endpoint_id, "input": {"allEvents": True, "isEnabled": False}})
    assert changed["webhookEndpointUpdate"]["errors"] == []
    assert changed["webhookEndpointUpdate"]["endpoint"] == {
        "id": endpoint_id,
        "url": "https://93.184.215.14/in",
        "eventTypes": [],
        "allEvents": True,
        "isEnabled": False,
        "disabledReason": "ADMIN",
    }
    refused = client.data(TEST, {"id": endpoint_id})["webhookEndpointTest"]
    assert refused["errors"] == [{"code": "ENDPOINT_DISABLED"}]
    invalid = client.data(UPDATE, {"id": endpoint_id, "input": {"url": "https://user:pw@hooks.example.com/"}})
    assert invalid["webhookEndpointUpdate"]["errors"] == [{"field": "url", "code": "INVALID_URL"}]
    enabled = client.data(
        UPDATE, {"id": endpoint_id, "input": {"isEnabled": True, "eventTypes": ["x.y"], "allEvents": False}}
    )
    assert enabled["webhookEndpointUpdate"]["errors"] == [
        {"field": "eventTypes", "code": "UNKNOWN_EVENT_TYPE"}
    ]
    assert enabled["webhookEndpointUpdate"]["endpoint"]["isEnabled"] is False  # nothing saved

    deleted = client.data(DELETE, {"id": endpoint_id})["webhookEndpointDelete"]
    assert deleted == {"deletedId": endpoint_id, "errors": []}
    assert client.data(ENDPOINTS)["webhookEndpoints"]["totalCount"] == 0


def test_only_brand_admins_reach_webhooks(brand_a: Tenant, admin: User, gql: Any) -> None:
    endpoint_id = create(gql(brand_a, admin), url="https://93.184.215.14/in", allEvents=True)["endpoint"][
        "id"
    ]
    for role in (Role.AFFILIATE, Role.MERCHANT, Role.STAFF, None):
        user = make_user(brand_a, role=role) if role else None
        client = gql(brand_a, user)
        for query, variables in [
            (ENDPOINTS, {}),
            (ENDPOINT, {"id": endpoint_id}),
            (DELIVERIES, {"endpoint": endpoint_id, "first": 5}),
            (CREATE, {"input": {"url": "https://93.184.215.14/x", "allEvents": True}}),
            (ROTATE, {"id": endpoint_id}),
            (TEST, {"id": endpoint_id}),
            (DELETE, {"id": endpoint_id}),
            (REPLAY, {"id": "1"}),
        ]:
            body = client.execute(query, variables)
            assert body["errors"][0]["extensions"]["code"] in {"FORBIDDEN", "UNAUTHENTICATED"}, (role, query)
    with tenant_context(brand_a):
        assert WebhookEndpoint.objects.count() == 1
        assert not WebhookDelivery.objects.exists()


@pytest.fixture
def internal_event() -> Iterator[None]:
    REGISTRY.types["audit.internal"] = EventType(
        "audit.internal", 1, "Internal only.", {"x": PayloadField("integer", "x")}, public=False
    )
    yield
    del REGISTRY.types["audit.internal"]


def test_the_event_catalogue_is_public_and_lists_public_events_only(
    brand_a: Tenant, gql: Any, internal_event: None
) -> None:
    catalogue = gql(brand_a).data(EVENT_TYPES)["eventTypes"]
    names = [event["name"] for event in catalogue]
    assert "audit.internal" not in names
    assert {"conversion.created", "commission.created", "withdrawal.paid", "webhook.test"} <= set(names)
    commission = next(e for e in catalogue if e["name"] == "commission.created")
    assert commission["version"] == 1
    assert commission["subscribable"] is True
    assert {"name": "amount", "type": "decimal", "nullable": False} in commission["fields"]
    assert commission["jsonSchema"]["properties"]["amount"]["type"] == "string"
    assert next(e for e in catalogue if e["name"] == "webhook.test")["subscribable"] is False
    # an internal event cannot be chosen either
    admin = make_user(brand_a, role=Role.BRAND_ADMIN)
    created = create(gql(brand_a, admin), url="https://93.184.215.14/", eventTypes=["audit.internal"])
    assert created["errors"][0]["code"] == "UNKNOWN_EVENT_TYPE"


def test_the_delivery_log_pages_deliveries_with_attempts_at_a_constant_query_count(
    brand_a: Tenant, admin: User, gql: Any, receiver: Receiver
) -> None:
    client = gql(brand_a, admin)
    created = create(client, url=receiver.url, eventTypes=["withdrawal.requested"])
    endpoint_id = created["endpoint"]["id"]
    receiver.statuses = [500]
    with tenant_context(brand_a):
        for _ in range(5):
            services.deliveries_create(emit("withdrawal.requested", WITHDRAWAL))
        for delivery_id in WebhookDelivery.objects.order_by("pk").values_list("pk", flat=True):
            services.delivery_attempt(delivery_id=delivery_id)

    counts = []
    for first in (1, 4):
        with CaptureQueriesContext(connection) as queries:
            page = client.data(DELIVERIES, {"endpoint": endpoint_id, "first": first})["webhookDeliveries"]
        counts.append(len(queries))
        assert len(page["edges"]) == first
    assert counts[0] == counts[1]
    rest = client.data(
        DELIVERIES, {"endpoint": endpoint_id, "first": 4, "after": page["pageInfo"]["endCursor"]}
    )
    oldest = rest["webhookDeliveries"]["edges"][0]["node"]  # newest first: the first one attempted is last
    assert rest["webhookDeliveries"]["pageInfo"]["hasNextPage"] is False
    assert oldest["status"] == "PENDING"
    assert oldest["attempts"] == [
        {
            "trigger": "AUTOMATIC",
            "isSuccess": False,
            "responseStatusCode": 500,
            "responseBody": "ok",
            "durationMs": oldest["attempts"][0]["durationMs"],
            "error": "HTTP 500",
        }
    ]
    assert oldest["payload"]["amount"] == "12.50"

    replayed = client.data(REPLAY, {"id": oldest["id"]})["webhookDeliveryReplay"]
    assert replayed["errors"] == []
    assert replayed["delivery"]["eventId"] == oldest["eventId"]
    assert replayed["delivery"]["status"] == "PENDING"

    tested = client.data(TEST, {"id": endpoint_id})["webhookEndpointTest"]
    assert tested["errors"] == []
    assert tested["delivery"]["eventType"] == "webhook.test"


def test_brands_never_see_or_replay_each_others_deliveries_even_under_the_same_ids(
    brand_a: Tenant, brand_b: Tenant, admin: User, gql: Any, receiver_factory: Any
) -> None:
    receiver_a, receiver_b = receiver_factory(), receiver_factory()
    admin_b = make_user(brand_b, role=Role.BRAND_ADMIN)
    with tenant_context(brand_a):
        endpoint_a, _ = services.endpoint_create(
            actor=admin, url=receiver_a.url, event_types=[], all_events=True
        )
        event_a = emit("withdrawal.requested", WITHDRAWAL)
        [delivery_a] = services.deliveries_create(event_a)
    with tenant_context(brand_b):
        # brand B's own endpoint and delivery, under the very same ids as brand A's
        endpoint_b, secret_b = services.endpoint_create(
            actor=admin_b, url=receiver_b.url, event_types=[], all_events=True
        )
        WebhookEndpoint.objects.filter(pk=endpoint_b.pk).update(id=endpoint_a.pk)
        endpoint_b = WebhookEndpoint.objects.get(pk=endpoint_a.pk)
        delivery_b = WebhookDelivery.objects.create(
            pk=delivery_a,
            endpoint=endpoint_b,
            event_id=event_a.id,
            event_name="withdrawal.requested",
            payload={"withdrawal_id": 99},
            occurred_at=timezone.now(),
            next_attempt_at=None,
            status="success",
        )
        # an event of brand B reaches brand B's endpoint only
        services.deliveries_create(emit("withdrawal.requested", {**WITHDRAWAL, "withdrawal_id": 8}))
    with tenant_context(brand_a):
        services.delivery_attempt(delivery_id=delivery_a)
        assert WebhookDelivery.objects.count() == 1

    client_b = gql(brand_b, admin_b)
    page = client_b.data(DELIVERIES, {"endpoint": str(endpoint_a.pk), "first": 10})["webhookDeliveries"]
    payloads = [edge["node"]["payload"] for edge in page["edges"]]
    assert {"withdrawal_id": 99} in payloads
    assert all(p.get("withdrawal_id") != 7 for p in payloads)  # brand A's event is not there
    assert all(edge["node"]["attempts"] == [] for edge in page["edges"])
    replayed = client_b.data(REPLAY, {"id": str(delivery_a)})["webhookDeliveryReplay"]
    assert replayed["delivery"]["id"] == str(delivery_b.pk)
    with tenant_context(brand_b):
        services.delivery_attempt(delivery_id=delivery_b.pk, trigger="replay")
    [sent] = [r for r in receiver_b.received if r.headers["webhook-id"] == str(event_a.id)]
    # brand B's replay went to brand B's receiver, with brand B's payload, signed with its secret
    assert sent.verified(secret_b)["data"] == {"withdrawal_id": 99}
    assert [r.headers["webhook-id"] for r in receiver_a.received] == [str(event_a.id)]
    with tenant_context(brand_a):
        assert WebhookDeliveryAttempt.objects.filter(delivery_id=delivery_a).count() == 1

    # and a brand B admin asking for an id that only brand A has gets NOT_FOUND
    with tenant_context(brand_a):
        only_a = WebhookDelivery.objects.create(
            endpoint=endpoint_a,
            event_id=uuid.UUID(int=1),
            event_name="webhook.test",
            payload={},
            occurred_at=timezone.now(),
            next_attempt_at=None,
        )
    body = client_b.execute(REPLAY, {"id": str(only_a.pk)})
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    body = client_b.execute(ENDPOINT, {"id": str(endpoint_a.pk + 1000)})
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
