"""Checkout sessions, the hosted pages, the customer portal, refunds."""

from __future__ import annotations

import urllib.error
import urllib.request
from urllib.parse import urlencode, urlsplit

import pytest
import stripe

from tests.stripe_fixtures import FakeStripe, WebhookReceiver


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def browser_post(url: str, form: dict[str, str] | None = None) -> tuple[int, str]:
    """POST a form like a browser would, without following the redirect: (status, Location)."""
    opener = urllib.request.build_opener(_NoRedirect)
    request = urllib.request.Request(url, data=urlencode(form or {}).encode(), method="POST")
    try:
        with opener.open(request) as response:
            return response.status, ""
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Location", "")


def browser_get(url: str) -> str:
    with urllib.request.urlopen(url) as response:
        return str(response.read().decode())


def subscription_session(client: stripe.StripeClient, **extra: object) -> stripe.checkout.Session:
    return client.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "line_items": [
                {
                    "price_data": {
                        "currency": "eur",
                        "unit_amount": 2900,
                        "product_data": {"name": "Pro plan"},
                        "recurring": {"interval": "month"},
                    },
                    "quantity": 1,
                }
            ],
            "success_url": "https://alpha.example.test/billing/done?session={CHECKOUT_SESSION_ID}",
            "cancel_url": "https://alpha.example.test/billing",
            "client_reference_id": "merchant-42",
            "metadata": {"brand": "alpha", "plan": "pro"},
            "subscription_data": {"metadata": {"brand": "alpha", "plan": "pro"}},
            **extra,
        }
    )


def test_completing_a_subscription_checkout_creates_the_subscription(
    fake_stripe: FakeStripe, stripe_webhook_receiver: WebhookReceiver
) -> None:
    client = fake_stripe.client()
    session = subscription_session(client, customer_email="buyer@alpha.test")
    assert (session.status, session.payment_status, session.amount_total, session.currency) == (
        "open",
        "unpaid",
        2900,
        "eur",
    )
    assert session.url == f"{fake_stripe.url}/checkout/{session.id}"
    assert session.id.startswith("cs_test_")

    completed = fake_stripe.complete_checkout(session.id)

    assert (completed["status"], completed["payment_status"]) == ("complete", "paid")
    session = client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["subscription", "line_items"]}
    )
    subscription = session.subscription
    assert subscription.status == "active"
    assert subscription.metadata.to_dict() == {"brand": "alpha", "plan": "pro"}
    assert subscription.customer == session.customer
    assert client.v1.customers.retrieve(session.customer).email == "buyer@alpha.test"
    assert [(i.description, i.quantity, i.amount_total) for i in session.line_items.data] == [
        ("Pro plan", 1, 2900)
    ]
    invoice = client.v1.invoices.retrieve(session.invoice)
    assert (invoice.status, invoice.amount_paid, invoice.billing_reason) == (
        "paid",
        2900,
        "subscription_create",
    )

    types = stripe_webhook_receiver.types()
    assert types[-1] == "checkout.session.completed"
    assert (
        types.index("customer.created")
        < types.index("customer.subscription.created")
        < types.index("invoice.paid")
    )
    done = stripe_webhook_receiver.events()[-1].data.object
    assert (done.id, done.subscription, done.client_reference_id, done.mode) == (
        session.id,
        subscription.id,
        "merchant-42",
        "subscription",
    )
    assert done.metadata.to_dict() == {"brand": "alpha", "plan": "pro"}
    assert done.customer_details.email == "buyer@alpha.test"

    with pytest.raises(stripe.InvalidRequestError):
        client.v1.checkout.sessions.expire(session.id)


def test_a_trial_checkout_needs_no_payment(fake_stripe: FakeStripe) -> None:
    client = fake_stripe.client()
    customer = client.v1.customers.create(params={"email": "trial@alpha.test"})
    session = subscription_session(
        client,
        customer=customer.id,
        subscription_data={"trial_period_days": 7, "metadata": {"brand": "alpha"}},
    )
    assert session.amount_total == 0

    completed = fake_stripe.complete_checkout(session.id)

    assert completed["payment_status"] == "no_payment_required"
    subscription = client.v1.subscriptions.retrieve(completed["subscription"])
    assert (subscription.status, subscription.customer) == ("trialing", customer.id)
    assert subscription.trial_end == subscription.trial_start + 7 * 86400


