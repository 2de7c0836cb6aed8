"""The HTTP side: stdlib ``ThreadingHTTPServer``, Stripe's wire format.

``/v1/...``: form-encoded requests, JSON answers, ``Authorization: Bearer sk_test_...`` (or HTTP
basic with the key as user), ``Idempotency-Key`` on POST (a replay answers the first response with
``Idempotent-Replayed: true``; the same key with other parameters is a 400 ``idempotency_error``;
while the first is still running, a 409 the SDK retries). ``/_fake/...``: test control, JSON or form
in, JSON out, no key. Anything else: the pages a browser sees (:mod:`stripe_fake.pages`).
"""

from __future__ import annotations

import base64
import json
import sys
import threading
import traceback
from collections import OrderedDict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from stripe_fake import billing, checkout, connect, invoices, pages
from stripe_fake.api import Api
from stripe_fake.errors import StripeError
from stripe_fake.forms import decode
from stripe_fake.state import JSON, State, new_id
from stripe_fake.webhooks import Webhooks

IDEMPOTENCY_CAPACITY = 50_000


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    fake: FakeStripeServer


class FakeStripeServer:
    """The fake, ready to ``start()`` in a thread or ``serve_forever()`` in this one.

    ``frozen_time``: the clock moves only when advanced (what tests want); otherwise it follows the
    wall clock plus advances (what ``make run`` wants). ``webhook_urls`` get an endpoint each, for
    every event type, signed with ``webhook_secret``. ``api_key``: accept only this key (by default
    any ``sk_test_``/``rk_test_`` key).
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str | None = None,
        webhook_urls: tuple[str, ...] | list[str] = (),
        webhook_secret: str | None = None,
        frozen_time: bool = False,
        start_time: int | None = None,
        public_url: str | None = None,
        delivery_timeout: float = 30.0,
        verbose: bool = False,
        delivery: str = "sync",
        shuffle: bool = False,
        duplicate_rate: float = 0.0,
        seed: int | None = None,
        settings: JSON | None = None,
        portal_configuration: bool = False,
    ) -> None:
        self.state = State(frozen_time=frozen_time, start_time=start_time)
        self.state.settings.update(settings or {})
        self.state.initial_settings.update(settings or {})
        self.webhooks = Webhooks(self.state, timeout=delivery_timeout)
        if delivery not in ("sync", "async"):
            raise ValueError("delivery must be sync or async")
        if delivery == "async" or shuffle or duplicate_rate or seed is not None:
            self.webhooks.configure(
                asynchronous=delivery == "async", shuffle=shuffle, duplicate_rate=duplicate_rate, seed=seed
            )
        self.api = Api(self.state, self.webhooks)
        self.api_key = api_key
        self.verbose = verbose
        self.httpd = _HTTPServer((host, port), _Handler)
        self.httpd.fake = self
        self.url = (public_url or f"http://{host}:{self.httpd.server_port}").rstrip("/")
        self.state.base_url = self.url
        self._idempotency: OrderedDict[tuple[str, str], tuple[str, int, bytes]] = OrderedDict()
        self._in_flight: set[tuple[str, str]] = set()
        self._idempotency_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        for url in webhook_urls:
            self.add_webhook_endpoint(url, secret=webhook_secret)
        if portal_configuration:
            # What saving the customer portal settings in the Dashboard does once per account.
            with self.state.lock:
                configuration = checkout.portal_configuration_create(
                    self.state,
                    {
                        "features": {
                            "invoice_history": {"enabled": True},
                            "payment_method_update": {"enabled": True},
                            "subscription_cancel": {"enabled": True, "mode": "at_period_end"},
                        }
                    },
                )
                configuration["_account_setting"] = True
                self.state.drain_outbox()

    @property
    def port(self) -> int:
        return int(self.httpd.server_port)

    def add_webhook_endpoint(
        self,
        url: str,
        *,
        secret: str | None = None,
        enabled_events: tuple[str, ...] | list[str] = ("*",),
        connect: bool = False,
    ) -> JSON:
        with self.state.lock:
            params: JSON = {"url": url, "enabled_events": list(enabled_events)}
            if secret:
                params["secret"] = secret
            if connect:
                params["connect"] = True
            endpoint = self.webhooks.endpoint_create(params)
            return {**self.state.render(endpoint), "secret": endpoint["_secret"]}

    def start(self) -> FakeStripeServer:
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="stripe-fake", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Async delivery: wait until every ready webhook was delivered (see Webhooks.wait_idle)."""
        return self.webhooks.wait_idle(timeout)

    def stop(self) -> None:
        self.webhooks.stop()
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # -- authentication and idempotency ----------------------------------------------------------

    def authenticate(self, header: str | None) -> str:
        if not header:
            raise StripeError(
                "You did not provide an API key. You need to provide your API key in the Authorization "
                "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
                status=401,
                code="api_key_missing",
            )
        scheme, _, credentials = header.partition(" ")
        key = credentials.strip()
        if scheme.lower() == "basic":
            try:
                key = base64.b64decode(key).decode().partition(":")[0]
            except ValueError:
                key = ""
        elif scheme.lower() != "bearer":
            key = ""
        valid = key == self.api_key if self.api_key else key.startswith(("sk_test_", "rk_test_"))
        if not valid:
            shown = f"{key[:8]}****{key[-4:]}" if len(key) > 12 else "****"
            raise StripeError(f"Invalid API Key provided: {shown}", status=401, code="api_key_invalid")
        return key

    def idempotent_begin(self, key: tuple[str, str], fingerprint: str) -> tuple[int, bytes] | None:
        """The saved answer to replay, or None to go ahead (the key is then in flight)."""
        with self._idempotency_lock:
            saved = self._idempotency.get(key)
            if saved is not None:
                if saved[0] != fingerprint:
                    raise StripeError(
                        "Keys for idempotent requests can only be used with the same parameters they were "
                        f"first used with. Try using a key other than '{key[1]}' if you meant to execute a "
                        "different request.",
                        type="idempotency_error",
                    )
                return saved[1], saved[2]
            if key in self._in_flight:
                raise StripeError(
                    "There is currently another in-progress request using this Stripe API key and "
                    "idempotency key (or one of your request params). Please retry this request later.",
                    status=409,
                    type="idempotency_error",
                    code="idempotency_key_in_use",
                )
            self._in_flight.add(key)
            return None

    def idempotent_end(self, key: tuple[str, str], fingerprint: str, status: int, body: bytes) -> None:
        with self._idempotency_lock:
            self._in_flight.discard(key)
            # Stripe saves what an endpoint executed (including card errors), not failed validation.
            if status < 400 or status == 402:
                self._idempotency[key] = (fingerprint, status, body)
                while len(self._idempotency) > IDEMPOTENCY_CAPACITY:
                    self._idempotency.popitem(last=False)

    # -- running a call --------------------------------------------------------------------------

    def run(
        self,
        method: str,
        path: str,
        params: JSON,
        request_id: str | None,
        idempotency_key: str | None,
        account: str = "",
    ) -> tuple[int, JSON]:
        found = self.api.resolve(method, path)
        if found is None:
            raise StripeError(
                f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs or we can "
                "help at https://support.stripe.com/.",
                status=404,
            )
        with self.state.request(request_id, idempotency_key, account):
            try:
                status, body = 200, self.api.call(found, params)
            except StripeError as error:
                status, body = error.status, error.body()
            events = self.state.drain_outbox()
        self.webhooks.dispatch(events)
        return status, body

    def page_action(self, action: str, *ids: str, form: JSON) -> tuple[str | None, str | None]:
        """A browser form post: (redirect location, or an error message for the page)."""
        state = self.state
        with state.request(None, None):
            try:
                with state.lock:
                    location = self._page_action(action, ids, form)
                error = None
            except StripeError as exc:
                location, error = None, exc.message
            events = state.drain_outbox()
        self.webhooks.dispatch(events)
        return location, error

    def _page_action(self, action: str, ids: tuple[str, ...], form: JSON) -> str:
        state = self.state
        billing.process_due(state)
        if action == "checkout_pay":
            session = state.get("checkout.session", ids[0])
            checkout.checkout_session_complete(state, session, email=form.get("email") or None)
            success_url = session["success_url"] or f"{self.url}/checkout/{session['id']}"
            return str(success_url).replace("{CHECKOUT_SESSION_ID}", quote(session["id"]))
        if action in ("portal_cancel", "portal_renew"):
            portal = state.get("billing_portal.session", ids[0])
            subscription = state.get("subscription", ids[1])
            if subscription["customer"] != portal["customer"]:
                raise StripeError("No such subscription", status=404)
            value = "true" if action == "portal_cancel" else "false"
            billing.subscription_update(state, subscription, {"cancel_at_period_end": value})
            return f"/portal/{portal['id']}"
        if action == "invoice_pay":
            invoice = state.get("invoice", ids[0])
            invoices.invoice_pay(state, invoice, {})
            return f"/invoice/{invoice['id']}"
        raise StripeError("Not found", status=404)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; without this, delayed ACKs cost 40 ms a request.
    disable_nagle_algorithm = True
    server: _HTTPServer
    server_version = "stripe-fake"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.fake.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def _handle(self, method: str) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            if url.path.startswith("/v1/"):
                self._api(method, url.path, url.query, raw)
            elif url.path.startswith("/_fake/"):
                self._control(method, url.path, url.query, raw)
            elif method == "GET" and url.path.startswith("/connect/"):
                location = connect.browser_onboarding(self.server.fake, url.path, url.query)
                if location:
                    self._send(302, b"", "text/plain", {"Location": location})
                else:
                    self._send(404, b"Not found", "text/plain")
            else:
                self._browser(method, url.path, raw)
        except Exception:  # noqa: BLE001 - the fake's own bug: answer 500 like Stripe, print the trace
            traceback.print_exc(file=sys.stderr)
            body = {
                "error": {"type": "api_error", "message": "The fake hit an internal error (see its stderr)."}
            }
            self._json(500, body, {"Stripe-Should-Retry": "false"})

    def _api(self, method: str, path: str, query: str, raw: bytes) -> None:
        fake = self.server.fake
        request_id = new_id("request")
        headers = {
            "Request-Id": request_id,
            "Stripe-Version": self.headers.get("Stripe-Version") or fake.state.api_version,
        }
        try:
            api_key = fake.authenticate(self.headers.get("Authorization"))
            params = decode(raw.decode() if method == "POST" else query)
        except StripeError as error:
            self._json(error.status, error.body(), headers)
            return
        account = self.headers.get("Stripe-Account") or ""
        idempotency_key = self.headers.get("Idempotency-Key") if method == "POST" else None
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
            key = (api_key, idempotency_key)
            # Compared decoded: the same parameters may be percent-encoded differently.
            fingerprint = f"{method} {path} {json.dumps(params, sort_keys=True)}"
            try:
                saved = fake.idempotent_begin(key, fingerprint)
            except StripeError as error:
                extra = {"Stripe-Should-Retry": "true"} if error.status == 409 else {}
                self._json(error.status, error.body(), {**headers, **extra})
                return
            if saved is not None:
                self._send(saved[0], saved[1], "application/json", {**headers, "Idempotent-Replayed": "true"})
                return
            status, body = 500, b""
            try:
                status, answer = fake.run(method, path, params, request_id, idempotency_key, account)
                body = _dump(answer)
            finally:
                fake.idempotent_end(key, fingerprint, status, body)
            self._send(status, body, "application/json", headers)
            return
        try:
            status, answer = fake.run(method, path, params, request_id, None, account)
        except StripeError as error:
            status, answer = error.status, error.body()
        self._json(status, answer, headers)

    def _control(self, method: str, path: str, query: str, raw: bytes) -> None:
        fake = self.server.fake
        try:
            if raw and (self.headers.get("Content-Type") or "").startswith("application/json"):
                params = json.loads(raw)
            else:
                params = decode(raw.decode() if raw else query)
            # Events caused by test control (the clock, a completed checkout) come from no API request.
            status, answer = fake.run(method, path, params, None, None)
        except StripeError as error:
            status, answer = error.status, error.body()
        self._json(status, answer)

    def _browser(self, method: str, path: str, raw: bytes) -> None:
        fake = self.server.fake
        state = fake.state
        parts = [p for p in path.split("/") if p]
        form = dict(parse_qsl(raw.decode())) if raw else {}
        actions = {
            ("checkout", "pay"): "checkout_pay",
            ("invoice", "pay"): "invoice_pay",
        }
        if method == "POST":
            ids: tuple[str, ...]
            if len(parts) == 3 and (parts[0], parts[2]) in actions:
                action, ids = actions[(parts[0], parts[2])], (parts[1],)
            elif (
                len(parts) == 5
                and parts[0] == "portal"
                and parts[2] == "subscriptions"
                and parts[4] in ("cancel", "renew")
            ):
                action, ids = f"portal_{parts[4]}", (parts[1], parts[3])
            else:
                self._send(404, b"Not found", "text/plain")
                return
            location, error = fake.page_action(action, *ids, form=form)
            if location:
                self._send(303, b"", "text/plain", {"Location": location})
                return
            self._render_page(parts[0], parts[1], error)
            return
        if method == "GET" and len(parts) == 2 and parts[0] in ("checkout", "portal", "invoice", "receipts"):
            self._render_page(parts[0], parts[1], None)
            return
        if method == "GET" and len(parts) == 3 and parts[0] == "invoice" and parts[2] == "pdf":
            with state.lock:
                invoice = state.find(parts[1])
                pdf = pages.invoice_pdf(invoice) if invoice and invoice["object"] == "invoice" else None
            if pdf is None:
                self._send(404, b"Not found", "text/plain")
            else:
                self._send(200, pdf, "application/pdf")
            return
        self._send(404, b"Not found", "text/plain")

    def _render_page(self, kind: str, object_id: str, error: str | None) -> None:
        state = self.server.fake.state
        html: str | None = None
        with state.lock:
            obj = state.find(object_id)
            if obj is not None:
                if kind == "checkout" and obj["object"] == "checkout.session":
                    items = state.render(obj, ["line_items"])["line_items"]["data"]
                    html = pages.checkout_page(obj, items, error)
                elif kind == "portal" and obj["object"] == "billing_portal.session":
                    html = pages.portal_page(state, obj)
                elif kind == "invoice" and obj["object"] == "invoice":
                    html = pages.invoice_page(obj, error)
                elif kind == "receipts" and obj["object"] == "charge":
                    html = pages.receipt_page(obj)
        if html is None:
            self._send(404, b"Not found", "text/plain")
        else:
            self._send(200 if error is None else 402, html.encode(), "text/html; charset=utf-8")

    def _json(self, status: int, body: JSON, headers: dict[str, str] | None = None) -> None:
        self._send(status, _dump(body), "application/json", headers)

    def _send(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


def _dump(body: JSON) -> bytes:
    return json.dumps(body, indent=2).encode()
