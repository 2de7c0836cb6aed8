"""The fake's memory: objects by id, the clock, events and the webhook outbox.

Objects are stored as the JSON dicts the API answers with. Keys starting with ``_`` are the fake's
own bookkeeping and never leave the process (:meth:`State.render` drops them). One re-entrant lock
guards everything; webhook POSTs happen after it is released (see :mod:`stripe_fake.webhooks`), so a
receiver may call the fake back while it handles an event.
"""

from __future__ import annotations

import copy
import secrets
import string
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from stripe_fake.errors import StripeError, missing

JSON = dict[str, Any]

API_VERSION = "2026-10-28.endive"

PREFIXES: dict[str, str] = {
    "balance_transaction": "txn",
    "billing_portal.configuration": "bpc",
    "billing_portal.session": "bps",
    "charge": "ch",
    "checkout.session": "cs_test",
    "customer": "cus",
    "event": "evt",
    "invoice": "in",
    "invoice_payment": "inpay",
    "invoiceitem": "ii",
    "item": "li",
    "line_item": "il",
    "payment_intent": "pi",
    "payment_method": "pm",
    "price": "price",
    "product": "prod",
    "refund": "re",
    "request": "req",
    "subscription": "sub",
    "subscription_item": "si",
    "webhook_endpoint": "we",
}

# Names used in "No such <kind>" messages, as Stripe words them.
KINDS: dict[str, str] = {
    "checkout.session": "checkout.session",
    "billing_portal.session": "billing_portal.session",
    "invoiceitem": "invoiceitem",
}

_ALPHABET = string.ascii_letters + string.digits

HOUR = 3600
DAY = 24 * HOUR
DEFAULT_SETTINGS: dict[str, Any] = {
    # Smart-Retries-like schedule: days after the first failed attempt of a renewal invoice.
    "dunning_retry_days": [3, 5, 7],
    # What the subscription becomes once the last retry failed: "unpaid" or "canceled"
    # (Dashboard > Billing > Revenue recovery > "If all retries for a payment fail").
    "dunning_final_action": "unpaid",
    # Renewal invoices stay draft this long before being finalized and charged.
    "renewal_finalize_delay": HOUR,
    # An incomplete subscription expires when its first invoice is not paid within this delay.
    "incomplete_expiry": 23 * HOUR,
    # Checkout with a delayed payment method (sepa_debit, ...): how long until it settles, and
    # whether it then succeeds.
    "async_payment_delay": 3 * DAY,
    "async_payment_outcome": "succeeded",
}


def new_id(kind: str) -> str:
    return PREFIXES[kind] + "_" + "".join(secrets.choice(_ALPHABET) for _ in range(24))


@dataclass
class RequestContext:
    """What an event's ``request`` field reports, plus the events this thread produced."""

    request_id: str | None = None
    idempotency_key: str | None = None
    # The ``Stripe-Account`` header: the connected account the request acts on ("" the platform).
    account: str = ""
    outbox: list[JSON] = field(default_factory=list)


class Clock:
    """The fake's time. ``frozen``: time moves only when advanced (deterministic tests); otherwise
    it is the wall clock plus the advances. Each customer may also run ahead on its own, which is
    how one test advances its subscriptions without renewing everybody else's (Stripe's test clocks
    are per customer too)."""

    def __init__(self, *, frozen: bool, start: int | None = None) -> None:
        self.frozen = frozen
        self._base = (start or int(time.time())) if frozen else 0
        self.offsets: dict[str, int] = {}

    def now(self, customer: str | None = None) -> int:
        base = self._base if self.frozen else int(time.time()) + self._base
        return base + (self.offsets.get(customer, 0) if customer else 0)

    def advance(self, seconds: int, customer: str | None = None) -> None:
        if customer:
            self.offsets[customer] = self.offsets.get(customer, 0) + seconds
        else:
            self._base += seconds


