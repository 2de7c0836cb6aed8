"""The HTTP side: stdlib ``ThreadingHTTPServer``, PayPal's wire format.

``/v1/...``: JSON in and out (the token endpoint takes a form), ``Authorization: Bearer`` from
``/v1/oauth2/token`` (HTTP basic client id:secret). Errors are PayPal's envelope ``{name,
message, debug_id, information_link, details[{field, location, issue}]}``. ``/_fake/...``: test
control (JSON, no auth): ``config`` (switches of :class:`State`), ``process/<batch>``,
``items/<id>/status``, ``deliver`` (the held webhooks), ``payments`` (money that left).
"""

from __future__ import annotations

import base64
import contextlib
import json
import queue
import sys
import threading
import time
import traceback
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from paypal_fake.state import JSON, PayPalError, State


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    fake: FakePayPalServer


class FakePayPalServer:
    """The fake, ready to ``start()`` in a thread or ``serve_forever()`` in this one.

    ``client_id``/``client_secret``: the only credentials accepted (None: any). ``webhook_url``
    (+ ``webhook_id``): where events go. ``process_delay``: seconds between a batch's creation
    and its items' outcomes when ``auto_process`` is on.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        client_id: str | None = None,
        client_secret: str | None = None,
        webhook_urls: tuple[str, ...] | list[str] = (),
        webhook_id: str | None = None,
        process_delay: float = 1.0,
        delivery_timeout: float = 10.0,
        verbose: bool = False,
    ) -> None:
        self.httpd = _HTTPServer((host, port), _Handler)
        self.httpd.fake = self
        self.url = f"http://{host}:{self.httpd.server_port}"
        self.state = State(client_id=client_id, client_secret=client_secret, base_url=self.url)
        self.process_delay = process_delay
        self.delivery_timeout = delivery_timeout
        self.verbose = verbose
        self._queue: queue.Queue[tuple[float, str | None, list[JSON] | None]] = queue.Queue()
        self._worker = threading.Thread(target=self._work, name="paypal-fake-worker", daemon=True)
        self._worker.start()
        self._thread: threading.Thread | None = None
        for url in webhook_urls:
            self.state.webhook_add(url, webhook_id)

    @property
    def port(self) -> int:
        return int(self.httpd.server_port)

    def start(self) -> FakePayPalServer:
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="paypal-fake", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # -- processing and delivery -----------------------------------------------------------------

    def after_create(self, batch_id: str) -> None:
        if self.state.auto_process:
            self._queue.put((time.monotonic() + self.process_delay, batch_id, None))

    def emit(self, events: list[JSON]) -> None:
        """Events happened: deliver them in the background, or hold them (``auto_deliver`` off)."""
        with self.state.lock:
            requests = self.state.deliveries_for(events)
            if not self.state.auto_deliver:
                self.state.outbox.extend(requests)
                return
        self._queue.put((0.0, None, requests))

    def process(self, batch_id: str) -> list[JSON]:
        events = self.state.process_batch(batch_id)
        self.emit(events)
        return events

    def take_outbox(self) -> list[JSON]:
        """The held deliveries (``auto_deliver`` off), emptied."""
        with self.state.lock:
            held, self.state.outbox = self.state.outbox, []
            return held

    def deliver(self, requests: list[JSON]) -> list[int]:
        statuses = []
        for request in requests:
            body = json.dumps(request["event"], indent=2).encode()
            http = urllib.request.Request(  # noqa: S310 - the configured http(s) webhook URL
                request["url"], data=body, headers=request["headers"], method="POST"
            )
            try:
                with urllib.request.urlopen(http, timeout=self.delivery_timeout) as response:  # noqa: S310
                    status = response.status
            except urllib.error.HTTPError as error:
                status = error.code
            except OSError:
                status = 0
            with self.state.lock:
                self.state.deliveries.append(
                    {
                        "url": request["url"],
                        "event_id": request["event"]["id"],
                        "event_type": request["event"]["event_type"],
                        "status": status,
                    }
                )
            if self.verbose:
                print(
                    f"paypal_fake: {request['event']['event_type']} -> {request['url']}: {status}",
                    file=sys.stderr,
                )
            statuses.append(status)
        return statuses

    def _work(self) -> None:
        pending: list[tuple[float, str | None, list[JSON] | None]] = []
        while True:
            timeout = max(
                0.0, min((p[0] for p in pending), default=time.monotonic() + 0.5) - time.monotonic()
            )
            with contextlib.suppress(queue.Empty):
                pending.append(self._queue.get(timeout=min(timeout, 0.5)))
            now = time.monotonic()
            due = [p for p in pending if p[0] <= now]
            pending = [p for p in pending if p[0] > now]
            for _, batch_id, requests in due:
                try:
                    if batch_id is not None:
                        self.process(batch_id)
                    elif requests:
                        self.deliver(requests)
                except Exception:  # noqa: BLE001 - keep the worker alive
                    traceback.print_exc()


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.fake.verbose:
            super().log_message(format, *args)

    def _send(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Paypal-Debug-Id", "fake" + str(id(body))[-8:])
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _json(self, raw: bytes) -> Any:
        try:
            return json.loads(raw or b"{}")
        except ValueError:
            raise PayPalError(
                400, "MALFORMED_REQUEST", "Incoming JSON request does not map to API request"
            ) from None

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        fake = self.server.fake
        state = fake.state
        parts = urlsplit(self.path)
        path = parts.path.rstrip("/")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        raw = self._body() if method == "POST" else b""
        try:
            if path.startswith("/_fake/"):
                self._send(200, self._control(method, path[len("/_fake/") :], self._json(raw)))
                return
            if method == "POST" and path == "/v1/oauth2/token":
                form = {k: v[-1] for k, v in parse_qs(raw.decode()).items()}
                if form.get("grant_type") != "client_credentials":
                    raise PayPalError(400, "unsupported_grant_type", "Grant Type is NULL")
                scheme, _, credentials = (self.headers.get("Authorization") or "").partition(" ")
                try:
                    client_id, _, secret = base64.b64decode(credentials).decode().partition(":")
                except ValueError:
                    client_id = secret = ""
                if scheme.lower() != "basic" or not client_id:
                    raise PayPalError(401, "invalid_client", "Client Authentication failed")
                self._send(200, state.token_issue(client_id, secret))
                return
            state.check_token(self.headers.get("Authorization"))
            if method == "POST" and path == "/v1/payments/payouts":
                answer = state.payout_create(self._json(raw))
                batch_id = answer["batch_header"]["payout_batch_id"]
                fake.after_create(batch_id)
                with state.lock:
                    unavailable = state.fail_next_creates > 0
                    if unavailable:
                        state.fail_next_creates -= 1
                if unavailable:  # the batch exists, the answer is lost
                    raise PayPalError(503, "SERVICE_UNAVAILABLE", "Service Unavailable.")
                self._send(201, answer)
            elif method == "GET" and path.startswith("/v1/payments/payouts/"):
                batch_id = path.rsplit("/", 1)[-1]
                self._send(
                    200,
                    state.batch_get(batch_id, int(query.get("page", 1)), int(query.get("page_size", 1000))),
                )
            elif method == "GET" and path.startswith("/v1/payments/payouts-item/"):
                self._send(200, state.item_get(path.rsplit("/", 1)[-1]))
            elif method == "POST" and path == "/v1/notifications/verify-webhook-signature":
                self._send(200, state.verify(self._json(raw)))
            else:
                raise PayPalError(404, "NOT_FOUND", "The specified resource does not exist.")
        except PayPalError as error:
            self._send(error.status, error.body)
        except Exception:  # noqa: BLE001 - the fake's own bug: answer 500
            traceback.print_exc()
            self._send(
                500, {"name": "INTERNAL_SERVER_ERROR", "message": "An internal server error has occurred."}
            )

    def _control(self, method: str, path: str, body: Any) -> Any:
        fake = self.server.fake
        state = fake.state
        if path == "config" and method == "POST":
            with state.lock:
                for key in ("auto_process", "auto_deliver", "duplicates", "shuffle", "fail_next_creates"):
                    if key in body:
                        setattr(state, key, type(getattr(state, key))(body[key]))
                return {
                    key: getattr(state, key)
                    for key in ("auto_process", "auto_deliver", "duplicates", "shuffle", "fail_next_creates")
                }
        if path.startswith("process/") and method == "POST":
            return {"events": [e["id"] for e in fake.process(path.split("/", 1)[1])]}
        if path.startswith("items/") and path.endswith("/status") and method == "POST":
            item_id = path.split("/")[1]
            with state.lock:
                event = state.set_item_status(item_id, str(body["status"]))
            fake.emit([event])
            return {"event": event["id"]}
        if path == "deliver" and method == "POST":
            return {"statuses": fake.deliver(fake.take_outbox())}
        if path == "payments":
            with state.lock:
                return {"payments": list(state.payments)}
        if path == "deliveries":
            with state.lock:
                return {"deliveries": list(state.deliveries)}
        if path == "webhooks" and method == "POST":
            return state.webhook_add(str(body["url"]), body.get("id"))
        raise PayPalError(404, "NOT_FOUND", "No such control endpoint.")
