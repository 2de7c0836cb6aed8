"""Stripe as a dict, for tests of webhook processing that need full control of what Stripe says:
the objects' current state (what a re-read returns) and the events, signed for real and posted to
the platform's endpoint through Django's test client (inside the test's transaction).

``world.put(obj)`` sets an object's current state; ``world.event(type, obj, at=...)`` builds an
event (a snapshot of ``obj`` at that time, in the pinned API version unless told) and
``world.post(event)`` delivers it. Every module that calls Stripe gets this world's client.
"""

from __future__ import annotations

import copy
import itertools
import json
from types import SimpleNamespace
from typing import Any

import pytest
import stripe
from django.conf import settings as django_settings
from django.test import Client

from stripe_fake import sign

WEBHOOK_PATH = "/stripe/webhook/"
SECRET = "whsec_world_tests"
_ids = itertools.count(1)

# Every module that holds its own reference to ``stripe_client``.
CLIENT_USERS = (
    "payments.stripe_client",
    "billing.services.stripe_sync",
    "billing.services.stripe_events",
    "billing.services.subscriptions",
    "billing.services.memberships",
    "marketplace.services.checkout",
)


class _Resource:
    def __init__(self, world: StripeWorld, kind: str) -> None:
        self.world, self.kind = world, kind

    def retrieve(self, object_id: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        self.world.reads.append((self.kind, object_id))
        try:
            return copy.deepcopy(self.world.objects[object_id])
        except KeyError:
            raise stripe.InvalidRequestError(
                f"No such {self.kind}: {object_id}", param="id", code="resource_missing"
            ) from None

    def create(self, params: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        """Checkout sessions only: an open session on the world's clock (returned as the SDK's
        object is used, by attribute)."""
        assert self.kind == "checkout.session", self.kind
        params = params or {}
        session_id = f"cs_world_{next(_ids)}"
        amount = sum(
            int(item["price_data"]["unit_amount"]) * int(item["quantity"]) for item in params["line_items"]
        )
        session = {
            "id": session_id,
            "object": "checkout.session",
            "mode": params.get("mode"),
            "status": "open",
            "payment_status": "unpaid",
            "amount_total": amount,
            "currency": params["line_items"][0]["price_data"]["currency"],
            "metadata": dict(params.get("metadata") or {}),
            "payment_intent": None,
            "url": f"https://checkout.stripe.test/{session_id}",
        }
        self.world.put(session)
        return SimpleNamespace(**session)

    def list(self, params: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        params = params or {}
        found = [
            copy.deepcopy(obj)
            for obj in self.world.objects.values()
            if obj.get("object") == self.kind
            and all(obj.get(key) == value for key, value in params.items() if key not in ("limit",))
        ]
        return SimpleNamespace(object="list", data=found, has_more=False)


class _V1:
    def __init__(self, world: StripeWorld) -> None:
        self.subscriptions = _Resource(world, "subscription")
        self.invoices = _Resource(world, "invoice")
        self.charges = _Resource(world, "charge")
        self.refunds = _Resource(world, "refund")
        self.payment_intents = _Resource(world, "payment_intent")
        self.invoice_payments = _Resource(world, "invoice_payment")
        self.checkout = type("Checkout", (), {"sessions": _Resource(world, "checkout.session")})()


class _Client:
    def __init__(self, world: StripeWorld) -> None:
        self.v1 = _V1(world)


class StripeWorld:
    def __init__(self, now: int) -> None:
        self.objects: dict[str, dict[str, Any]] = {}
        self.reads: list[tuple[str, str]] = []
        self.now = now
        self.client = Client()

    def put(self, obj: dict[str, Any]) -> dict[str, Any]:
        self.objects[obj["id"]] = copy.deepcopy(obj)
        return obj

    def event(
        self,
        event_type: str,
        obj: dict[str, Any],
        *,
        at: int,
        api_version: str | None = None,
        event_id: str | None = None,
    ) -> dict[str, Any]:
        return {
            "id": event_id or f"evt_world_{next(_ids)}",
            "object": "event",
            "api_version": api_version if api_version is not None else stripe.api_version,
            "created": at,
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": event_type,
            "data": {"object": copy.deepcopy(obj)},
        }

    def post(self, event: dict[str, Any]) -> Any:
        body = json.dumps(event)
        return self.client.post(
            WEBHOOK_PATH,
            data=body.encode(),
            content_type="application/json",
            HTTP_HOST=django_settings.ROOT_DOMAIN,
            HTTP_STRIPE_SIGNATURE=sign(body, SECRET),
        )

    def deliver(self, *events: dict[str, Any]) -> list[str]:
        """Post each event; each must be acknowledged (2xx). Returns the answers' statuses."""
        statuses = []
        for event in events:
            response = self.post(event)
            assert response.status_code == 200, (event["type"], response.content)
            statuses.append(response.json()["status"])
        return statuses


@pytest.fixture
def stripe_world(settings: Any, monkeypatch: Any) -> StripeWorld:
    import importlib
    import time

    settings.STRIPE_API_KEY = "sk_test_world"
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    world = StripeWorld(now=int(time.time()))
    client = _Client(world)
    for name in CLIENT_USERS:
        module = importlib.import_module(name)
        monkeypatch.setattr(module, "stripe_client", lambda: client)
    return world


# --- object builders in the pinned version's shapes --------------------------------------------------


def subscription_obj(
    sub_id: str,
    *,
    brand: str,
    customer: str,
    status: str,
    price_id: str = "price_world",
    period_start: int,
    period_end: int,
    metadata: dict[str, str] | None = None,
) -> dict[str, Any]:
    return {
        "id": sub_id,
        "object": "subscription",
        "customer": customer,
        "status": status,
        "billing_mode": {"type": "flexible"},
        "cancel_at_period_end": False,
        "cancel_at": None,
        "canceled_at": None,
        "ended_at": None,
        "trial_end": None,
        "metadata": {"brand": brand, **(metadata or {})},
        "items": {
            "object": "list",
            "data": [
                {
                    "id": f"si_{sub_id}",
                    "object": "subscription_item",
                    "current_period_start": period_start,
                    "current_period_end": period_end,
                    "price": {"id": price_id, "object": "price", "metadata": {}, "currency": "mad"},
                }
            ],
        },
    }


def invoice_obj(
    invoice_id: str,
    *,
    brand: str,
    subscription: str,
    customer: str,
    status: str,
    amount: int,
    currency: str,
    period_start: int,
    period_end: int,
    attempt_count: int = 1,
    payment_intent: str = "",
) -> dict[str, Any]:
    paid = status == "paid"
    return {
        "id": invoice_id,
        "object": "invoice",
        "customer": customer,
        "status": status,
        "currency": currency.lower(),
        "amount_due": amount,
        "amount_paid": amount if paid else 0,
        "amount_remaining": 0 if paid else amount,
        "attempt_count": attempt_count,
        "billing_reason": "subscription_cycle",
        "customer_email": "payer@example.com",
        "customer_name": "Payer",
        "status_transitions": {"paid_at": period_start if paid else None},
        "parent": {
            "type": "subscription_details",
            "subscription_details": {"subscription": subscription, "metadata": {"brand": brand}},
        },
        "payments": {
            "object": "list",
            "data": (
                [
                    {
                        "payment": {
                            "type": "payment_intent",
                            "payment_intent": payment_intent or f"pi_{invoice_id}",
                        }
                    }
                ]
                if paid
                else []
            ),
        },
        "lines": {
            "object": "list",
            "data": [{"id": f"il_{invoice_id}", "period": {"start": period_start, "end": period_end}}],
        },
    }
