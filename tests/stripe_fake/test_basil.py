"""No field that API version 2025-03-31.basil removed appears anywhere the fake answers or sends, and
every field of the objects basil changed is one the SDK of 2026-10-28.endive declares."""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from typing import Any

from stripe._object_classes import OBJECT_CLASSES

from stripe_fake.versions import BASIL_REMOVED
from tests.stripe_fixtures import FakeStripe, webhook_receiver

HOUR = 3600
# The object types basil reshaped, checked field by field against the SDK's declarations.
CHECKED = ("subscription", "subscription_item", "invoice", "line_item", "invoiceitem", "invoice_payment")


def _walk(node: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        if isinstance(node.get("object"), str):
            yield path, node
        for key, value in node.items():
            yield from _walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{path}[{index}]")


def _declared(object_name: str) -> set[str]:
    module, name = OBJECT_CLASSES[object_name]
    cls = getattr(importlib.import_module(module), name)
    fields: set[str] = set()
    for klass in cls.__mro__:
        fields |= set(getattr(klass, "__annotations__", {}))
    return fields | {"id", "object"}


def _scenario(fake: FakeStripe) -> list[Any]:
    """Everything the platform does with Stripe, plus failures: returns the raw answers."""
    client = fake.client()
    answers: list[Any] = []

    def get(path: str) -> Any:
        answer = fake._call("GET", path)
        answers.append(answer)
        return answer

    price = client.v1.prices.create(
        params={
            "currency": "eur",
            "unit_amount": 3000,
            "recurring": {"interval": "month"},
            "product_data": {"name": "P"},
        }
    )
    bigger = client.v1.prices.create(
        params={
            "currency": "eur",
            "unit_amount": 9000,
            "recurring": {"interval": "month"},
            "product_data": {"name": "Q"},
        }
    )
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "line_items": [{"price": price.id, "quantity": 1}],
            "subscription_data": {"trial_period_days": 3, "metadata": {"brand": "alpha"}},
            "success_url": "https://alpha.example.test/ok",
        }
    )
    completed = fake.complete_checkout(session.id, email="basil@example.com")
    subscription_id, customer = completed["subscription"], completed["customer"]
    fake.advance_clock(days=3, seconds=HOUR)
    item = get(f"/v1/subscriptions/{subscription_id}")["items"]["data"][0]
    client.v1.subscriptions.update(
        subscription_id,
        params={"items": [{"id": item["id"], "price": bigger.id}], "proration_behavior": "create_prorations"},
    )
    fake.fail_next_payment(customer, count=1)
    fake.advance_clock(days=31, seconds=HOUR)
    subscription = get(
        f"/v1/subscriptions/{subscription_id}?expand[]=latest_invoice&expand[]=items.data.price"
    )
    invoice = subscription["latest_invoice"]
    client.v1.invoices.pay(invoice["id"])
    get(f"/v1/invoices/{invoice['id']}?expand[]=payments")
    get(f"/v1/invoices/{invoice['id']}/lines")
    get(f"/v1/invoices?customer={customer}")
    get(f"/v1/invoices/search?query=subscription:'{subscription_id}'")
    get(f"/v1/subscriptions?customer={customer}&expand[]=data.latest_invoice")
    get(f"/v1/subscription_items?subscription={subscription_id}")
    get(f"/v1/invoiceitems?customer={customer}")
    get(f"/v1/invoice_payments?invoice={invoice['id']}")
    get(f"/v1/customers/{customer}/payment_methods")
    client.v1.billing_portal.sessions.create(params={"customer": customer})
    client.v1.subscriptions.cancel(subscription_id)
    order = client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "payment_method_types": ["card", "sepa_debit"],
            "line_items": [
                {
                    "price_data": {"currency": "eur", "unit_amount": 990, "product_data": {"name": "M"}},
                    "quantity": 2,
                }
            ],
            "success_url": "https://alpha.example.test/ok",
        }
    )
    fake.complete_checkout(order.id, payment_method_type="sepa_debit")
    fake.settle_checkout(order.id)
    get(f"/v1/checkout/sessions/{order.id}?expand[]=line_items")
    return answers


def test_no_basil_removed_field_in_any_answer_or_event(fake_stripe: FakeStripe) -> None:
    fake_stripe.reset()
    with webhook_receiver(fake_stripe) as receiver:
        answers = _scenario(fake_stripe)
        delivered = [json.loads(r.body) for r in receiver.received if r.event is not None]
    stored = fake_stripe.events()
    assert len(stored) > 40
    assert len(delivered) == len(stored)

    found = []
    checked: set[str] = set()
    for where, root in (("answer", answers), ("event", stored), ("delivered", delivered)):
        for path, obj in _walk(root):
            kind = obj["object"]
            for field in BASIL_REMOVED.get(kind, ()):
                if field in obj:
                    found.append(f"{where}{path}: {kind}.{field}")
            if kind in CHECKED:
                checked.add(kind)
                unknown = set(obj) - _declared(kind) - {"deleted"}
                found += [f"{where}{path}: {kind}.{f} (not in the endive SDK)" for f in sorted(unknown)]
    assert found == [], "\n".join(found)
    assert checked == set(CHECKED)


def test_the_removed_fields_are_those_of_the_changelog() -> None:
    # The SDK of endive declares none of them on these objects (it does on subscription items:
    # price, quantity and the periods live there now).
    for kind, fields in BASIL_REMOVED.items():
        if kind == "list":
            continue
        assert not fields & _declared(kind), kind
    assert {"current_period_start", "current_period_end", "price", "quantity"} <= _declared(
        "subscription_item"
    )