class State:
    def __init__(self, *, frozen_time: bool = False, start_time: int | None = None) -> None:
        self.lock = threading.RLock()
        self.clock = Clock(frozen=frozen_time, start=start_time)
        self.objects: dict[str, JSON] = {}
        self.by_type: dict[str, list[str]] = {}
        self.events: list[str] = []
        self.base_url = "http://127.0.0.1"
        self.api_version = API_VERSION
        # Behaviour switches (``POST /_fake/settings``): see DEFAULT_SETTINGS.
        self.settings: JSON = copy.deepcopy(DEFAULT_SETTINGS)
        self.initial_settings: JSON = copy.deepcopy(DEFAULT_SETTINGS)
        self._local = threading.local()
        # Set by the webhook dispatcher: how many endpoints will receive an event of this type.
        self.endpoint_count: Callable[[str], int] = lambda event_type: 0

    # -- request context -------------------------------------------------------------------------

    @property
    def context(self) -> RequestContext:
        context = getattr(self._local, "context", None)
        if context is None:
            context = RequestContext()
            self._local.context = context
        return context

    @contextmanager
    def request(
        self, request_id: str | None, idempotency_key: str | None, account: str = ""
    ) -> Iterator[RequestContext]:
        previous = getattr(self._local, "context", None)
        context = RequestContext(request_id=request_id, idempotency_key=idempotency_key, account=account)
        self._local.context = context
        try:
            yield context
        finally:
            self._local.context = previous

    def drain_outbox(self) -> list[JSON]:
        outbox = self.context.outbox
        self.context.outbox = []
        return outbox

    # -- time ------------------------------------------------------------------------------------

    def now(self, customer: str | None = None) -> int:
        return self.clock.now(customer)

    def customer_of(self, obj: JSON) -> str | None:
        if obj.get("object") == "customer":
            return str(obj["id"])
        customer = obj.get("customer")
        return customer if isinstance(customer, str) else None

    # -- storage ---------------------------------------------------------------------------------

    def add(self, obj: JSON) -> JSON:
        self.objects[obj["id"]] = obj
        self.by_type.setdefault(obj["object"], []).append(obj["id"])
        return obj

    def get(self, kind: str, object_id: Any, param: str = "id") -> JSON:
        obj = self.objects.get(object_id) if isinstance(object_id, str) else None
        if obj is None or obj.get("object") != kind or obj.get("deleted"):
            raise missing(KINDS.get(kind, kind.replace("_", " ")), str(object_id), param)
        return obj

    def find(self, object_id: str) -> JSON | None:
        return self.objects.get(object_id)

    def all(self, kind: str) -> list[JSON]:
        """Objects of a kind, newest first (Stripe's list order)."""
        return [self.objects[object_id] for object_id in reversed(self.by_type.get(kind, []))]

    def remove(self, obj: JSON) -> None:
        self.objects.pop(obj["id"], None)
        ids = self.by_type.get(obj["object"], [])
        if obj["id"] in ids:
            ids.remove(obj["id"])

    def base(self, kind: str, **fields: Any) -> JSON:
        """A new object with the fields every Stripe object carries (``created`` in its customer's time)."""
        customer = fields.get("customer")
        now = self.now(customer if isinstance(customer, str) else None)
        obj: JSON = {"id": new_id(kind), "object": kind, "created": now, "livemode": False}
        obj.update(fields)
        return obj

    def reset(self) -> None:
        # Account settings survive: webhook endpoints, the portal configuration made at start-up.
        endpoints = [self.objects[i] for i in self.by_type.get("webhook_endpoint", [])] + [
            self.objects[i]
            for i in self.by_type.get("billing_portal.configuration", [])
            if self.objects[i].get("_account_setting")
        ]
        self.objects.clear()
        self.by_type.clear()
        self.events.clear()
        self.clock.offsets.clear()
        self.settings = copy.deepcopy(self.initial_settings)
        for endpoint in endpoints:
            self.add(endpoint)

    # -- rendering -------------------------------------------------------------------------------

    def render(self, obj: JSON, expand: Iterable[str] = ()) -> JSON:
        """The object as the API shows it now: private keys dropped, embedded prices refreshed,
        ``expand`` paths (``latest_invoice``, ``data.customer``, ``items.data.price.product``)
        replaced by the objects they name."""
        rendered = _public(obj)
        if rendered.get("object") == "subscription":
            for item in rendered["items"]["data"]:
                price = self.objects.get(item["price"]["id"])
                if price is not None:
                    item["price"] = _public(price)
                    item["plan"] = plan_from_price(item["price"])
            # Since 2025-03-31.basil the period lives on the items only.
            rendered.pop("current_period_start", None)
            rendered.pop("current_period_end", None)
        for path in expand:
            self._expand(rendered, obj, path.split("."), path)
        return rendered

    def _expand(self, node: Any, source: Any, parts: list[str], path: str) -> None:
        if not parts or not isinstance(node, dict):
            return
        key, rest = parts[0], parts[1:]
        if key == "data" and node.get("object") in ("list", "search_result"):
            for item in node["data"]:
                self._expand(item, self.objects.get(item.get("id", "")), rest, path)
            return
        includable = (source or {}).get("_includable", {})
        if key in includable:
            node[key] = self._includable(source, key)
        elif key not in node:
            raise StripeError(
                f"This property cannot be expanded ({key}).", param="expand", code="parameter_invalid"
            )
        value = node[key]
        if isinstance(value, str) and value in self.objects:
            node[key] = self.render(self.objects[value])
            value = node[key]
        self._expand(
            value,
            self.objects.get(value["id"]) if isinstance(value, dict) and "id" in value else None,
            rest,
            path,
        )

    def _includable(self, source: JSON, key: str) -> Any:
        """Fields Stripe leaves out unless expanded (``checkout.session.line_items``,
        ``invoice.payments``): stored as a list of ids or objects under ``_includable``."""
        entries = source["_includable"][key]
        data = [self.render(self.objects[e]) if isinstance(e, str) else _public(e) for e in entries["data"]]
        return list_object(data, entries["url"])

    # -- events ----------------------------------------------------------------------------------

    def emit(self, event_type: str, obj: JSON, previous: JSON | None = None, at: int | None = None) -> JSON:
        """Record an event with a snapshot of ``obj`` now; it is delivered when the request ends."""
        data: JSON = {"object": self.render(obj)}
        if previous:
            data["previous_attributes"] = previous
        context = self.context
        event: JSON = {
            "id": new_id("event"),
            "object": "event",
            "api_version": self.api_version,
            "created": at if at is not None else self.now(self.customer_of(obj)),
            "data": data,
            "livemode": False,
            "pending_webhooks": self.endpoint_count(event_type),
            "request": {"id": context.request_id, "idempotency_key": context.idempotency_key},
            "type": event_type,
        }
        self.add(event)
        self.events.append(event["id"])
        context.outbox.append(event)
        return event

    def snapshot(self, obj: JSON) -> JSON:
        return self.render(obj)

    def changed(self, event_type: str, obj: JSON, before: JSON, at: int | None = None) -> JSON | None:
        """Emit ``event_type`` with ``previous_attributes`` if the object changed since ``before``."""
        previous = diff(before, self.render(obj))
        if not previous:
            return None
        return self.emit(event_type, obj, previous, at)


