"""pytest plugin: the fake Stripe API (``tools/stripe_fake``) for tests.

``fake_stripe`` (session): one fake on a free 127.0.0.1 port, clock frozen (it moves only when a test
advances it, per customer by default, so tests do not renew each other's subscriptions). The
official SDK talks to it through ``fake_stripe.client()``; everything else is a method below.

``stripe_webhook_receiver`` (per test): a local HTTP server registered as a webhook endpoint of the
fake for the duration of the test; it verifies each delivery with ``stripe.Webhook.construct_event``
(answering 400 when that fails) and keeps what it received.

Webhooks are delivered synchronously: when an SDK call (or a control method) returns, every
endpoint has answered. Endpoints registered through ``add_webhook_endpoint`` stay until removed;
the fake is shared by the whole session, so remove them (or use ``stripe_webhook_receiver``).
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import stripe

from stripe_fake import FakeStripeServer, sign

API_KEY = "sk_test_fake_platform"
WEBHOOK_SECRET = "whsec_fake_platform_tests"
# Stripe creates a renewal (or trial-end) invoice as a draft and finalizes and charges it an hour
# later: advance the clock this much past a period end to see it paid.
RENEWAL_DELAY = 3600
# Customer parameters giving it a working card as default (Stripe's docs do the same in test mode):
# without a payment method a subscription's invoices fail, as they do in Stripe.
CARD: dict[str, Any] = {
    "payment_method": "pm_card_visa",
    "invoice_settings": {"default_payment_method": "pm_card_visa"},
}


@dataclass
class WebhookRequest:
    """A signed webhook request, to post with Django's test client::

    client.post(url, data=req.body, content_type="application/json", headers=req.headers)
    """

    body: bytes
    headers: dict[str, str]


class FakeStripe:
    def __init__(self, server: FakeStripeServer, *, api_key: str, webhook_secret: str) -> None:
        self.server = server
        self.url = server.url
        self.api_key = api_key
        self.webhook_secret = webhook_secret

    def client(self, **options: Any) -> stripe.StripeClient:
        """An SDK client pointed at the fake (``options`` go to ``StripeClient``)."""
        return stripe.StripeClient(self.api_key, base_addresses={"api": self.url}, **options)

    # -- plumbing --------------------------------------------------------------------------------

    def _call(self, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        data = json.dumps(payload or {}).encode() if method == "POST" else None
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.api_key}"}
        request = urllib.request.Request(self.url + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            raise AssertionError(
                f"fake Stripe {method} {path}: {error.code} {error.read().decode()}"
            ) from None

    # -- time and payments -----------------------------------------------------------------------

    def now(self, customer: str | None = None) -> int:
        """The fake's current Unix time (as seen by ``customer``, whose clock may be ahead)."""
        suffix = f"?customer={customer}" if customer else ""
        return int(self._call("GET", "/_fake/clock" + suffix)["now"])

    def advance_clock(self, *, days: int = 0, seconds: int = 0, customer: str | None = None) -> list[str]:
        """Move time on and run what fell due (trial ends, renewals, cancellations at period end),
        delivering the webhooks. Only ``customer``'s clock if given (recommended), else everybody's.
        Returns the ids of the events that were produced, in order."""
        payload: dict[str, Any] = {"days": days, "seconds": seconds}
        if customer:
            payload["customer"] = customer
        return list(self._call("POST", "/_fake/clock/advance", payload)["events"])

    def fail_next_payment(
        self, customer: str, *, count: int = 1, decline_code: str = "card_declined"
    ) -> None:
        """The customer's next ``count`` payments are declined (invoice stays open, subscription
        goes past_due / incomplete, ``invoice.payment_failed``)."""
        self._call(
            "POST",
            f"/_fake/customers/{customer}/fail_next_payment",
            {"count": count, "decline_code": decline_code},
        )

    def complete_checkout(
        self,
        session_id: str,
        *,
        email: str | None = None,
        name: str | None = None,
        payment_method: str | None = None,
        payment_method_type: str | None = None,
        async_outcome: str | None = None,
    ) -> dict:
        """The buyer pays on the hosted page: customer, subscription/invoice or payment intent are
        created, ``checkout.session.completed`` is delivered. Returns the session.
        ``payment_method``: a test card token (default ``pm_card_visa``); ``payment_method_type``
        a delayed one (``sepa_debit``) leaves the payment processing until it settles
        (``async_outcome``: succeeded|failed; see ``settle_checkout``)."""
        payload = {
            key: value
            for key, value in (
                ("email", email),
                ("name", name),
                ("payment_method", payment_method),
                ("payment_method_type", payment_method_type),
                ("async_outcome", async_outcome),
            )
            if value
        }
        return dict(self._call("POST", f"/_fake/checkout/sessions/{session_id}/complete", payload))

    def settle_checkout(self, session_id: str, *, outcome: str | None = None) -> dict:
        """A delayed payment settles now (``checkout.session.async_payment_succeeded``/``_failed``)."""
        payload = {"outcome": outcome} if outcome else {}
        return dict(self._call("POST", f"/_fake/checkout/sessions/{session_id}/settle", payload))

    def settings(self, **changes: Any) -> dict:
        """Read, or change, the fake's behaviour settings (dunning schedule and final action,
        renewal draft delay, incomplete expiry, delayed payments); ``reset=True`` restores them."""
        if not changes:
            return dict(self._call("GET", "/_fake/settings"))
        return dict(self._call("POST", "/_fake/settings", changes))

    def webhook_mode(self, **changes: Any) -> dict:
        """Webhook delivery: ``mode`` sync|async, ``shuffle``, ``window``, ``duplicate_rate``,
        ``seed``, ``retry_schedule``. Returns the mode now in force."""
        return dict(self._call("POST", "/_fake/webhooks/mode", changes))

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Async delivery: wait until every delivery that is due has been made."""
        return bool(self._call("POST", "/_fake/webhooks/wait_idle", {"timeout": timeout})["idle"])

    # -- events and webhooks ---------------------------------------------------------------------

    def events(self, *, types: list[str] | None = None) -> list[dict]:
        """Every recorded event (optionally of these types), oldest first."""
        found: list[dict] = []
        query = "".join(f"&types[]={t}" for t in types or [])
        starting_after = ""
        while True:
            page = self._call("GET", f"/v1/events?limit=100{query}{starting_after}")
            found += page["data"]
            if not page["has_more"]:
                return list(reversed(found))
            starting_after = f"&starting_after={page['data'][-1]['id']}"

    def add_webhook_endpoint(
        self, url: str, *, enabled_events: tuple[str, ...] | list[str] = ("*",), secret: str | None = None
    ) -> dict:
        """Register an endpoint (signed with ``secret``, default ``self.webhook_secret``); returns
        the endpoint (``id``, ``secret``, ...). Remove it with ``remove_webhook_endpoint``."""
        return self.server.add_webhook_endpoint(
            url, secret=secret or self.webhook_secret, enabled_events=enabled_events
        )

    def remove_webhook_endpoint(self, endpoint_id: str) -> None:
        self._call("DELETE", f"/v1/webhook_endpoints/{endpoint_id}")

    def pause_webhooks(self) -> None:
        """Hold every event from now on instead of delivering it."""
        self._call("POST", "/_fake/webhooks/pause")

    def held_events(self) -> list[dict]:
        return list(self._call("GET", "/_fake/webhooks/held")["data"])

    def release_webhooks(
        self,
        *,
        order: str = "recorded",
        event_ids: list[str] | None = None,
        resume: bool = True,
        discard: bool = False,
    ) -> list[dict]:
        """Deliver the held events (``order``: ``recorded`` or ``reversed``; or exactly
        ``event_ids``, in that order, the others staying held), then resume delivery unless
        ``resume=False``. Returns the deliveries (``event``, ``endpoint``, ``status``, ...)."""
        payload: dict[str, Any] = {"order": order, "resume": resume, "discard": discard}
        if event_ids:
            payload["event_ids"] = event_ids
        return list(self._call("POST", "/_fake/webhooks/release", payload)["data"])

    @contextmanager
    def webhooks_paused(self) -> Iterator[None]:
        """Hold events inside the block; whatever is still held at its end is dropped."""
        self.pause_webhooks()
        try:
            yield
        finally:
            self.release_webhooks(discard=True)

    def redeliver(
        self, event_id: str, *, endpoint_id: str | None = None, signature: str = "valid"
    ) -> list[dict]:
        """Deliver an event again (a duplicate, as Stripe sends them)."""
        payload: dict[str, Any] = {"signature": signature}
        if endpoint_id:
            payload["endpoint"] = endpoint_id
        return list(self._call("POST", f"/_fake/events/{event_id}/redeliver", payload)["data"])

    def send_webhook(
        self, payload: str | dict, *, signature: str = "invalid", endpoint_id: str | None = None
    ) -> list[dict]:
        """POST an arbitrary payload to the endpoints, signed per ``signature``: ``invalid`` (wrong
        secret), ``missing``, ``stale`` (an hour old) or ``valid``."""
        body: dict[str, Any] = {"payload": payload, "signature": signature}
        if endpoint_id:
            body["endpoint"] = endpoint_id
        return list(self._call("POST", "/_fake/webhooks/send", body)["data"])

    def deliveries(self, event_id: str | None = None) -> list[dict]:
        """Every delivery attempt so far (or of one event), oldest first."""
        suffix = f"?event={event_id}" if event_id else ""
        return list(self._call("GET", "/_fake/deliveries" + suffix)["data"])

    def webhook_request(
        self, event: str | dict, *, secret: str | None = None, timestamp: int | None = None
    ) -> WebhookRequest:
        """The request Stripe would send for an event (an id or the event itself), signed with
        ``secret`` (default ``self.webhook_secret``): for tests that post it through Django's test
        client inside their transaction instead of over the network."""
        data = self._call("GET", f"/v1/events/{event}") if isinstance(event, str) else event
        body = json.dumps(data, indent=2)
        header = sign(body, secret or self.webhook_secret, timestamp)
        return WebhookRequest(
            body=body.encode(),
            headers={"Stripe-Signature": header, "Content-Type": "application/json; charset=utf-8"},
        )

    def reset(self) -> None:
        """Forget every object, event and delivery (webhook endpoints stay)."""
        self._call("POST", "/_fake/reset")


@pytest.fixture(scope="session")
def fake_stripe() -> Iterator[FakeStripe]:
    server = FakeStripeServer(port=0, frozen_time=True, portal_configuration=True).start()
    try:
        yield FakeStripe(server, api_key=API_KEY, webhook_secret=WEBHOOK_SECRET)
    finally:
        server.stop()


# -- a webhook receiver -----------------------------------------------------------------------------


@dataclass
class ReceivedWebhook:
    body: bytes
    signature: str | None
    event: stripe.Event | None
    error: str | None


@dataclass
class WebhookReceiver:
    """Records deliveries; answers ``status`` when the signature verifies, 400 when not."""

    secret: str = ""
    url: str = ""
    endpoint_id: str = ""
    status: int = 200
    received: list[ReceivedWebhook] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def events(self) -> list[stripe.Event]:
        """The verified events, in the order they arrived."""
        with self._lock:
            return [r.event for r in self.received if r.event is not None]

    def types(self) -> list[str]:
        return [event.type for event in self.events()]

    def rejected(self) -> list[ReceivedWebhook]:
        with self._lock:
            return [r for r in self.received if r.event is None]

    def clear(self) -> None:
        with self._lock:
            self.received.clear()

    def _record(self, body: bytes, signature: str | None) -> int:
        try:
            event = stripe.Webhook.construct_event(body, signature, self.secret)
            entry = ReceivedWebhook(body, signature, event, None)
        except (stripe.SignatureVerificationError, ValueError) as error:
            entry = ReceivedWebhook(body, signature, None, str(error))
        with self._lock:
            self.received.append(entry)
        return self.status if entry.event is not None else 400


@contextmanager
def receiving_webhooks(secret: str = "") -> Iterator[WebhookReceiver]:
    """A receiver listening on 127.0.0.1 (``receiver.url``), verifying with ``secret``."""
    receiver = WebhookReceiver(secret=secret)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status = receiver._record(body, self.headers.get("Stripe-Signature"))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_port}/stripe/webhook"
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def webhook_receiver(
    fake: FakeStripe, *, enabled_events: tuple[str, ...] = ("*",)
) -> Iterator[WebhookReceiver]:
    """A receiver registered as an endpoint of ``fake`` (with a secret of its own) while in use."""
    with receiving_webhooks() as receiver:
        endpoint = fake.server.add_webhook_endpoint(receiver.url, enabled_events=enabled_events)
        receiver.endpoint_id, receiver.secret = endpoint["id"], endpoint["secret"]
        try:
            yield receiver
        finally:
            fake.remove_webhook_endpoint(receiver.endpoint_id)


@pytest.fixture
def stripe_webhook_receiver(fake_stripe: FakeStripe) -> Iterator[WebhookReceiver]:
    with webhook_receiver(fake_stripe) as receiver:
        yield receiver
    # A test that paused delivery and did not release leaves nothing behind for the next one.
    fake_stripe.release_webhooks(discard=True)
