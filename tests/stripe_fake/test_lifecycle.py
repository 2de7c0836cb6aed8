"""Stripe's subscription lifecycle in the fake: test cards, renewals that stay draft an hour, dunning
on the clock ending unpaid or canceled, recovery, incomplete_expired, a trial without a card,
delayed Checkout payments, the Checkout and portal rules of endive."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from tests.stripe_fake.conftest import JAN_31_2026
from tests.stripe_fixtures import CARD, FakeStripe, webhook_receiver

HOUR = 3600
DAY = 86400


def _price(client: stripe.StripeClient, amount: int = 1000) -> Any:
    return client.v1.prices.create(
        params={
            "currency": "eur",
            "unit_amount": amount,
            "recurring": {"interval": "month"},
            "product_data": {"name": "Plan"},
        }
    )


def _subscribed(client: stripe.StripeClient, **customer: Any) -> tuple[Any, Any]:
    customer_obj = client.v1.customers.create(params={**CARD, "email": "dun@example.com", **customer})
    subscription = client.v1.subscriptions.create(
        params={"customer": customer_obj.id, "items": [{"price": _price(client).id}]}
    )
    return customer_obj, subscription


def _switch_card(client: stripe.StripeClient, customer: str, token: str) -> str:
    method = client.v1.payment_methods.attach(token, params={"customer": customer})
    client.v1.customers.update(customer, params={"invoice_settings": {"default_payment_method": method.id}})
    return str(method.id)


def test_test_cards_behave_as_stripes(pinned_fake: FakeStripe) -> None:
    client = pinned_fake.client()
    customer = client.v1.customers.create(params={"email": "cards@example.com"})

    good = client.v1.payment_methods.create(params={"type": "card", "card": {"number": "4242424242424242"}})
    assert (good.card.last4, good.customer) == ("4242", None)
    attached = client.v1.payment_methods.attach(good.id, params={"customer": customer.id})
    assert attached.customer == customer.id
    fails_later = client.v1.payment_methods.attach(
        "pm_card_chargeCustomerFail", params={"customer": customer.id}
    )
    assert fails_later.card.last4 == "0341"
    for number, decline_code in (
        ("4000000000009995", "insufficient_funds"),
        ("4000000000000002", "generic_decline"),
    ):
        method = client.v1.payment_methods.create(params={"type": "card", "card": {"number": number}})
        with pytest.raises(stripe.CardError) as refused:
            client.v1.payment_methods.attach(method.id, params={"customer": customer.id})
        assert refused.value.http_status == 402
        assert refused.value.code == "card_declined"
        assert refused.value.json_body["error"]["decline_code"] == decline_code
    listed = client.v1.customers.payment_methods.list(customer.id).data
    assert {m.card.last4 for m in listed} == {"4242", "0341"}
    with pytest.raises(stripe.InvalidRequestError) as not_attached:
        client.v1.customers.update(
            customer.id, params={"invoice_settings": {"default_payment_method": "pm_unknown"}}
        )
    assert "must be attached to the customer" in str(not_attached.value)

    # The 0341 card attaches, but a charge to it fails.
    client.v1.customers.update(
        customer.id, params={"invoice_settings": {"default_payment_method": fails_later.id}}
    )
    subscription = client.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [{"price": _price(client).id}],
            "expand": ["latest_invoice"],
        }
    )
    assert subscription.status == "incomplete"
    intent = client.v1.payment_intents.list(params={"customer": customer.id}).data[0]
    assert intent.last_payment_error.decline_code == "card_declined"
    assert intent.last_payment_error.payment_method.id == fails_later.id


def test_a_renewal_is_a_draft_for_an_hour_then_charged(pinned_fake: FakeStripe) -> None:
    client = pinned_fake.client()
    _customer, subscription = _subscribed(client)
    period_end = subscription["items"].data[0].current_period_end

    pinned_fake.advance_clock(seconds=period_end - JAN_31_2026)
    draft = client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(subscription.id).latest_invoice)
    assert (draft.status, draft.billing_reason, draft.automatically_finalizes_at) == (
        "draft",
        "subscription_cycle",
        period_end + HOUR,
    )
    assert draft.number is None

    pinned_fake.advance_clock(seconds=HOUR)
    paid = client.v1.invoices.retrieve(draft.id)
    assert (paid.status, paid.amount_paid, paid.status_transitions.finalized_at) == (
        "paid",
        1000,
        period_end + HOUR,
    )


@pytest.mark.parametrize("final_action", ["unpaid", "canceled"])
def test_dunning_retries_on_the_schedule_then_ends_per_the_setting(
    pinned_fake: FakeStripe, final_action: str
) -> None:
    client = pinned_fake.client()
    pinned_fake.settings(dunning_retry_days=[3, 5, 7], dunning_final_action=final_action)
    with webhook_receiver(pinned_fake) as receiver:
        customer, subscription = _subscribed(client)
        _switch_card(client, customer.id, "pm_card_chargeCustomerFail")
        period_end = subscription["items"].data[0].current_period_end
        receiver.clear()

        # Renewal charged an hour after the period ends, and declined: past_due, retry in 3 days.
        first_attempt = period_end + HOUR
        pinned_fake.advance_clock(seconds=first_attempt - JAN_31_2026)
        invoice = client.v1.invoices.retrieve(
            client.v1.subscriptions.retrieve(subscription.id).latest_invoice
        )
        assert client.v1.subscriptions.retrieve(subscription.id).status == "past_due"
        assert (invoice.status, invoice.attempt_count, invoice.next_payment_attempt) == (
            "open",
            1,
            first_attempt + 3 * DAY,
        )
        # Retries 3, 5 and 7 days after the previous attempt; none after the last.
        for count, next_days in ((2, 5), (3, 7), (4, None)):
            attempt_at = invoice.next_payment_attempt
            pinned_fake.advance_clock(seconds=attempt_at - pinned_fake.now())
            invoice = client.v1.invoices.retrieve(invoice.id)
            next_attempt = attempt_at + next_days * DAY if next_days else None
            assert (invoice.attempt_count, invoice.next_payment_attempt) == (count, next_attempt)
            if next_days:
                assert client.v1.subscriptions.retrieve(subscription.id).status == "past_due"

        ended = client.v1.subscriptions.retrieve(subscription.id)
        assert ended.status == final_action
        assert invoice.status == "open"
        failed = [e for e in receiver.events() if e.type == "invoice.payment_failed"]
        assert [e.data.object.attempt_count for e in failed] == [1, 2, 3, 4]
        if final_action == "canceled":
            deleted = [e for e in receiver.events() if e.type == "customer.subscription.deleted"]
            assert deleted[0].data.object.cancellation_details.reason == "payment_failed"
            return
        statuses = [
            e.data.object.status
            for e in receiver.events()
            if e.type == "customer.subscription.updated" and "status" in e.data.previous_attributes
        ]
        assert statuses == ["past_due", "unpaid"]

        # The customer fixes the card and pays: active again.
        new_card = _switch_card(client, customer.id, "pm_card_visa")
        paid = client.v1.invoices.pay(invoice.id, params={"payment_method": new_card})
        assert paid.status == "paid"
        assert client.v1.subscriptions.retrieve(subscription.id).status == "active"


def test_a_retry_that_succeeds_restores_the_subscription(pinned_fake: FakeStripe) -> None:
    client = pinned_fake.client()
    customer, subscription = _subscribed(client)
    pinned_fake.fail_next_payment(customer.id, count=1)
    period_end = subscription["items"].data[0].current_period_end

    pinned_fake.advance_clock(seconds=period_end + HOUR - JAN_31_2026)
    assert client.v1.subscriptions.retrieve(subscription.id).status == "past_due"
    pinned_fake.advance_clock(days=3)

    subscription = client.v1.subscriptions.retrieve(subscription.id, params={"expand": ["latest_invoice"]})
    assert subscription.status == "active"
    assert (subscription.latest_invoice.status, subscription.latest_invoice.attempt_count) == ("paid", 2)


def test_an_incomplete_subscription_expires_after_23_hours(pinned_fake: FakeStripe) -> None:
    client = pinned_fake.client()
    customer = client.v1.customers.create(params={"email": "nocard@example.com"})
    subscription = client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": _price(client).id}]}
    )
    assert subscription.status == "incomplete"

    pinned_fake.advance_clock(seconds=23 * HOUR - 1)
    assert client.v1.subscriptions.retrieve(subscription.id).status == "incomplete"
    pinned_fake.advance_clock(seconds=1)

    expired = client.v1.subscriptions.retrieve(subscription.id)
    assert (expired.status, expired.ended_at) == ("incomplete_expired", JAN_31_2026 + 23 * HOUR)
    assert client.v1.invoices.retrieve(expired.latest_invoice).status == "void"
    [updated] = [
        e
        for e in pinned_fake.events(types=["customer.subscription.updated"])
        if e["data"]["object"]["id"] == subscription.id
    ]
    assert updated["data"]["previous_attributes"]["status"] == "incomplete"


def test_a_trial_ending_without_a_payment_method_fails_the_invoice(pinned_fake: FakeStripe) -> None:
    client = pinned_fake.client()
    customer = client.v1.customers.create(params={"email": "trial@example.com"})
    subscription = client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": _price(client).id}], "trial_period_days": 7}
    )
    assert subscription.status == "trialing"

    pinned_fake.advance_clock(days=7, seconds=HOUR)

    subscription = client.v1.subscriptions.retrieve(subscription.id, params={"expand": ["latest_invoice"]})
    assert subscription.status == "past_due"
    assert (subscription.latest_invoice.status, subscription.latest_invoice.amount_paid) == ("open", 0)
    assert client.v1.charges.list(params={"customer": customer.id}).data == []
    with pytest.raises(stripe.InvalidRequestError) as no_method:
        client.v1.invoices.pay(subscription.latest_invoice.id)
    assert "no attached payment source or default payment method" in str(no_method.value)


def test_default_incomplete_without_a_payment_method_waits(pinned_fake: FakeStripe) -> None:
    client = pinned_fake.client()
    customer = client.v1.customers.create(params={"email": "wait@example.com"})
    subscription = client.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [{"price": _price(client).id}],
            "payment_behavior": "default_incomplete",
            "expand": ["latest_invoice"],
        }
    )
    assert subscription.status == "incomplete"
    assert subscription.latest_invoice.confirmation_secret.client_secret
    assert subscription.billing_mode.type == "flexible"


def _session(client: stripe.StripeClient, **extra: Any) -> Any:
    return client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "line_items": [
                {
                    "price_data": {"currency": "eur", "unit_amount": 2500, "product_data": {"name": "Mug"}},
                    "quantity": 1,
                }
            ],
            "success_url": "https://shop.example.test/ok",
            **extra,
        }
    )


@pytest.mark.parametrize("outcome", ["succeeded", "failed"])
def test_a_delayed_checkout_payment_settles_later(pinned_fake: FakeStripe, outcome: str) -> None:
    client = pinned_fake.client()
    session = _session(client, payment_method_types=["sepa_debit"])

    completed = pinned_fake.complete_checkout(session.id, async_outcome=outcome)

    assert (completed["status"], completed["payment_status"]) == ("complete", "unpaid")
    assert client.v1.payment_intents.retrieve(completed["payment_intent"]).status == "processing"
    types = [e["type"] for e in pinned_fake.events() if e["data"]["object"].get("id") == session.id]
    assert types == ["checkout.session.completed"]

    pinned_fake.advance_clock(days=3)

    session = client.v1.checkout.sessions.retrieve(session.id)
    types = [e["type"] for e in pinned_fake.events() if e["data"]["object"].get("id") == session.id]
    assert types == ["checkout.session.completed", f"checkout.session.async_payment_{outcome}"]
    intent = client.v1.payment_intents.retrieve(session.payment_intent)
    if outcome == "succeeded":
        assert (session.payment_status, intent.status, intent.amount_received) == ("paid", "succeeded", 2500)
    else:
        assert (session.payment_status, intent.status) == ("unpaid", "requires_payment_method")


def test_checkout_enforces_endives_ui_mode_and_the_expiry_window(pinned_fake: FakeStripe) -> None:
    client = pinned_fake.client()
    hosted = _session(client)
    assert (hosted.ui_mode, hosted.expires_at) == ("hosted_page", JAN_31_2026 + 24 * HOUR)
    embedded = _session(client, ui_mode="embedded_page", return_url="https://shop.example.test/back")
    assert (embedded.ui_mode, embedded.url) == ("embedded_page", None)
    assert embedded.client_secret
    with pytest.raises(stripe.InvalidRequestError) as old_value:
        _session(client, ui_mode="hosted")
    assert old_value.value.param == "ui_mode"
    for expires_at, words in (
        (JAN_31_2026 + 29 * 60, "at least 30 minutes"),
        (JAN_31_2026 + 25 * HOUR, "24 hours"),
    ):
        with pytest.raises(stripe.InvalidRequestError) as window:
            _session(client, expires_at=expires_at)
        assert (window.value.param, words in str(window.value)) == ("expires_at", True)
    assert _session(client, expires_at=JAN_31_2026 + 30 * 60).expires_at == JAN_31_2026 + 30 * 60


def test_the_portal_needs_a_default_configuration(pinned_fake: FakeStripe) -> None:
    client = pinned_fake.client()
    customer = client.v1.customers.create(params={"email": "portal@example.com"})
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.billing_portal.sessions.create(params={"customer": customer.id})
    assert "default configuration has not been created" in str(missing.value)

    configuration = client.v1.billing_portal.configurations.create(
        params={"features": {"invoice_history": {"enabled": True}}}
    )
    assert configuration.is_default is True
    session = client.v1.billing_portal.sessions.create(params={"customer": customer.id})
    assert session.configuration == configuration.id
    assert [c.id for c in client.v1.billing_portal.configurations.list(params={"is_default": True}).data] == [
        configuration.id
    ]


def test_settings_validate_and_reset(pinned_fake: FakeStripe) -> None:
    assert pinned_fake.settings()["dunning_retry_days"] == [3, 5, 7]
    assert pinned_fake.settings(dunning_retry_days=[1, 2])["dunning_retry_days"] == [1, 2]
    with pytest.raises(AssertionError, match="dunning_final_action"):
        pinned_fake.settings(dunning_final_action="deleted")
    assert pinned_fake.settings(reset=True)["dunning_retry_days"] == [3, 5, 7]
