"""Webhook endpoints and delivery, signed as Stripe signs them.

``Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed by the endpoint's
secret>``; ``stripe.Webhook.construct_event(body, header, secret)`` verifies it. The body is the event
as JSON, indented like Stripe's. ``t`` is the wall-clock time of the delivery even when the fake's
clock has been advanced (the SDK refuses signatures older than five minutes).

Two delivery modes (``FakeStripeServer(delivery=...)``, ``--async-webhooks``, or at run time
``POST /_fake/webhooks/mode``):

* ``sync`` (the default): the API request (or control call) that produced the events answers after
  every endpoint answered, one event after the other in the order they happened. No automatic
  retries: tests redeliver explicitly (duplicates), or pause delivery and release the held events in
  an order of their choosing.
* ``async``: as Stripe. The request answers at once; a background thread delivers the events later,
  ``shuffle``: in a random order among the deliveries that are ready (``window`` of them),
  ``duplicate_rate``: that share of deliveries is sent a second time (at-least-once delivery);
  an endpoint that does not answer 2xx is retried after each delay of ``retry_schedule``
  (seconds of the *fake's* clock, Stripe's exponential back-off over three days), so retries fall
  due as a test advances the clock. ``wait_idle()`` (``POST /_fake/webhooks/wait_idle``) returns
  once nothing is ready to be delivered (retries scheduled for later do not count).

Each attempt is recorded with the endpoint's HTTP status (``GET /_fake/deliveries``). Each endpoint
receives events rendered in its own ``api_version`` (:mod:`stripe_fake.versions`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import secrets
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, replace
from typing import Any

from stripe_fake.errors import StripeError
from stripe_fake.params import as_bool, as_list, as_str, check_allowed, metadata_merge, required
from stripe_fake.state import JSON, State
from stripe_fake.versions import render_for_version

SIGNATURE_MODES = ("valid", "invalid", "missing", "stale")
STALE_SECONDS = 3600
HOUR = 3600
# Delays before each retry of a failed delivery (live mode: up to three days, exponential back-off).
RETRY_SCHEDULE: tuple[int, ...] = (
    60,
    5 * 60,
    30 * 60,
    HOUR,
    2 * HOUR,
    4 * HOUR,
    8 * HOUR,
    16 * HOUR,
    24 * HOUR,
    24 * HOUR,
)


@dataclass(frozen=True)
class DeliveryMode:
    asynchronous: bool = False
    shuffle: bool = False
    window: int = 16
    duplicate_rate: float = 0.0
    seed: int | None = None
    retry_schedule: tuple[int, ...] = RETRY_SCHEDULE

    def public(self) -> JSON:
        return {
            "mode": "async" if self.asynchronous else "sync",
            "shuffle": self.shuffle,
            "window": self.window,
            "duplicate_rate": self.duplicate_rate,
            "seed": self.seed,
            "retry_schedule": list(self.retry_schedule),
        }


@dataclass
class _Queued:
    event: JSON
    endpoint_id: str
    due: int
    clock: str | None  # whose clock decides when it is due (the event's customer)
    attempt: int = 1
    duplicate: bool = False
    sequence: int = 0


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(24)


def sign(body: str, secret: str, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header of ``body``."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def event_body(event: JSON) -> str:
    return json.dumps(event, indent=2)


def _http_url(params: JSON) -> str:
    url = str(required(params, "url"))
    if not url.startswith(("http://", "https://")):
        raise StripeError("Invalid URL: must start with http:// or https://", param="url")
    return url


def _matches(endpoint: JSON, event_type: str, account: str | None = None) -> bool:
    if endpoint["status"] != "enabled":
        return False
    # Connect endpoints get the events of connected accounts (``account`` set), the others the
    # platform's own.
    if bool(endpoint.get("_connect")) != bool(account):
        return False
    for pattern in endpoint["enabled_events"]:
        if pattern == "*" or pattern == event_type:
            return True
        if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
            return True
    return False


class Webhooks:
    def __init__(self, state: State, *, timeout: float = 30.0) -> None:
        self.state = state
        self.timeout = timeout
        self.deliveries: list[JSON] = []
        self.held: list[JSON] = []
        self.paused = False
        self.mode = DeliveryMode()
        self._lock = threading.Lock()
        self._queue: list[_Queued] = []
        self._sequence = 0
        self._in_flight = 0
        self._random = random.Random()
        self._wake = threading.Condition(self._lock)
        self._worker: threading.Thread | None = None
        self._stopped = False
        state.endpoint_count = self._count

    # -- endpoints (called under the state lock) -------------------------------------------------

    def _endpoints(self) -> list[JSON]:
        return [e for e in reversed(self.state.all("webhook_endpoint")) if not e.get("deleted")]

    def _count(self, event_type: str, account: str | None = None) -> int:
        return sum(1 for endpoint in self._endpoints() if _matches(endpoint, event_type, account))

    def endpoint_create(self, params: JSON) -> JSON:
        """``POST /v1/webhook_endpoints``. Fake extension: ``secret`` chooses the signing secret
        (so a test can hand the platform a known one); Stripe always generates it."""
        check_allowed(
            params, {"url", "enabled_events", "description", "metadata", "api_version", "connect", "secret"}
        )
        url = _http_url(params)
        events = [str(e) for e in as_list(params, "enabled_events")]
        if not events:
            raise StripeError(
                "Missing required param: enabled_events.", code="parameter_missing", param="enabled_events"
            )
        endpoint = self.state.base(
            "webhook_endpoint",
            api_version=as_str(params, "api_version"),
            application=None,
            description=as_str(params, "description"),
            enabled_events=events,
            metadata=metadata_merge({}, params.get("metadata")),
            status="enabled",
            url=url,
            _secret=as_str(params, "secret") or new_secret(),
            _connect=bool(as_bool(params, "connect")),
        )
        self.state.add(endpoint)
        return endpoint

    def endpoint_update(self, endpoint: JSON, params: JSON) -> JSON:
        check_allowed(params, {"url", "enabled_events", "description", "metadata", "disabled"})
        if "url" in params:
            endpoint["url"] = _http_url(params)
        if "enabled_events" in params:
            endpoint["enabled_events"] = [str(e) for e in as_list(params, "enabled_events")]
        if "description" in params:
            endpoint["description"] = as_str(params, "description")
        disabled = as_bool(params, "disabled")
        if disabled is not None:
            endpoint["status"] = "disabled" if disabled else "enabled"
        endpoint["metadata"] = metadata_merge(endpoint["metadata"], params.get("metadata"))
        return endpoint

    def endpoint_delete(self, endpoint: JSON) -> JSON:
        endpoint["deleted"] = True
        return {"id": endpoint["id"], "object": "webhook_endpoint", "deleted": True}

    # -- delivery (called without the state lock) ------------------------------------------------

    def dispatch(self, events: list[JSON]) -> list[JSON]:
        """Deliver the events a request produced (now, or queued in async mode), or hold them while
        delivery is paused."""
        with self._lock:
            if self.paused:
                self.held.extend(events)
                return []
            asynchronous = self.mode.asynchronous
        if asynchronous:
            self.enqueue(events)
            return []
        results = []
        for event in events:
            results += self.deliver(event)
        return results

    def deliver(
        self,
        event: JSON,
        endpoint_ids: list[str] | None = None,
        *,
        signature: str = "valid",
        body: str | None = None,
    ) -> list[JSON]:
        """POST ``event`` (or a raw ``body``) to each matching endpoint; returns the attempts."""
        with self.state.lock:
            endpoints = [
                e
                for e in self._endpoints()
                if (endpoint_ids is None and _matches(e, event.get("type", ""), event.get("account")))
                or (endpoint_ids is not None and e["id"] in endpoint_ids)
            ]
            payloads = [
                body if body is not None else self._body_for(event, endpoint) for endpoint in endpoints
            ]
        return [
            self._post(endpoint, event, payload, signature)
            for endpoint, payload in zip(endpoints, payloads, strict=True)
        ]

    def _body_for(self, event: JSON, endpoint: JSON) -> str:
        """The event as JSON in the endpoint's API version (under the state lock)."""

        def price_of(price_id: str) -> JSON | None:
            price = self.state.find(price_id)
            return self.state.render(price) if price is not None else None

        return event_body(render_for_version(event, endpoint.get("api_version"), price_of))

    def _post(
        self, endpoint: JSON, event: JSON, payload: str, signature: str, extra: JSON | None = None
    ) -> JSON:
        if signature not in SIGNATURE_MODES:
            raise StripeError(f"signature must be one of {', '.join(SIGNATURE_MODES)}", param="signature")
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            "Cache-Control": "no-cache",
            "Accept": "*/*; q=0.5, application/xml",
        }
        secret = endpoint["_secret"]
        if signature == "valid":
            headers["Stripe-Signature"] = sign(payload, secret)
        elif signature == "invalid":
            headers["Stripe-Signature"] = sign(payload, new_secret())
        elif signature == "stale":
            headers["Stripe-Signature"] = sign(payload, secret, int(time.time()) - STALE_SECONDS)
        # Endpoint URLs are checked to be http(s) when registered.
        request = urllib.request.Request(  # noqa: S310
            endpoint["url"], data=payload.encode(), headers=headers, method="POST"
        )
        started = time.monotonic()
        status: int | None = None
        error: str | None = None
        response_body = ""
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                status = response.status
                response_body = response.read(2000).decode(errors="replace")
        except urllib.error.HTTPError as exc:
            status = exc.code
            response_body = exc.read(2000).decode(errors="replace")
        except (urllib.error.URLError, OSError) as exc:
            error = str(exc)
        delivery = {
            "event": event.get("id"),
            "type": event.get("type"),
            "endpoint": endpoint["id"],
            "url": endpoint["url"],
            "signature": signature,
            "status": status,
            "error": error,
            "response_body": response_body,
            "delivered_at": time.time(),
            "duration_ms": round((time.monotonic() - started) * 1000, 1),
            "attempt": 1,
            "duplicate": False,
            **(extra or {}),
        }
        with self._lock:
            delivery["id"] = f"dlv_{len(self.deliveries) + 1}"
            self.deliveries.append(delivery)
        return delivery

    # -- asynchronous delivery -------------------------------------------------------------------

    def configure(self, **changes: Any) -> DeliveryMode:
        """Change the delivery mode (``asynchronous``, ``shuffle``, ``window``, ``duplicate_rate``,
        ``seed``, ``retry_schedule``). Switching to sync delivers nothing that is queued: call
        ``wait_idle`` first."""
        with self._lock:
            self.mode = replace(self.mode, **changes)
            if "seed" in changes:
                self._random.seed(self.mode.seed)
            if self.mode.asynchronous:
                self._start_worker()
            self._wake.notify_all()
            return self.mode

    def enqueue(self, events: list[JSON]) -> None:
        with self.state.lock:
            entries = []
            for event in events:
                obj = (event.get("data") or {}).get("object") or {}
                clock = self.state.customer_of(obj) if isinstance(obj, dict) else None
                for endpoint in self._endpoints():
                    if _matches(endpoint, event.get("type", "")):
                        entries.append((event, endpoint["id"], clock, self.state.now(clock)))
        with self._lock:
            for event, endpoint_id, clock, now in entries:
                self._sequence += 1
                self._queue.append(_Queued(event, endpoint_id, now, clock, sequence=self._sequence))
            self._start_worker()
            self._wake.notify_all()

    def _start_worker(self) -> None:
        if self._worker is None or not self._worker.is_alive():
            self._stopped = False
            self._worker = threading.Thread(target=self._run, name="stripe-fake-webhooks", daemon=True)
            self._worker.start()

    def _ready(self) -> list[_Queued]:
        return [q for q in self._queue if q.due <= self.state.clock.now(q.clock)]

    def _run(self) -> None:
        while True:
            with self._lock:
                while True:
                    if self._stopped:
                        return
                    ready = [] if self.paused else self._ready()
                    if ready:
                        break
                    self._wake.wait(0.05)
                ready.sort(key=lambda q: (q.due, q.sequence))
                window = ready[: max(1, self.mode.window)]
                entry = self._random.choice(window) if self.mode.shuffle else window[0]
                self._queue.remove(entry)
                self._in_flight += 1
            try:
                self._attempt(entry)
            finally:
                with self._lock:
                    self._in_flight -= 1
                    self._wake.notify_all()

    def _attempt(self, entry: _Queued) -> None:
        with self.state.lock:
            endpoint = self.state.find(entry.endpoint_id)
            if endpoint is None or endpoint.get("deleted") or endpoint["status"] != "enabled":
                return
            payload = self._body_for(entry.event, endpoint)
        delivery = self._post(
            endpoint,
            entry.event,
            payload,
            "valid",
            {"attempt": entry.attempt, "duplicate": entry.duplicate},
        )
        status = delivery["status"]
        with self._lock:
            if status is None or not 200 <= status < 300:
                schedule = self.mode.retry_schedule
                if entry.attempt <= len(schedule):
                    entry.due = self.state.clock.now(entry.clock) + schedule[entry.attempt - 1]
                    entry.attempt += 1
                    self._queue.append(entry)
            elif not entry.duplicate and self._random.random() < self.mode.duplicate_rate:
                self._sequence += 1
                self._queue.append(replace(entry, duplicate=True, attempt=1, sequence=self._sequence))

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until no delivery is ready or in flight (retries due later do not count)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._in_flight or (not self.paused and self._ready()):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._wake.wait(min(remaining, 0.05))
            return True

    def queued(self) -> list[JSON]:
        with self._lock:
            return [
                {
                    "event": q.event["id"],
                    "type": q.event.get("type"),
                    "endpoint": q.endpoint_id,
                    "due": q.due,
                    "attempt": q.attempt,
                    "duplicate": q.duplicate,
                }
                for q in sorted(self._queue, key=lambda q: (q.due, q.sequence))
            ]

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            self._wake.notify_all()
        if self._worker is not None:
            self._worker.join(timeout=5)

    # -- test control ----------------------------------------------------------------------------

    def pause(self) -> None:
        with self._lock:
            self.paused = True

    def release(
        self,
        *,
        order: str = "recorded",
        event_ids: list[str] | None = None,
        resume: bool = True,
        discard: bool = False,
    ) -> list[JSON]:
        """Deliver held events: all in ``order`` (``recorded`` or ``reversed``), or those of
        ``event_ids`` in that order (the others stay held). ``discard`` drops them instead. In
        async mode they are queued for the background deliverer instead."""
        if order not in ("recorded", "reversed"):
            raise StripeError("order must be recorded or reversed", param="order")
        with self._lock:
            if event_ids:
                by_id = {event["id"]: event for event in self.held}
                unknown = [event_id for event_id in event_ids if event_id not in by_id]
                if unknown:
                    raise StripeError(
                        f"No such held event: '{unknown[0]}'",
                        status=404,
                        code="resource_missing",
                        param="event_ids",
                    )
                batch = [by_id[event_id] for event_id in event_ids]
                self.held = [event for event in self.held if event["id"] not in event_ids]
            else:
                batch = self.held if order == "recorded" else list(reversed(self.held))
                self.held = []
            if resume:
                self.paused = False
        if discard:
            return []
        if self.mode.asynchronous:
            # Handed to the background deliverer, all at once (shuffled there if asked).
            self.enqueue(batch)
            return []
        results = []
        for event in batch:
            results += self.deliver(event)
        return results

    def held_events(self) -> list[JSON]:
        with self._lock:
            return list(self.held)

    def delivery_log(self, event_id: str | None = None) -> list[JSON]:
        with self._lock:
            return [d for d in self.deliveries if event_id is None or d["event"] == event_id]

    def reset(self) -> None:
        with self._lock:
            self.deliveries.clear()
            self.held.clear()
            self._queue.clear()
            self.paused = False


def body_of(value: Any) -> str:
    """A raw payload given as text or as JSON data."""
    return value if isinstance(value, str) else json.dumps(value, indent=2)