def _public(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {key: _public(value) for key, value in obj.items() if not key.startswith("_")}
    if isinstance(obj, list):
        return [_public(value) for value in obj]
    return copy.copy(obj)


def diff(before: JSON, after: JSON) -> JSON:
    """Stripe's ``previous_attributes``: the old values of the fields that changed (nested dicts
    are diffed in turn, lists are given whole, a key that did not exist was ``None``)."""
    previous: JSON = {}
    for key in [*before, *(k for k in after if k not in before)]:
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        if isinstance(old, dict) and isinstance(new, dict):
            previous[key] = diff(old, new)
        else:
            previous[key] = old
    return previous


def list_object(data: list[JSON], url: str, has_more: bool = False) -> JSON:
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def plan_from_price(price: JSON) -> JSON:
    """The legacy ``plan`` view of a recurring price, still on subscriptions and their items."""
    recurring = price.get("recurring") or {}
    return {
        "id": price["id"],
        "object": "plan",
        "active": price["active"],
        "amount": price["unit_amount"],
        "amount_decimal": price["unit_amount_decimal"],
        "billing_scheme": "per_unit",
        "created": price["created"],
        "currency": price["currency"],
        "interval": recurring.get("interval"),
        "interval_count": recurring.get("interval_count"),
        "livemode": False,
        "metadata": dict(price.get("metadata") or {}),
        "meter": None,
        "nickname": price.get("nickname"),
        "product": price["product"],
        "tiers_mode": None,
        "transform_usage": None,
        "trial_period_days": None,
        "usage_type": "licensed",
    }
