"""Stripe's wire format: authentication, errors, idempotency, form encoding, lists, expansion."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
import uuid

import pytest
import stripe

from tests.stripe_fixtures import CARD, FakeStripe


def raw(
    fake: FakeStripe,
    method: str,
    path: str,
    body: str | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], dict]:
    request = urllib.request.Request(
        fake.url + path,
        data=body.encode() if body is not None else None,
        headers={"Content-Type": "application/x-www-form-urlencoded", **(headers or {})},
        method=method,
    )
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def auth(fake: FakeStripe) -> dict[str, str]:
    return {"Authorization": f"Bearer {fake.api_key}"}


def test_a_key_is_required(fake_stripe: FakeStripe) -> None:
    status, _, body = raw(fake_stripe, "GET", "/v1/customers")
    assert status == 401
    assert body["error"]["type"] == "invalid_request_error"
    assert body["error"]["message"].startswith("You did not provide an API key.")

    with pytest.raises(stripe.AuthenticationError) as refused:
        stripe.StripeClient(
            "sk_live_0123456789abcdef", base_addresses={"api": fake_stripe.url}
        ).v1.customers.list()
    assert refused.value.http_status == 401
    assert refused.value.json_body["error"]["type"] == "invalid_request_error"
    assert refused.value.json_body["error"]["message"] == "Invalid API Key provided: sk_live_****cdef"

    status, _, _ = raw(
        fake_stripe, "GET", "/v1/customers", headers={"Authorization": "Basic c2tfdGVzdF94Og=="}
    )
    assert status == 200  # sk_test_x: as HTTP basic user, like curl -u


def test_unknown_ids_answer_resource_missing(fake_stripe: FakeStripe) -> None:
    client = fake_stripe.client()
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.subscriptions.retrieve("sub_doesnotexist")
    assert missing.value.http_status == 404
    assert missing.value.code == "resource_missing"
    assert missing.value.param == "id"
    assert missing.value.json_body["error"]["message"] == "No such subscription: 'sub_doesnotexist'"

    customer = client.v1.customers.create()
    with pytest.raises(stripe.InvalidRequestError) as missing_price:
        client.v1.subscriptions.create(params={"customer": customer.id, "items": [{"price": "price_nope"}]})
    assert (missing_price.value.http_status, missing_price.value.param) == (404, "items[0][price]")

    status, _, body = raw(fake_stripe, "GET", "/v1/nothing_here", headers=auth(fake_stripe))
    assert status == 404
    assert body["error"]["message"].startswith("Unrecognized request URL (GET: /v1/nothing_here)")


def test_missing_and_unknown_parameters_are_refused(fake_stripe: FakeStripe) -> None:
    client = fake_stripe.client()
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.prices.create(params={"unit_amount": 100, "product_data": {"name": "X"}})
    assert missing.value.http_status == 400
    assert (missing.value.code, missing.value.param) == ("parameter_missing", "currency")

    with pytest.raises(stripe.InvalidRequestError) as unknown:
        client.v1.customers.create(params={"emial": "typo@example.com"})
    assert (unknown.value.code, unknown.value.param) == ("parameter_unknown", "emial")

    with pytest.raises(stripe.InvalidRequestError) as mismatch:
        client.v1.checkout.sessions.create(
            params={
                "mode": "payment",
                "line_items": [
                    {
                        "price_data": {
                            "currency": "eur",
                            "unit_amount": 100,
                            "product_data": {"name": "R"},
                            "recurring": {"interval": "month"},
                        },
                        "quantity": 1,
                    }
                ],
            }
        )
    assert mismatch.value.param == "line_items[0][price]"


def test_the_same_idempotency_key_answers_the_same_response(fake_stripe: FakeStripe) -> None:
    client = fake_stripe.client()
    email = f"{uuid.uuid4().hex}@example.com"
    key = uuid.uuid4().hex

    first = client.v1.customers.create(params={"email": email}, options={"idempotency_key": key})
    second = client.v1.customers.create(params={"email": email}, options={"idempotency_key": key})

    assert first.id == second.id
    assert [c.id for c in client.v1.customers.list(params={"email": email}).data] == [first.id]
    status, headers, body = raw(
        fake_stripe, "POST", "/v1/customers", f"email={email}", {**auth(fake_stripe), "Idempotency-Key": key}
    )
    assert (status, body["id"], headers["Idempotent-Replayed"]) == (200, first.id, "true")

    with pytest.raises(stripe.IdempotencyError):
        client.v1.customers.create(params={"email": "other@example.com"}, options={"idempotency_key": key})


def test_racing_requests_with_one_idempotency_key_create_one_object(fake_stripe: FakeStripe) -> None:
    client = fake_stripe.client(max_network_retries=5)
    email = f"{uuid.uuid4().hex}@example.com"
    key = uuid.uuid4().hex
    ids: list[str] = []
    barrier = threading.Barrier(6)

    def create() -> None:
        barrier.wait()
        ids.append(client.v1.customers.create(params={"email": email}, options={"idempotency_key": key}).id)

    threads = [threading.Thread(target=create) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(ids) == 6
    assert len(set(ids)) == 1
    assert len(client.v1.customers.list(params={"email": email}).data) == 1


def test_form_encoding_brackets_and_version_header(fake_stripe: FakeStripe) -> None:
    body = (
        "email=form%40example.com&metadata[brand]=alpha&metadata[tenant]=alpha_schema"
        "&preferred_locales[0]=fr&preferred_locales[1]=en"
    )
    status, headers, customer = raw(
        fake_stripe,
        "POST",
        "/v1/customers",
        body,
        {**auth(fake_stripe), "Stripe-Version": "2025-03-31.basil"},
    )
    assert status == 200
    assert headers["Stripe-Version"] == "2025-03-31.basil"
    assert headers["Request-Id"].startswith("req_")
    assert customer["metadata"] == {"brand": "alpha", "tenant": "alpha_schema"}
    assert customer["preferred_locales"] == ["fr", "en"]
    assert (customer["object"], customer["livemode"]) == ("customer", False)

    # metadata[key]= (empty) deletes a key; expand[] as other clients write it
    status, _, updated = raw(
        fake_stripe, "POST", f"/v1/customers/{customer['id']}", "metadata[tenant]=", auth(fake_stripe)
    )
    assert updated["metadata"] == {"brand": "alpha"}


def test_lists_paginate_newest_first_and_filter(fake_stripe: FakeStripe) -> None:
    client = fake_stripe.client()
    email = f"{uuid.uuid4().hex}@example.com"
    created = [
        client.v1.customers.create(params={"email": email, "metadata": {"n": str(n)}}).id for n in range(12)
    ]

    page = client.v1.customers.list(params={"email": email, "limit": 5})
    assert [c.id for c in page.data] == created[::-1][:5]
    assert page.has_more
    assert [c.id for c in page.auto_paging_iter()] == created[::-1]
    now = fake_stripe.now()
    assert (
        len(client.v1.customers.list(params={"email": email, "created": {"gte": now}, "limit": 100}).data)
        == 12
    )
    assert client.v1.customers.list(params={"email": email, "created": {"gt": now}}).data == []
    found = client.v1.customers.search(params={"query": f"email:'{email}' AND metadata['n']:'3'"})
    assert [c.id for c in found.data] == [created[3]]


def test_prices_by_lookup_key_and_transfer(fake_stripe: FakeStripe) -> None:
    client = fake_stripe.client()
    lookup_key = f"plan-{uuid.uuid4().hex}"
    old = client.v1.prices.create(
        params={
            "currency": "mad",
            "unit_amount": 9900,
            "lookup_key": lookup_key,
            "recurring": {"interval": "year"},
            "product_data": {"name": "Annual"},
        }
    )
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.prices.create(
            params={"currency": "mad", "unit_amount": 100, "lookup_key": lookup_key, "product": old.product}
        )
    new = client.v1.prices.create(
        params={
            "currency": "MAD",
            "unit_amount": 8900,
            "lookup_key": lookup_key,
            "transfer_lookup_key": True,
            "product": old.product,
            "recurring": {"interval": "year"},
        }
    )

    found = client.v1.prices.list(params={"lookup_keys": [lookup_key], "expand": ["data.product"]}).data
    assert [(p.id, p.currency, p.unit_amount, p.recurring.interval) for p in found] == [
        (new.id, "mad", 8900, "year")
    ]
    assert found[0].product.name == "Annual"
    assert client.v1.prices.retrieve(old.id).lookup_key is None


def test_expand_follows_ids_at_any_depth(fake_stripe: FakeStripe) -> None:
    client = fake_stripe.client()
    customer = client.v1.customers.create(params={**CARD, "email": "expand@example.com"})
    price = client.v1.prices.create(
        params={
            "currency": "eur",
            "unit_amount": 100,
            "recurring": {"interval": "month"},
            "product_data": {"name": "Deep"},
        }
    )
    subscription = client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price.id}]}
    )

    expanded = client.v1.subscriptions.retrieve(
        subscription.id,
        params={
            "expand": ["customer", "latest_invoice.payments", "items.data.price.product"],
        },
    )

    assert expanded.customer.email == "expand@example.com"
    assert expanded["items"].data[0].price.product.name == "Deep"
    payment = expanded.latest_invoice.payments.data[0]
    assert (payment.status, payment.amount_paid) == ("paid", 100)
    assert "payments" not in client.v1.invoices.retrieve(expanded.latest_invoice.id).to_dict()
    listed = client.v1.subscriptions.list(params={"customer": customer.id, "expand": ["data.latest_invoice"]})
    assert listed.data[0].latest_invoice.amount_paid == 100
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.subscriptions.retrieve(subscription.id, params={"expand": ["no_such_field"]})


def test_deleting_a_customer_cancels_its_subscriptions(fake_stripe: FakeStripe) -> None:
    client = fake_stripe.client()
    customer = client.v1.customers.create(params={**CARD, "email": "gone@example.com"})
    price = client.v1.prices.create(
        params={
            "currency": "eur",
            "unit_amount": 100,
            "recurring": {"interval": "month"},
            "product_data": {"name": "G"},
        }
    )
    subscription = client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price.id}]}
    )

    deleted = client.v1.customers.delete(customer.id)

    assert deleted.deleted is True
    assert client.v1.customers.retrieve(customer.id).deleted is True
    assert client.v1.subscriptions.retrieve(subscription.id).status == "canceled"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.customers.update(customer.id, params={"name": "Ghost"})
