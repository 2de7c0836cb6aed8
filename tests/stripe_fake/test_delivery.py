"""Webhook delivery as Stripe does it: after the call returns, in any order, some twice, retried on
the clock when the endpoint fails; rendered in the endpoint's API version."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from stripe_fake.webhooks import RETRY_SCHEDULE
from tests.stripe_fixtures import CARD, FakeStripe, receiving_webhooks, webhook_receiver


@pytest.fixture
def gate() -> Iterator[tuple[str, threading.Event, list[str]]]:
    """An endpoint that answers only once the gate is open; it records the event ids it got."""
    opened = threading.Event()
    received: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            opened.wait(10)
            received.append(json.loads(body)["id"])
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hook", opened, received
    finally:
        opened.set()
        server.shutdown()
        server.server_close()


def test_async_delivery_happens_after_the_call_returns(
    pinned_fake: FakeStripe, gate: tuple[str, threading.Event, list[str]]
) -> None:
    url, opened, received = gate
    pinned_fake.add_webhook_endpoint(url)
    assert pinned_fake.webhook_mode(mode="async")["mode"] == "async"

    customer = pinned_fake.client().v1.customers.create(params={"email": "later@example.com"})

    assert received == []  # the call answered while the endpoint still holds the delivery
    opened.set()
    assert pinned_fake.wait_idle()
    [event] = pinned_fake.events(types=["customer.created"])
    assert event["data"]["object"]["id"] == customer.id
    assert received == [event["id"]]


def test_async_delivery_shuffles_and_duplicates(pinned_fake: FakeStripe) -> None:
    client = pinned_fake.client()
    with webhook_receiver(pinned_fake) as receiver:
        pinned_fake.webhook_mode(mode="async", shuffle=True, duplicate_rate=0.5, seed=7)
        pinned_fake.pause_webhooks()  # a burst: thirty events ready at once
        for index in range(30):
            client.v1.customers.create(params={"email": f"burst{index}@example.com"})
        assert pinned_fake.release_webhooks() == []  # queued, not delivered in this call
        assert pinned_fake.wait_idle()

        burst = [e["id"] for e in pinned_fake.events(types=["customer.created"])]
        got = [e.id for e in receiver.events()]
        assert set(got) == set(burst)  # every event at least once
        counts = Counter(got)
        assert 1 < sum(1 for n in counts.values() if n == 2) < 30
        assert max(counts.values()) == 2
        first_seen = list(dict.fromkeys(got))
        assert first_seen != burst  # not in the order they happened
        duplicates = [d for d in pinned_fake.deliveries() if d["duplicate"]]
        assert {d["event"] for d in duplicates} == {e for e, n in counts.items() if n == 2}


def test_a_failing_endpoint_is_retried_on_the_clock_with_backoff(pinned_fake: FakeStripe) -> None:
    with webhook_receiver(pinned_fake) as receiver:
        pinned_fake.webhook_mode(mode="async")
        receiver.status = 500
        customer = pinned_fake.client().v1.customers.create(params={"email": "retry@example.com"})
        assert pinned_fake.wait_idle()
        [event] = [
            e
            for e in pinned_fake.events(types=["customer.created"])
            if e["data"]["object"]["id"] == customer.id
        ]
        assert [(d["attempt"], d["status"]) for d in pinned_fake.deliveries(event["id"])] == [(1, 500)]

        # Nothing more until the clock reaches the first retry (a minute later).
        pinned_fake.advance_clock(seconds=RETRY_SCHEDULE[0] - 1)
        assert pinned_fake.wait_idle()
        assert len(pinned_fake.deliveries(event["id"])) == 1
        pinned_fake.advance_clock(seconds=1)
        assert pinned_fake.wait_idle()
        assert [d["attempt"] for d in pinned_fake.deliveries(event["id"])] == [1, 2]

        # It keeps failing for days, then Stripe gives up.
        for delay in RETRY_SCHEDULE[1:]:
            pinned_fake.advance_clock(seconds=delay)
            assert pinned_fake.wait_idle()
        attempts = pinned_fake.deliveries(event["id"])
        assert [d["attempt"] for d in attempts] == list(range(1, len(RETRY_SCHEDULE) + 2))
        assert sum(RETRY_SCHEDULE) >= 3 * 86400  # Stripe retries for three days
        pinned_fake.advance_clock(days=5)
        assert pinned_fake.wait_idle()
        assert len(pinned_fake.deliveries(event["id"])) == len(RETRY_SCHEDULE) + 1

        # An endpoint that recovers gets the retry and nothing more.
        receiver.status = 200
        second = pinned_fake.client().v1.customers.update(customer.id, params={"name": "Again"})
        assert second.name == "Again"
        assert pinned_fake.wait_idle()
        assert receiver.types()[-1] == "customer.updated"


def test_events_are_rendered_in_the_endpoints_api_version(pinned_fake: FakeStripe) -> None:
    client = pinned_fake.client()
    with receiving_webhooks() as old, webhook_receiver(pinned_fake) as current:
        endpoint = client.v1.webhook_endpoints.create(
            params={
                "url": old.url,
                "enabled_events": ["invoice.paid", "customer.subscription.created"],
                "api_version": "2024-06-20",
            }
        )
        old.secret = endpoint.secret
        customer = client.v1.customers.create(params={**CARD, "email": "versions@example.com"})
        price = client.v1.prices.create(
            params={
                "currency": "eur",
                "unit_amount": 500,
                "recurring": {"interval": "month"},
                "product_data": {"name": "V"},
            }
        )
        subscription = client.v1.subscriptions.create(
            params={"customer": customer.id, "items": [{"price": price.id}]}
        )

        legacy = {e.type: e for e in old.events()}
        assert {e.api_version for e in old.events()} == {"2024-06-20"}
        invoice = legacy["invoice.paid"].data.object
        assert invoice.subscription == subscription.id
        assert invoice.subscription_details.metadata.to_dict() == {}
        line = invoice.lines.data[0]
        assert (line.price.id, line.proration, line.type) == (price.id, False, "subscription")
        assert invoice.lines.total_count == 1
        created = legacy["customer.subscription.created"].data.object
        assert created.current_period_end == created["items"].data[0].current_period_end
        assert (created.plan.id, created.quantity) == (price.id, 1)

        now = {e.type: e for e in current.events()}
        assert now["invoice.paid"].api_version == "2026-10-28.endive"
        assert "subscription" not in now["invoice.paid"].data.object
        assert "current_period_end" not in now["customer.subscription.created"].data.object
