"""Fixtures of the payout tests: the PayPal fake (``tools/paypal_fake``) on a free port, the
PAYPAL_* settings pointed at it, and delivering its webhooks to ``/paypal/webhook/`` on the root
domain through Django's test client (inside the test's transaction; PayPal's transmission
headers, verified by the fake's verify-webhook-signature endpoint)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client

from paypal_fake import FakePayPalServer

CLIENT_ID = "AfakeClientIdForTests"
CLIENT_SECRET = "EfakeSecretForTests"
WEBHOOK_ID = "WH-TESTS-0000000000000000"
WEBHOOK_PATH = "/paypal/webhook/"


class PayPal:
    def __init__(self, server: FakePayPalServer) -> None:
        self.server = server
        self.state = server.state
        self.client = Client()

    def process(self, batch_id: str) -> list[dict[str, Any]]:
        """The batch's items reach their scripted outcomes; returns the held deliveries."""
        self.server.process(batch_id)
        return self.server.take_outbox()

    def post(self, delivery: dict[str, Any], *, body: bytes | None = None, **overrides: str) -> Any:
        headers = {**delivery["headers"], **overrides}
        meta = {
            "HTTP_" + name.upper().replace("-", "_"): value
            for name, value in headers.items()
            if name.lower() != "content-type" and value is not None
        }
        return self.client.post(
            WEBHOOK_PATH,
            data=body if body is not None else json.dumps(delivery["event"], indent=2).encode(),
            content_type="application/json",
            HTTP_HOST=django_settings.ROOT_DOMAIN,
            **meta,
        )

    def post_all(self, deliveries: list[dict[str, Any]]) -> None:
        for delivery in deliveries:
            response = self.post(delivery)
            assert response.status_code == 200, (delivery["event"]["event_type"], response.content)

    def batches_for(self, sender_batch_id: str) -> list[dict[str, Any]]:
        return [
            batch
            for batch in self.state.batches.values()
            if batch["batch_header"]["sender_batch_header"].get("sender_batch_id") == sender_batch_id
        ]

    def payments_to(self, reference: str) -> list[dict[str, Any]]:
        return [payment for payment in self.state.payments if payment["sender_item_id"] == reference]


@pytest.fixture(scope="session")
def paypal_server() -> Iterator[FakePayPalServer]:
    server = FakePayPalServer(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        webhook_urls=["http://testserver" + WEBHOOK_PATH],
        webhook_id=WEBHOOK_ID,
    ).start()
    yield server
    server.stop()


@pytest.fixture
def paypal(paypal_server: FakePayPalServer, settings: Any) -> PayPal:
    """PayPal pointed at the fake; outcomes and webhooks only when the test asks."""
    settings.PAYPAL_CLIENT_ID = CLIENT_ID
    settings.PAYPAL_CLIENT_SECRET = CLIENT_SECRET
    settings.PAYPAL_API_BASE = paypal_server.url
    settings.PAYPAL_WEBHOOK_ID = WEBHOOK_ID
    state = paypal_server.state
    with state.lock:
        state.auto_process = False
        state.auto_deliver = False
        state.duplicates = False
        state.shuffle = False
        state.fail_next_creates = 0
        state.outbox.clear()
    return PayPal(paypal_server)
