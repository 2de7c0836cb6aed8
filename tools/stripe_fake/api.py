"""Routes of ``/v1`` (Stripe's API) and ``/_fake`` (test control) to the state.

Handlers run under the state lock (control routes that deliver webhooks take it only briefly) and
return the JSON to answer; the events a call produced are delivered by the server once the lock is
released.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from stripe_fake import billing, catalog, checkout, invoices, payments
from stripe_fake.errors import StripeError
from stripe_fake.params import as_bool, as_int, as_list, as_str, check_allowed, expand_paths, required
from stripe_fake.state import JSON, State
from stripe_fake.webhooks import Webhooks, body_of

Handler = Callable[["Api", re.Match[str], JSON, list[str]], JSON]


@dataclass
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    # Control routes change what webhooks do; they run without the state lock held throughout.
    control: bool = False


ROUTES: list[Route] = []
ID = r"([A-Za-z0-9_\-]+)"


def route(method: str, path: str, *, control: bool = False) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        ROUTES.append(Route(method, re.compile("^" + path.replace("{id}", ID) + "$"), handler, control))
        return handler

    return register


class Api:
    def __init__(self, state: State, webhooks: Webhooks) -> None:
        self.state = state
        self.webhooks = webhooks

    def resolve(self, method: str, path: str) -> tuple[Route, re.Match[str]] | None:
        for candidate in ROUTES:
            if candidate.method == method:
                match = candidate.pattern.match(path)
                if match:
                    return candidate, match
        return None

    def call(self, found: tuple[Route, re.Match[str]], params: JSON) -> JSON:
        found_route, match = found
        expand = expand_paths(params)
        params = {key: value for key, value in params.items() if key != "expand"}
        if found_route.control:
            return found_route.handler(self, match, params, expand)
        with self.state.lock:
            billing.process_due(self.state)
            return found_route.handler(self, match, params, expand)

    def render(self, obj: JSON, expand: list[str]) -> JSON:
        return self.state.render(obj, expand)

    def get(self, kind: str, object_id: str) -> JSON:
        return self.state.get(kind, object_id)


def _no_params(params: JSON) -> None:
    check_allowed(params, set())


# -- customers ------------------------------------------------------------------------------------


@route("POST", "/v1/customers")
def _customer_create(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    return api.render(catalog.customer_create(api.state, params), expand)


@route("GET", "/v1/customers")
def _customer_list(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    return catalog.customer_list(api.state, params, expand)


@route("GET", "/v1/customers/search")
def _customer_search(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    check_allowed(params, {"query", "limit", "page"})
    return catalog.search(
        api.state, "customer", params, "/v1/customers/search", {"email", "name", "phone", "created"}, expand
    )


@route("GET", "/v1/customers/{id}")
def _customer_retrieve(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    _no_params(params)
    found = api.state.find(m[1])
    if found is not None and found["object"] == "customer" and found.get("deleted"):
        return {"id": found["id"], "object": "customer", "deleted": True}
    return api.render(api.get("customer", m[1]), expand)


@route("POST", "/v1/customers/{id}")
def _customer_update(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    return api.render(catalog.customer_update(api.state, api.get("customer", m[1]), params), expand)


@route("DELETE", "/v1/customers/{id}")
def _customer_delete(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    _no_params(params)
    return billing.customer_delete(api.state, api.get("customer", m[1]))


# -- products and prices --------------------------------------------------------------------------


@route("POST", "/v1/products")
def _product_create(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    return api.render(catalog.product_create(api.state, params), expand)


@route("GET", "/v1/products")
def _product_list(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    return catalog.product_list(api.state, params, expand)


@route("GET", "/v1/products/search")
def _product_search(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    check_allowed(params, {"query", "limit", "page"})
    return catalog.search(
        api.state, "product", params, "/v1/products/search", {"name", "active", "description"}, expand
    )


@route("GET", "/v1/products/{id}")
def _product_retrieve(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    _no_params(params)
    return api.render(api.get("product", m[1]), expand)


@route("POST", "/v1/products/{id}")
def _product_update(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    return api.render(catalog.product_update(api.state, api.get("product", m[1]), params), expand)


@route("DELETE", "/v1/products/{id}")
def _product_delete(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    _no_params(params)
    product = api.get("product", m[1])
    if any(p["product"] == product["id"] for p in api.state.all("price") if not p["_inline"]):
        raise StripeError("This product cannot be deleted because it has one or more user-created prices.")
    product["deleted"] = True
    return {"id": product["id"], "object": "product", "deleted": True}


@route("POST", "/v1/prices")
def _price_create(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    return api.render(catalog.price_create(api.state, params), expand)


@route("GET", "/v1/prices")
def _price_list(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    return catalog.price_list(api.state, params, expand)


@route("GET", "/v1/prices/search")
def _price_search(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    check_allowed(params, {"query", "limit", "page"})
    return catalog.search(
        api.state,
        "price",
        params,
        "/v1/prices/search",
        {"active", "currency", "lookup_key", "product", "type"},
        expand,
    )


@route("GET", "/v1/prices/{id}")
def _price_retrieve(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    _no_params(params)
    return api.render(api.get("price", m[1]), expand)


@route("POST", "/v1/prices/{id}")
def _price_update(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    return api.render(catalog.price_update(api.state, api.get("price", m[1]), params), expand)


# -- subscriptions --------------------------------------------------------------------------------


@route("POST", "/v1/subscriptions")
def _subscription_create(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    return api.render(billing.subscription_create(api.state, params), expand)


@route("GET", "/v1/subscriptions")
def _subscription_list(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    return billing.subscription_list(api.state, params, expand)


@route("GET", "/v1/subscriptions/search")
def _subscription_search(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    check_allowed(params, {"query", "limit", "page"})
    return catalog.search(
        api.state,
        "subscription",
        params,
        "/v1/subscriptions/search",
        {"status", "customer", "created"},
        expand,
    )


@route("GET", "/v1/subscriptions/{id}")
def _subscription_retrieve(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    _no_params(params)
    return api.render(api.get("subscription", m[1]), expand)


@route("POST", "/v1/subscriptions/{id}")
def _subscription_update(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    subscription = api.get("subscription", m[1])
    return api.render(billing.subscription_update(api.state, subscription, params), expand)


@route("DELETE", "/v1/subscriptions/{id}")
def _subscription_cancel(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    subscription = api.get("subscription", m[1])
    return api.render(billing.subscription_cancel(api.state, subscription, params), expand)


@route("GET", "/v1/subscription_items")
def _subscription_item_list(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    check_allowed(params, catalog.LIST_PARAMS - {"created"} | {"subscription"})
    subscription = api.state.get("subscription", required(params, "subscription"), "subscription")
    items = api.render(subscription, [])["items"]["data"]
    return catalog.paginate_plain(items, params, "/v1/subscription_items")


@route("GET", "/v1/subscription_items/{id}")
def _subscription_item_retrieve(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    _no_params(params)
    subscription, item = billing.subscription_item_find(api.state, m[1])
    rendered = api.render(subscription, [])
    return next(i for i in rendered["items"]["data"] if i["id"] == item["id"])


# -- invoices -------------------------------------------------------------------------------------


@route("GET", "/v1/invoices")
def _invoice_list(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    return invoices.invoice_list(api.state, params, expand)


@route("GET", "/v1/invoices/search")
def _invoice_search(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    check_allowed(params, {"query", "limit", "page"})
    return catalog.search(
        api.state,
        "invoice",
        params,
        "/v1/invoices/search",
        {"customer", "status", "subscription", "number", "total", "currency"},
        expand,
    )


@route("GET", "/v1/invoices/{id}")
def _invoice_retrieve(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    _no_params(params)
    return api.render(api.get("invoice", m[1]), expand)


@route("GET", "/v1/invoices/{id}/lines")
def _invoice_lines(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    check_allowed(params, catalog.LIST_PARAMS - {"created"})
    invoice = api.get("invoice", m[1])
    lines = api.render(invoice, [])["lines"]["data"]
    return catalog.paginate_plain(lines, params, f"/v1/invoices/{invoice['id']}/lines")


@route("POST", "/v1/invoices/{id}/pay")
def _invoice_pay(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    return api.render(invoices.invoice_pay(api.state, api.get("invoice", m[1]), params), expand)


@route("GET", "/v1/invoice_payments")
def _invoice_payment_list(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    return invoices.invoice_payment_list(api.state, params, expand)


@route("GET", "/v1/invoice_payments/{id}")
def _invoice_payment_retrieve(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    _no_params(params)
    return api.render(api.get("invoice_payment", m[1]), expand)


@route("GET", "/v1/invoiceitems")
def _invoice_item_list(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    return invoices.invoice_item_list(api.state, params, expand)


@route("GET", "/v1/invoiceitems/{id}")
def _invoice_item_retrieve(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    _no_params(params)
    return api.render(api.get("invoiceitem", m[1]), expand)


# -- checkout and portal --------------------------------------------------------------------------


@route("POST", "/v1/checkout/sessions")
def _checkout_create(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    return api.render(checkout.checkout_session_create(api.state, params), expand)


@route("GET", "/v1/checkout/sessions")
def _checkout_list(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    return checkout.checkout_session_list(api.state, params, expand)


@route("GET", "/v1/checkout/sessions/{id}")
def _checkout_retrieve(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    _no_params(params)
    return api.render(api.get("checkout.session", m[1]), expand)


@route("GET", "/v1/checkout/sessions/{id}/line_items")
def _checkout_line_items(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    check_allowed(params, catalog.LIST_PARAMS - {"created"})
    session = api.get("checkout.session", m[1])
    items = api.state.render(session, ["line_items"])["line_items"]["data"]
    return catalog.paginate_plain(items, params, f"/v1/checkout/sessions/{session['id']}/line_items")


@route("POST", "/v1/checkout/sessions/{id}/expire")
def _checkout_expire(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    _no_params(params)
    return api.render(checkout.checkout_session_expire(api.state, api.get("checkout.session", m[1])), expand)


@route("POST", "/v1/billing_portal/sessions")
def _portal_create(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    return api.render(checkout.portal_session_create(api.state, params), expand)


# -- payments -------------------------------------------------------------------------------------


@route("POST", "/v1/refunds")
def _refund_create(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    return api.render(payments.refund_create(api.state, params), expand)


@route("GET", "/v1/refunds")
def _refund_list(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    return payments.refund_list(api.state, params, expand)


@route("GET", "/v1/refunds/{id}")
def _refund_retrieve(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    _no_params(params)
    return api.render(api.get("refund", m[1]), expand)


@route("GET", "/v1/payment_intents")
def _payment_intent_list(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    return payments.payment_intent_list(api.state, params, expand)


@route("GET", "/v1/payment_intents/{id}")
def _payment_intent_retrieve(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    check_allowed(params, {"client_secret"})
    return api.render(api.get("payment_intent", m[1]), expand)


@route("GET", "/v1/charges")
def _charge_list(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    return payments.charge_list(api.state, params, expand)


@route("GET", "/v1/charges/{id}")
def _charge_retrieve(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    _no_params(params)
    return api.render(api.get("charge", m[1]), expand)


# -- events and webhook endpoints -----------------------------------------------------------------


@route("GET", "/v1/events")
def _event_list(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    check_allowed(params, catalog.LIST_PARAMS | {"type", "types"})
    wanted = [str(t) for t in as_list(params, "types")] or (
        [str(params["type"])] if params.get("type") else []
    )

    def matches(event: JSON) -> bool:
        return not wanted or any(
            event["type"] == t or (t.endswith("*") and event["type"].startswith(t[:-1])) for t in wanted
        )

    return catalog.paginate(
        api.state, catalog.filtered(api.state, "event", matches), params, "/v1/events", expand
    )


@route("GET", "/v1/events/{id}")
def _event_retrieve(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    _no_params(params)
    return api.render(api.get("event", m[1]), [])


@route("POST", "/v1/webhook_endpoints")
def _endpoint_create(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    endpoint = api.webhooks.endpoint_create(params)
    # Stripe shows the secret only in the answer to the creation.
    return {**api.render(endpoint, expand), "secret": endpoint["_secret"]}


@route("GET", "/v1/webhook_endpoints")
def _endpoint_list(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    check_allowed(params, catalog.LIST_PARAMS - {"created"})
    endpoints = [e for e in api.state.all("webhook_endpoint") if not e.get("deleted")]
    return catalog.paginate(api.state, endpoints, params, "/v1/webhook_endpoints", expand)


@route("GET", "/v1/webhook_endpoints/{id}")
def _endpoint_retrieve(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    _no_params(params)
    return api.render(api.get("webhook_endpoint", m[1]), expand)


@route("POST", "/v1/webhook_endpoints/{id}")
def _endpoint_update(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    return api.render(api.webhooks.endpoint_update(api.get("webhook_endpoint", m[1]), params), expand)


@route("DELETE", "/v1/webhook_endpoints/{id}")
def _endpoint_delete(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    _no_params(params)
    return api.webhooks.endpoint_delete(api.get("webhook_endpoint", m[1]))


# -- /_fake: test control -------------------------------------------------------------------------


@route("GET", "/_fake/health")
def _health(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    return {"ok": True, "now": api.state.now()}


@route("POST", "/_fake/reset", control=True)
def _reset(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    """Forget every object, event and delivery; webhook endpoints stay unless ``endpoints=true``."""
    with api.state.lock:
        api.state.reset()
        if as_bool(params, "endpoints"):
            for endpoint in api.state.all("webhook_endpoint"):
                api.state.remove(endpoint)
    api.webhooks.reset()
    return {"ok": True}


@route("GET", "/_fake/clock")
def _clock(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    customer = as_str(params, "customer")
    return {
        "now": api.state.now(customer),
        "frozen": api.state.clock.frozen,
        "offsets": dict(api.state.clock.offsets),
    }


@route("POST", "/_fake/clock/advance")
def _clock_advance(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    """Move time on by ``seconds`` + ``days`` (for one ``customer`` only, if given) and run what
    fell due: trial notices and ends, renewals, cancellations at period end."""
    check_allowed(params, {"seconds", "days", "customer", "to"})
    customer = as_str(params, "customer")
    if customer:
        api.get("customer", customer)
    target = as_int(params, "to")
    seconds = (as_int(params, "seconds") or 0) + (as_int(params, "days") or 0) * billing.DAY
    if target is not None:
        seconds = target - api.state.now(customer)
    if seconds < 0:
        raise StripeError("The clock only moves forward.", param="seconds")
    before = len(api.state.events)
    api.state.clock.advance(seconds, customer)
    billing.process_due(api.state, customer)
    return {"now": api.state.now(customer), "events": api.state.events[before:]}


@route("POST", "/_fake/customers/{id}/fail_next_payment")
def _fail_next_payment(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    check_allowed(params, {"count", "decline_code"})
    customer = api.get("customer", m[1])
    count = as_int(params, "count", minimum=0)
    billing.fail_next_payment(
        api.state, customer, 1 if count is None else count, as_str(params, "decline_code") or "card_declined"
    )
    return {"customer": customer["id"], "fail_payments": customer["_fail_payments"]}


@route("POST", "/_fake/checkout/sessions/{id}/complete")
def _checkout_complete(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    check_allowed(params, {"email", "name", "payment_method", "payment_method_type", "async_outcome"})
    session = api.get("checkout.session", m[1])
    completed = checkout.checkout_session_complete(
        api.state,
        session,
        email=as_str(params, "email"),
        name=as_str(params, "name"),
        payment_method=as_str(params, "payment_method"),
        payment_method_type=as_str(params, "payment_method_type"),
        async_outcome=as_str(params, "async_outcome"),
    )
    return api.render(completed, expand)


@route("POST", "/_fake/webhooks/pause", control=True)
def _webhooks_pause(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    api.webhooks.pause()
    return {"paused": True}


@route("GET", "/_fake/webhooks/held", control=True)
def _webhooks_held(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    return {"data": api.webhooks.held_events()}


@route("POST", "/_fake/webhooks/release", control=True)
def _webhooks_release(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    check_allowed(params, {"order", "event_ids", "resume", "discard"})
    event_ids = [str(e) for e in as_list(params, "event_ids")] or None
    resume = as_bool(params, "resume")
    deliveries = api.webhooks.release(
        order=as_str(params, "order") or "recorded",
        event_ids=event_ids,
        resume=True if resume is None else resume,
        discard=bool(as_bool(params, "discard")),
    )
    return {"data": deliveries}


@route("POST", "/_fake/events/{id}/redeliver", control=True)
def _redeliver(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    check_allowed(params, {"endpoint", "signature"})
    with api.state.lock:
        event = api.get("event", m[1])
    endpoint = as_str(params, "endpoint")
    return {
        "data": api.webhooks.deliver(
            event, [endpoint] if endpoint else None, signature=as_str(params, "signature") or "valid"
        )
    }


@route("POST", "/_fake/webhooks/send", control=True)
def _send(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    """POST an arbitrary ``payload`` (text or JSON) to ``endpoint`` (default: every endpoint), signed
    per ``signature``: valid, invalid (wrong secret), missing, stale (an hour old)."""
    check_allowed(params, {"payload", "endpoint", "signature"})
    if "payload" not in params:
        raise StripeError("Missing required param: payload.", code="parameter_missing", param="payload")
    body = body_of(params["payload"])
    endpoint = as_str(params, "endpoint")
    with api.state.lock:
        endpoint_ids = (
            [endpoint]
            if endpoint
            else [e["id"] for e in api.state.all("webhook_endpoint") if not e.get("deleted")]
        )
    fake_event: Any = params["payload"] if isinstance(params["payload"], dict) else {}
    return {
        "data": api.webhooks.deliver(
            fake_event, endpoint_ids, body=body, signature=as_str(params, "signature") or "invalid"
        )
    }


@route("GET", "/_fake/deliveries", control=True)
def _deliveries(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    return {"data": api.webhooks.delivery_log(as_str(params, "event"))}


@route("GET", "/_fake/webhook_endpoints/{id}/secret")
def _endpoint_secret(api: Api, m: re.Match[str], params: JSON, expand: list[str]) -> JSON:
    return {"secret": api.get("webhook_endpoint", m[1])["_secret"]}


# Routes of payment methods, portal configurations and behaviour switches (registered on import).
from stripe_fake import api_behaviour  # noqa: E402, F401

# Stripe Connect's routes (accounts, account links, transfers, reversals, balance) register themselves.
from stripe_fake import connect as _connect  # noqa: E402, F401
