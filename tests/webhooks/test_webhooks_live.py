"""Webhooks end to end: the live server (GraphQL), committed sales, the outbox's after-commit
dispatch, a real Celery worker, and real HTTP receivers on 127.0.0.1 that verify every
signature with the ``standardwebhooks`` library."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import pytest
from django_tenants.utils import tenant_context

from accounts.models import Role
from affiliation.services import conversion_record
from core.events import emit
from core.models import OutboxEvent
from tests.conftest import make_user
from tests.engine import make_affiliate, make_click, make_program
from webhooks.models import WebhookDelivery

pytestmark = pytest.mark.live

CREATE = """
mutation($input: WebhookEndpointCreateInput!) {
  webhookEndpointCreate(input: $input) { endpoint { id } secret errors { field code } }
}"""
DELIVERIES = """
query($endpoint: ID!) {
  webhookDeliveries(endpointId: $endpoint, first: 20) {
    totalCount
    edges { node { id eventId eventType status attemptCount attempts { trigger isSuccess responseStatusCode error } } }
  }
}"""
REPLAY = "mutation($id: ID!) { webhookDeliveryReplay(id: $id) { delivery { eventId } errors { code } } }"


def add_endpoint(browser: Any, url: str, event_types: list[str]) -> tuple[str, str]:
    body = browser.post(CREATE, {"input": {"url": url, "eventTypes": event_types}}).json()
    created = body["data"]["webhookEndpointCreate"]
    assert created["errors"] == [], body
    return created["endpoint"]["id"], created["secret"]


def signed_in_admin(live_client: Any, brand: Any) -> Any:
    admin = make_user(brand, role=Role.BRAND_ADMIN)
    browser = live_client(brand)
    browser.login(admin.email)
    return browser


def test_a_sale_reaches_the_integrator_signed_and_another_brand_hears_nothing(
    live_brands: Any, live_client: Any, celery_worker_thread: None, receiver_factory: Any
) -> None:
    brand, other = live_brands
    receiver, other_receiver = receiver_factory(), receiver_factory()
    _, secret = add_endpoint(
        signed_in_admin(live_client, brand), receiver.url, ["conversion.created", "commission.created"]
    )
    add_endpoint(
        signed_in_admin(live_client, other), other_receiver.url, ["conversion.created", "commission.created"]
    )

    with tenant_context(brand):
        program = make_program(cascade_rates=[Decimal(10)])
        upline = make_affiliate(brand, program)
        affiliate = make_affiliate(brand, program, referrer=upline)
        click = make_click(affiliate)
        result = conversion_record(
            source="api", order_id="W-1", amount="200.00", currency="EUR", click_id=str(click.pk)
        )

    received = receiver.wait_for(3)
    time.sleep(0.5)  # nothing more comes
    assert len(receiver.received) == 3
    bodies = {r.headers["webhook-id"]: r.verified(secret) for r in received}
    with tenant_context(brand):
        events = {
            str(e.id): e.name
            for e in OutboxEvent.objects.filter(name__in=["conversion.created", "commission.created"])
        }
    assert {webhook_id: body["type"] for webhook_id, body in bodies.items()} == events
    conversion = next(b for b in bodies.values() if b["type"] == "conversion.created")
    assert conversion["data"]["conversion_id"] == result.conversion.pk
    assert conversion["data"]["amount"] == "200.00"
    commissions = sorted(
        (b["data"]["level"], b["data"]["amount"])
        for b in bodies.values()
        if b["type"] == "commission.created"
    )
    assert commissions == [(0, "40.00"), (1, "20.00")]
    assert other_receiver.received == []
    with tenant_context(other):
        assert not WebhookDelivery.objects.exists()


def test_three_failures_then_a_success_is_one_success_and_four_attempts_and_a_replay_keeps_the_id(
    live_brands: Any, live_client: Any, celery_worker_thread: None, receiver_factory: Any, settings: Any
) -> None:
    settings.WEBHOOKS_RETRY_SCHEDULE_SECONDS = [0.2, 0.4, 0.6]
    brand, _ = live_brands
    receiver = receiver_factory()
    receiver.statuses = [500, 502, 503]
    browser = signed_in_admin(live_client, brand)
    endpoint_id, secret = add_endpoint(browser, receiver.url, ["withdrawal.requested"])

    with tenant_context(brand):
        event = emit(
            "withdrawal.requested",
            {
                "withdrawal_id": 1,
                "affiliate_id": 2,
                "amount": Decimal("25.00"),
                "currency": "EUR",
                "method": "paypal",
                "status": "requested",
            },
        )

    received = receiver.wait_for(4)
    assert [r.headers["webhook-id"] for r in received] == [str(event.id)] * 4
    for request in received:
        assert request.verified(secret)["data"]["withdrawal_id"] == 1

    def log() -> dict[str, Any]:
        data: dict[str, Any] = browser.post(DELIVERIES, {"endpoint": endpoint_id}).json()["data"]
        return data["webhookDeliveries"]

    deadline = time.monotonic() + 10
    while log()["edges"][0]["node"]["status"] != "SUCCESS" and time.monotonic() < deadline:
        time.sleep(0.1)
    deliveries = log()
    assert deliveries["totalCount"] == 1
    delivery = deliveries["edges"][0]["node"]
    assert delivery["eventId"] == str(event.id)
    assert delivery["status"] == "SUCCESS"
    assert delivery["attemptCount"] == 4
    assert [(a["responseStatusCode"], a["isSuccess"]) for a in delivery["attempts"]] == [
        (500, False),
        (502, False),
        (503, False),
        (200, True),
    ]

    replayed = browser.post(REPLAY, {"id": delivery["id"]}).json()["data"]["webhookDeliveryReplay"]
    assert replayed == {"delivery": {"eventId": str(event.id)}, "errors": []}
    fifth = receiver.wait_for(5)[4]
    assert fifth.headers["webhook-id"] == str(event.id)
    assert fifth.body == received[3].body
    fifth.verified(secret)
    deadline = time.monotonic() + 10
    while len(log()["edges"][0]["node"]["attempts"]) < 5 and time.monotonic() < deadline:
        time.sleep(0.1)
    attempts = log()["edges"][0]["node"]["attempts"]
    assert [a["trigger"] for a in attempts] == ["AUTOMATIC"] * 4 + ["REPLAY"]
    assert attempts[4]["isSuccess"] is True
