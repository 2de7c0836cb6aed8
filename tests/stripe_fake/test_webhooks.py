"""Webhook delivery: real signatures, recorded statuses, duplicates, out-of-order delivery."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import stripe

from tests.stripe_fixtures import CARD, FakeStripe, WebhookReceiver, webhook_receiver


def test_deliveries_verify_with_the_sdk_and_a_tampered_payload_does_not(
    fake_stripe: FakeStripe, stripe_webhook_receiver: WebhookReceiver
) -> None:
    client = fake_stripe.client()
    customer = client.v1.customers.create(params={"email": "signed@example.com"})

    [received] = stripe_webhook_receiver.received
    assert received.event is not None
    assert (received.event.type, received.event.data.object.id) == ("customer.created", customer.id)
    assert received.signature is not None
    assert received.signature.startswith("t=")
    [delivery] = fake_stripe.deliveries(received.event.id)
    assert (delivery["status"], delivery["endpoint"], delivery["url"]) == (
        200,
        stripe_webhook_receiver.endpoint_id,
        stripe_webhook_receiver.url,
    )

    tampered = received.body.replace(b"signed@example.com", b"attacker@example.com")
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(tampered, received.signature, stripe_webhook_receiver.secret)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(received.body, received.signature, "whsec_someone_else")


@pytest.mark.parametrize("signature", ["invalid", "missing", "stale"])
def test_badly_signed_payloads_are_refused_by_the_receiver(
    fake_stripe: FakeStripe, stripe_webhook_receiver: WebhookReceiver, signature: str
) -> None:
    payload = {"id": "evt_forged", "object": "event", "type": "invoice.paid", "data": {"object": {}}}

    [delivery] = fake_stripe.send_webhook(payload, signature=signature)

    assert delivery["status"] == 400
    assert delivery["signature"] == signature
    assert stripe_webhook_receiver.events() == []
    assert len(stripe_webhook_receiver.rejected()) == 1


def test_an_arbitrary_payload_can_be_sent_validly_signed(
    fake_stripe: FakeStripe, stripe_webhook_receiver: WebhookReceiver
) -> None:
    payload = {
        "id": "evt_handmade",
        "object": "event",
        "type": "invoice.paid",
        "data": {"object": {"id": "in_x"}},
    }

    [delivery] = fake_stripe.send_webhook(payload, signature="valid")

    assert delivery["status"] == 200
    assert [e.id for e in stripe_webhook_receiver.events()] == ["evt_handmade"]


def test_events_are_retrievable_with_previous_attributes(
    fake_stripe: FakeStripe, stripe_webhook_receiver: WebhookReceiver
) -> None:
    client = fake_stripe.client()
    customer = client.v1.customers.create(params={"email": "old@example.com", "metadata": {"brand": "alpha"}})

    client.v1.customers.update(customer.id, params={"email": "new@example.com", "metadata": {"tier": "vip"}})

    updated = stripe_webhook_receiver.events()[-1]
    assert updated.type == "customer.updated"
    assert updated.data.previous_attributes.to_dict() == {
        "email": "old@example.com",
        "metadata": {"tier": None},
    }
    assert updated.data.object.metadata.to_dict() == {"brand": "alpha", "tier": "vip"}
    stored = client.v1.events.retrieve(updated.id)
    assert stored.to_dict() == updated.to_dict()
    assert stored.request.idempotency_key  # the SDK sends one with every POST
    listed = client.v1.events.list(params={"type": "customer.updated", "limit": 1}).data
    assert [e.id for e in listed] == [updated.id]


def test_held_events_are_delivered_in_reverse_order(
    fake_stripe: FakeStripe, stripe_webhook_receiver: WebhookReceiver
) -> None:
    client = fake_stripe.client()
    customer = client.v1.customers.create(params={**CARD, "email": "reverse@example.com"})
    price = client.v1.prices.create(
        params={
            "currency": "eur",
            "unit_amount": 700,
            "recurring": {"interval": "month"},
            "product_data": {"name": "Reverse"},
        }
    )
    stripe_webhook_receiver.clear()
    fake_stripe.pause_webhooks()

    client.v1.subscriptions.create(params={"customer": customer.id, "items": [{"price": price.id}]})

    assert stripe_webhook_receiver.received == []
    held = fake_stripe.held_events()
    assert [e["type"] for e in held][:2] == ["customer.subscription.created", "invoice.created"]
    assert held[-1]["type"] == "customer.subscription.updated"
    deliveries = fake_stripe.release_webhooks(order="reversed")
    assert [d["event"] for d in deliveries] == [e["id"] for e in reversed(held)]
    assert {d["status"] for d in deliveries} == {200}
    assert [e.id for e in stripe_webhook_receiver.events()] == [e["id"] for e in reversed(held)]
    assert fake_stripe.held_events() == []

    client.v1.customers.update(customer.id, params={"name": "Delivered again"})
    assert stripe_webhook_receiver.types()[-1] == "customer.updated"


def test_held_events_can_be_released_one_by_one(
    fake_stripe: FakeStripe, stripe_webhook_receiver: WebhookReceiver
) -> None:
    client = fake_stripe.client()
    fake_stripe.pause_webhooks()
    first = client.v1.customers.create(params={"email": "one@example.com"})
    second = client.v1.customers.create(params={"email": "two@example.com"})
    held = fake_stripe.held_events()
    assert [e["data"]["object"]["id"] for e in held] == [first.id, second.id]

    fake_stripe.release_webhooks(event_ids=[held[1]["id"]], resume=False)
    assert [e.data.object.id for e in stripe_webhook_receiver.events()] == [second.id]
    assert [e["id"] for e in fake_stripe.held_events()] == [held[0]["id"]]

    fake_stripe.release_webhooks()
    assert [e.data.object.id for e in stripe_webhook_receiver.events()] == [second.id, first.id]


def test_redelivery_sends_the_same_event_again(
    fake_stripe: FakeStripe, stripe_webhook_receiver: WebhookReceiver
) -> None:
    customer = fake_stripe.client().v1.customers.create(params={"email": "twice@example.com"})
    [event] = stripe_webhook_receiver.events()

    deliveries = fake_stripe.redeliver(event.id)

    assert [d["status"] for d in deliveries] == [200]
    assert [(e.id, e.data.object.id) for e in stripe_webhook_receiver.events()] == [
        (event.id, customer.id),
        (event.id, customer.id),
    ]
    first, second = stripe_webhook_receiver.received
    assert first.body == second.body


def test_endpoint_answers_are_recorded(
    fake_stripe: FakeStripe, stripe_webhook_receiver: WebhookReceiver
) -> None:
    stripe_webhook_receiver.status = 500

    fake_stripe.client().v1.customers.create(params={"email": "error@example.com"})

    [event] = stripe_webhook_receiver.events()
    assert [d["status"] for d in fake_stripe.deliveries(event.id)] == [500]
    assert client_event_pending(fake_stripe, event.id) == 1


def client_event_pending(fake_stripe: FakeStripe, event_id: str) -> int:
    return int(fake_stripe.client().v1.events.retrieve(event_id).pending_webhooks)


def test_enabled_events_filter_what_an_endpoint_receives(fake_stripe: FakeStripe) -> None:
    client = fake_stripe.client()
    with webhook_receiver(
        fake_stripe, enabled_events=("invoice.paid", "customer.subscription.*")
    ) as receiver:
        customer = client.v1.customers.create(params={**CARD, "email": "filtered@example.com"})
        price = client.v1.prices.create(
            params={
                "currency": "eur",
                "unit_amount": 100,
                "recurring": {"interval": "month"},
                "product_data": {"name": "F"},
            }
        )
        client.v1.subscriptions.create(params={"customer": customer.id, "items": [{"price": price.id}]})

        assert receiver.types() == [
            "customer.subscription.created",
            "invoice.paid",
            "customer.subscription.updated",
        ]


def test_webhook_endpoints_api_returns_a_secret_that_signs_deliveries(fake_stripe: FakeStripe) -> None:
    client = fake_stripe.client()
    with webhook_receiver(fake_stripe, enabled_events=("product.created",)) as receiver:
        endpoint = client.v1.webhook_endpoints.create(
            params={"url": receiver.url, "enabled_events": ["price.created"]}
        )
        assert endpoint.secret.startswith("whsec_")
        assert "secret" not in client.v1.webhook_endpoints.retrieve(endpoint.id).to_dict()
        try:
            client.v1.prices.create(
                params={"currency": "eur", "unit_amount": 5, "product_data": {"name": "Sec"}}
            )
            by_endpoint = {d["endpoint"]: d for d in fake_stripe.deliveries() if d["type"] == "price.created"}
            # The receiver verifies with its own secret: the API endpoint's delivery (other secret) fails.
            assert by_endpoint[endpoint.id]["status"] == 400
            body = receiver.rejected()[-1].body
            signature = receiver.rejected()[-1].signature
            assert stripe.Webhook.construct_event(body, signature, endpoint.secret).type == "price.created"
        finally:
            client.v1.webhook_endpoints.delete(endpoint.id)


def test_a_receiver_may_call_the_fake_back_while_handling_an_event(fake_stripe: FakeStripe) -> None:
    """Delivery happens after the fake released its lock: a handler that fetches the subscription
    (as real handlers do) does not deadlock, and sees the state the event describes."""
    client = fake_stripe.client()
    seen: list[tuple[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            event = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if event["type"] == "customer.subscription.created":
                fetched = client.v1.subscriptions.retrieve(event["data"]["object"]["id"])
                seen.append((event["data"]["object"]["status"], fetched.status))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    endpoint = fake_stripe.add_webhook_endpoint(f"http://127.0.0.1:{server.server_port}/hook")
    try:
        customer = client.v1.customers.create(params={**CARD, "email": "callback@example.com"})
        price = client.v1.prices.create(
            params={
                "currency": "eur",
                "unit_amount": 100,
                "recurring": {"interval": "month"},
                "product_data": {"name": "C"},
            }
        )
        client.v1.subscriptions.create(params={"customer": customer.id, "items": [{"price": price.id}]})
    finally:
        fake_stripe.remove_webhook_endpoint(endpoint["id"])
        server.shutdown()
        server.server_close()
    assert seen == [("incomplete", "active")]


def test_webhook_request_signs_an_event_for_the_django_test_client(fake_stripe: FakeStripe) -> None:
    customer = fake_stripe.client().v1.customers.create(params={"email": "local@example.com"})
    event_id = fake_stripe.events(types=["customer.created"])[-1]["id"]

    request = fake_stripe.webhook_request(event_id)

    event = stripe.Webhook.construct_event(
        request.body, request.headers["Stripe-Signature"], fake_stripe.webhook_secret
    )
    assert (event.id, event.data.object.id) == (event_id, customer.id)
