"""The Stripe webhook endpoint: signatures, routing, exactly-once application, late events."""

from __future__ import annotations

import json
import logging
import threading
from decimal import Decimal

import pytest
from django.db import close_old_connections, connection
from django.test import Client
from django_tenants.utils import tenant_context

from accounts.models import Role
from billing.demo import demo_merchant_plans_ensure
from billing.models import MerchantSubscription, SubscriptionStatus
from billing.services.subscriptions import plan_subscribe
from ledger.models import AccountKind, LedgerAccount, LedgerTransaction
from payments.models import Payment, StripeEvent
from tests.billing.conftest import WEBHOOK_PATH, StripeEvents
from tests.conftest import make_user
from tests.stripe_fixtures import RENEWAL_DELAY

HOUR = 3600


def _session_id(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def _trialing(brand, merchant, plan, stripe_events) -> MerchantSubscription:  # type: ignore[no-untyped-def]
    with tenant_context(brand):
        started = plan_subscribe(merchant=merchant, plan=plan, provider="stripe")
    stripe_events.fake.complete_checkout(_session_id(started.checkout_url))
    stripe_events.deliver()
    with tenant_context(brand):
        return MerchantSubscription.objects.get(merchant=merchant)


def _events_count(brand) -> int:  # type: ignore[no-untyped-def]
    with tenant_context(brand):
        return StripeEvent.objects.count()


@pytest.mark.django_db
def test_a_bad_signature_is_rejected_logged_and_nothing_is_stored(brand_a, stripe_events, caplog):
    customer = stripe_events.fake.client().v1.customers.create(
        params={"metadata": {"brand": brand_a.schema_name}}
    )
    (event,) = stripe_events.new(types=("customer.created",))
    assert event["data"]["object"]["id"] == customer.id
    before = _events_count(brand_a)
    forged = stripe_events.fake.webhook_request(event, secret="whsec_not_the_platforms")
    stale = stripe_events.fake.webhook_request(event, timestamp=1_000_000_000)
    caplog.set_level(logging.WARNING, logger="payments.webhooks")
    for signature in (forged.headers["Stripe-Signature"], stale.headers["Stripe-Signature"], ""):
        response = stripe_events.post(event, signature=signature)
        assert response.status_code == 400
    tampered = json.loads(forged.body)
    tampered["data"]["object"]["metadata"]["brand"] = "beta"
    response = stripe_events.client.post(
        WEBHOOK_PATH,
        data=json.dumps(tampered),
        content_type="application/json",
        HTTP_HOST="localhost",
        HTTP_STRIPE_SIGNATURE=stripe_events.fake.webhook_request(event).headers["Stripe-Signature"],
    )
    assert response.status_code == 400
    reasons = [record.getMessage() for record in caplog.records if record.name == "payments.webhooks"]
    assert len(reasons) == 4
    assert all("bad signature" in reason for reason in reasons)
    assert "tolerance" in reasons[1].lower()
    assert _events_count(brand_a) == before
    assert stripe_events.post(event).status_code == 200  # the genuine one is accepted
    assert _events_count(brand_a) == before + 1


@pytest.mark.django_db
def test_an_event_no_brand_claims_is_acknowledged_and_logged_as_unrouted(
    brand_a, brand_b, stripe_events, caplog
):
    stripe_events.fake.client().v1.customers.create(params={"email": "someone@elsewhere.test"})
    (event,) = stripe_events.new(types=("customer.created",))
    counts = (_events_count(brand_a), _events_count(brand_b))
    caplog.set_level(logging.WARNING, logger="payments.webhooks")
    response = stripe_events.post(event)
    assert (response.status_code, response.json()) == (200, {"received": True, "status": "unrouted"})
    assert any(
        "unrouted" in record.getMessage() and event["id"] in record.getMessage() for record in caplog.records
    )
    assert (_events_count(brand_a), _events_count(brand_b)) == counts


@pytest.mark.django_db
def test_brand_hosts_do_not_serve_the_endpoint(brand_a, stripe_events):
    stripe_events.fake.client().v1.customers.create(params={"metadata": {"brand": brand_a.schema_name}})
    (event,) = stripe_events.new(types=("customer.created",))
    request = stripe_events.fake.webhook_request(event)
    response = Client().post(
        WEBHOOK_PATH,
        data=request.body,
        content_type="application/json",
        HTTP_HOST="alpha.localhost",
        HTTP_STRIPE_SIGNATURE=request.headers["Stripe-Signature"],
    )
    assert response.status_code == 404


@pytest.mark.django_db
def test_a_redelivered_event_is_acknowledged_and_applied_once(brand_a, plans_a, merchant_a, stripe_events):
    subscription = _trialing(brand_a, merchant_a, plans_a["starter"], stripe_events)
    stripe_events.fake.advance_clock(
        days=14, seconds=RENEWAL_DELAY + 1, customer=subscription.stripe_customer_id
    )
    events = stripe_events.deliver()
    (paid,) = [event for event in events if event["type"] == "invoice.paid"]
    with tenant_context(brand_a):
        payments = Payment.objects.filter(stripe_invoice_id=paid["data"]["object"]["id"])
        assert payments.count() == 1
        revenue_before = LedgerAccount.objects.get(kind=AccountKind.SUBSCRIPTION_REVENUE).balance
    for _ in range(2):
        response = stripe_events.post(paid)
        assert response.json() == {"received": True, "status": "duplicate"}
    with tenant_context(brand_a):
        assert payments.count() == 1
        assert StripeEvent.objects.filter(event_id=paid["id"]).count() == 1
        assert LedgerAccount.objects.get(kind=AccountKind.SUBSCRIPTION_REVENUE).balance == revenue_before
        stored = StripeEvent.objects.get(event_id=paid["id"])
        assert stored.outcome.startswith("payment PAY-")
        assert stored.processed_at is not None


@pytest.mark.django_db
def test_late_events_are_reconciled_with_the_subscriptions_current_state(
    brand_a, plans_a, merchant_a, stripe_events
):
    """Changes made in Stripe (the customer portal): cancel, then change of plan, then resume.
    The second arrives first and is applied; the first arrives late and is not applied over it:
    the subscription is fetched and the row takes Stripe's current state, which already includes
    the third change, not delivered yet."""
    subscription = _trialing(brand_a, merchant_a, plans_a["starter"], stripe_events)
    client = stripe_events.fake.client()
    customer, stripe_id = subscription.stripe_customer_id, subscription.stripe_subscription_id
    with tenant_context(brand_a):
        pro_price = plans_a["pro"].__class__.objects.get(code="pro").stripe_price_id or None
    if pro_price is None:
        from billing.services.stripe_sync import plan_price_sync

        with tenant_context(brand_a):
            pro_price = plan_price_sync(plans_a["pro"])
    stripe_events.new()
    changes = []
    for params in (
        {"cancel_at_period_end": True},
        {
            "items": [
                {"id": client.v1.subscriptions.retrieve(stripe_id)["items"].data[0].id, "price": pro_price}
            ]
        },
        {"cancel_at_period_end": False},
    ):
        stripe_events.fake.advance_clock(seconds=HOUR, customer=customer)
        client.v1.subscriptions.update(stripe_id, params=params)
        changes += stripe_events.new(types=("customer.subscription.updated",))
    first, second, third = changes
    assert first["created"] < second["created"] < third["created"]

    assert stripe_events.post(second).status_code == 200
    with tenant_context(brand_a):
        row = MerchantSubscription.objects.select_related("plan").get(pk=subscription.pk)
        assert (row.plan.code, row.cancel_at_period_end) == ("pro", True)
        assert StripeEvent.objects.get(event_id=second["id"]).outcome == "applied (trialing)"

    assert stripe_events.post(first).status_code == 200
    with tenant_context(brand_a):
        row = MerchantSubscription.objects.select_related("plan").get(pk=subscription.pk)
        assert (row.plan.code, row.cancel_at_period_end, row.status) == (
            "pro",
            False,
            SubscriptionStatus.TRIALING,
        )
        assert StripeEvent.objects.get(event_id=first["id"]).outcome.startswith("late event: reconciled")

    assert stripe_events.post(third).status_code == 200
    with tenant_context(brand_a):
        row = MerchantSubscription.objects.select_related("plan").get(pk=subscription.pk)
        assert (row.plan.code, row.cancel_at_period_end) == ("pro", False)


@pytest.mark.live
def test_concurrent_deliveries_of_one_invoice_pay_once(live_brands, fake_stripe, settings):
    """Stripe delivers the same invoice.paid twice at once (a retry racing the original): one
    payment, one invoice, one ledger posting."""
    settings.STRIPE_API_KEY = fake_stripe.api_key
    settings.STRIPE_API_BASE = fake_stripe.url
    settings.STRIPE_WEBHOOK_SECRET = fake_stripe.webhook_secret
    brand, _ = live_brands
    events = StripeEvents(fake_stripe)
    merchant = make_user(brand, role=Role.MERCHANT)
    with tenant_context(brand):
        plans = {plan.code: plan for plan in demo_merchant_plans_ensure()}
    subscription = _trialing(brand, merchant, plans["pro"], events)
    fake_stripe.advance_clock(days=14, seconds=RENEWAL_DELAY + 1, customer=subscription.stripe_customer_id)
    (paid,) = events.new(types=("invoice.paid",))
    request = fake_stripe.webhook_request(paid)
    barrier = threading.Barrier(8)
    statuses: list[str] = []
    lock = threading.Lock()

    def deliver() -> None:
        try:
            barrier.wait()
            response = Client().post(
                WEBHOOK_PATH,
                data=request.body,
                content_type="application/json",
                HTTP_HOST="localhost",
                HTTP_STRIPE_SIGNATURE=request.headers["Stripe-Signature"],
            )
            with lock:
                statuses.append(response.json()["status"])
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == ["applied"] + ["duplicate"] * 7
    invoice_id = paid["data"]["object"]["id"]
    with tenant_context(brand):
        payment = Payment.objects.get(stripe_invoice_id=invoice_id)
        assert payment.amount == Decimal("799")
        assert payment.invoice is not None
        assert (
            LedgerTransaction.objects.filter(idempotency_key=f"subscription-revenue:{invoice_id}").count()
            == 1
        )
        assert LedgerAccount.objects.get(kind=AccountKind.SUBSCRIPTION_REVENUE).balance == Decimal("799")
        assert StripeEvent.objects.filter(event_id=paid["id"]).count() == 1


@pytest.mark.django_db
def test_a_late_event_of_an_ended_subscription_does_not_take_the_place_of_the_new_one(
    brand_a, plans_a, merchant_a, stripe_events
):
    fake = stripe_events.fake
    with tenant_context(brand_a):
        started = plan_subscribe(merchant=merchant_a, plan=plans_a["starter"], provider="stripe")
    fake.complete_checkout(_session_id(started.checkout_url))
    old_events = stripe_events.deliver()
    (created,) = [event for event in old_events if event["type"] == "customer.subscription.created"]
    old_id = created["data"]["object"]["id"]
    fake.client().v1.subscriptions.cancel(old_id)
    stripe_events.deliver()
    with tenant_context(brand_a):
        assert MerchantSubscription.objects.get(merchant=merchant_a).status == SubscriptionStatus.CANCELED
        again = plan_subscribe(merchant=merchant_a, plan=plans_a["pro"], provider="stripe")
    # The old subscription's first event arrives once more, late (a redelivery): not linked.
    late = dict(created, id=created["id"] + "_late")
    assert stripe_events.post(late).json()["status"] == "applied"
    with tenant_context(brand_a):
        row = MerchantSubscription.objects.get(merchant=merchant_a)
        assert (row.stripe_subscription_id, row.status, row.plan.code) == (
            None,
            SubscriptionStatus.INCOMPLETE,
            "pro",
        )
        assert StripeEvent.objects.get(event_id=late["id"]).outcome.startswith("not a live subscription")
    session = fake.complete_checkout(_session_id(again.checkout_url))
    stripe_events.deliver()
    with tenant_context(brand_a):
        row = MerchantSubscription.objects.get(merchant=merchant_a)
        assert row.stripe_subscription_id == session["subscription"] != old_id
        assert (row.status, row.plan.code) == (SubscriptionStatus.ACTIVE, "pro")  # no second trial