def test_the_hosted_page_pays_and_redirects_to_the_success_url(fake_stripe: FakeStripe) -> None:
    client = fake_stripe.client()
    session = subscription_session(client)
    page = browser_get(session.url)
    assert "id='pay'" in page
    assert "Pro plan" in page

    status, location = browser_post(
        f"{fake_stripe.url}/checkout/{session.id}/pay", {"email": "web@alpha.test"}
    )

    assert status == 303
    assert location == f"https://alpha.example.test/billing/done?session={session.id}"
    session = client.v1.checkout.sessions.retrieve(session.id)
    assert (session.status, session.customer_details.email) == ("complete", "web@alpha.test")
    assert "is complete" in browser_get(f"{fake_stripe.url}/checkout/{session.id}")


def test_payment_checkout_then_partial_and_full_refunds(
    fake_stripe: FakeStripe, stripe_webhook_receiver: WebhookReceiver
) -> None:
    client = fake_stripe.client()
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "line_items": [
                {
                    "price_data": {"currency": "mad", "unit_amount": 15000, "product_data": {"name": "Deal"}},
                    "quantity": 2,
                }
            ],
            "success_url": "https://beta.example.test/ok",
            "payment_intent_data": {"metadata": {"order": "o-1"}},
        }
    )
    completed = fake_stripe.complete_checkout(session.id, email="shopper@beta.test")
    assert completed["customer"] is None  # customer_creation=if_required
    intent = client.v1.payment_intents.retrieve(completed["payment_intent"])
    assert (intent.status, intent.amount, intent.currency) == ("succeeded", 30000, "mad")
    assert intent.metadata.to_dict() == {"order": "o-1"}

    refund = client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 10000})
    assert (refund.status, refund.amount, refund.charge) == ("succeeded", 10000, intent.latest_charge)
    refunded = [e for e in stripe_webhook_receiver.events() if e.type == "charge.refunded"]
    assert [(e.data.object.amount_refunded, e.data.object.refunded) for e in refunded] == [(10000, False)]
    assert refunded[0].data.previous_attributes.amount_refunded == 0

    with pytest.raises(stripe.InvalidRequestError) as too_much:
        client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 20001})
    assert too_much.value.param == "amount"
    client.v1.refunds.create(params={"payment_intent": intent.id})
    assert client.v1.charges.retrieve(intent.latest_charge).refunded is True
    assert [r.amount for r in client.v1.refunds.list(params={"payment_intent": intent.id}).data] == [
        20000,
        10000,
    ]


def test_an_open_session_can_expire(
    fake_stripe: FakeStripe, stripe_webhook_receiver: WebhookReceiver
) -> None:
    client = fake_stripe.client()
    session = subscription_session(client)

    expired = client.v1.checkout.sessions.expire(session.id)

    assert (expired.status, expired.url) == ("expired", None)
    assert stripe_webhook_receiver.types() == ["checkout.session.expired"]


def test_portal_session_cancels_at_period_end_and_returns(fake_stripe: FakeStripe) -> None:
    client = fake_stripe.client()
    completed = fake_stripe.complete_checkout(subscription_session(client).id)
    portal = client.v1.billing_portal.sessions.create(
        params={"customer": completed["customer"], "return_url": "https://alpha.example.test/account"}
    )
    assert portal.url == f"{fake_stripe.url}/portal/{portal.id}"
    assert urlsplit(portal.url).hostname == "127.0.0.1"
    subscription_id = completed["subscription"]
    page = browser_get(portal.url)
    assert f"id='cancel-{subscription_id}'" in page
    assert "https://alpha.example.test/account" in page

    status, location = browser_post(f"{portal.url}/subscriptions/{subscription_id}/cancel")

    assert (status, location) == (303, f"/portal/{portal.id}")
    subscription = client.v1.subscriptions.retrieve(subscription_id)
    assert subscription.cancel_at_period_end is True
    assert f"id='renew-{subscription_id}'" in browser_get(portal.url)
