"""Billing stays inside its brand: Stripe webhooks, plans and subscriptions, tasks."""

from __future__ import annotations

import time
from decimal import Decimal

import boto3
import pytest
from django.core import mail
from django_tenants.utils import tenant_context

from accounts.models import Role
from billing.demo import demo_merchant_plans_ensure
from billing.models import MerchantPlan, MerchantSubscription, SubscriptionStatus
from billing.services.plans import merchant_plan
from billing.services.subscriptions import plan_subscribe
from payments.models import Invoice, Payment, StripeEvent
from payments.stripe_client import stripe_route_record
from payments.webhooks import HANDLED_EVENTS
from tenants.models import StripeObjectRoute
from tests.billing.conftest import StripeEvents
from tests.conftest import make_user
from tests.stripe_fixtures import RENEWAL_DELAY


@pytest.fixture
def stripe_events(fake_stripe, settings) -> StripeEvents:  # type: ignore[no-untyped-def]
    settings.STRIPE_API_KEY = fake_stripe.api_key
    settings.STRIPE_API_BASE = fake_stripe.url
    settings.STRIPE_WEBHOOK_SECRET = fake_stripe.webhook_secret
    return StripeEvents(fake_stripe)


def _session_id(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def _subscribed(brand, merchant, plan, events) -> MerchantSubscription:  # type: ignore[no-untyped-def]
    with tenant_context(brand):
        started = plan_subscribe(merchant=merchant, plan=plan, provider="stripe")
    events.fake.complete_checkout(_session_id(started.checkout_url))
    events.deliver()
    with tenant_context(brand):
        return MerchantSubscription.objects.select_related("plan").get(merchant=merchant)


@pytest.mark.django_db
def test_a_webhook_about_brand_as_subscription_never_touches_brand_b(brand_a, brand_b, stripe_events):
    with tenant_context(brand_a):
        plans_a = {plan.code: plan for plan in demo_merchant_plans_ensure()}
    with tenant_context(brand_b):
        plans_b = {plan.code: plan for plan in demo_merchant_plans_ensure()}
    merchant_a = make_user(brand_a, role=Role.MERCHANT, email="same@example.com")
    merchant_b = make_user(brand_b, role=Role.MERCHANT, email="same@example.com")  # same id is likely too
    ours = _subscribed(brand_a, merchant_a, plans_a["starter"], stripe_events)
    theirs = _subscribed(brand_b, merchant_b, plans_b["pro"], stripe_events)
    with tenant_context(brand_b):
        b_events = StripeEvent.objects.count()
        b_state = MerchantSubscription.objects.values_list(
            "plan__code", "status", "cancel_at_period_end"
        ).get()

    # Every Stripe object routes to exactly one brand; a second claim is ignored.
    assert StripeObjectRoute.objects.get(stripe_id=ours.stripe_subscription_id).tenant == brand_a
    assert StripeObjectRoute.objects.get(stripe_id=theirs.stripe_subscription_id).tenant == brand_b
    with tenant_context(brand_b):
        stripe_route_record(ours.stripe_subscription_id, "subscription")
    assert StripeObjectRoute.objects.get(stripe_id=ours.stripe_subscription_id).tenant == brand_a

    # A's subscription changes in Stripe; even with brand B written in the event's metadata
    # (an object's route wins over its metadata), only A's row and A's event table move.
    stripe_events.fake.client().v1.subscriptions.update(
        ours.stripe_subscription_id, params={"cancel_at_period_end": True}
    )
    (event,) = stripe_events.new(types=("customer.subscription.updated",))
    event["data"]["object"]["metadata"]["brand"] = brand_b.schema_name
    assert stripe_events.post(event).json()["status"] == "applied"
    with tenant_context(brand_a):
        assert MerchantSubscription.objects.get(pk=ours.pk).cancel_at_period_end is True
        assert StripeEvent.objects.filter(event_id=event["id"]).exists()
    with tenant_context(brand_b):
        assert StripeEvent.objects.count() == b_events
        assert not StripeEvent.objects.filter(event_id=event["id"]).exists()
        assert (
            MerchantSubscription.objects.values_list("plan__code", "status", "cancel_at_period_end").get()
            == b_state
        )
        assert merchant_plan(merchant_b).code == "pro"


@pytest.mark.django_db
def test_brand_b_cannot_see_or_use_brand_as_plans_and_subscriptions(gql, brand_a, brand_b):
    with tenant_context(brand_a):
        demo_merchant_plans_ensure()
        MerchantPlan.objects.create(
            code="a-only", name="A only", price=Decimal("10"), currency="EUR", platform_fee_rate=Decimal("1")
        )
        merchant_a = make_user(brand_a, role=Role.MERCHANT)
        MerchantSubscription.objects.create(
            merchant=merchant_a,
            plan=MerchantPlan.objects.get(code="a-only"),
            status=SubscriptionStatus.ACTIVE,
            provider="stripe",
        )
    admin_b = make_user(brand_b, role=Role.BRAND_ADMIN)
    merchant_b = make_user(brand_b, role=Role.MERCHANT)
    as_admin_b = gql(brand_b, admin_b)
    plans = as_admin_b.data("query { merchantPlans(includeInactive: true) { code } }")["merchantPlans"]
    assert plans == []
    subscriptions = as_admin_b.data("query { subscriptions { totalCount edges { node { merchantEmail } } } }")
    assert subscriptions["subscriptions"] == {"totalCount": 0, "edges": []}
    update = as_admin_b.execute(
        'mutation { merchantPlanUpdate(code: "a-only", input: {productQuota: 1}) { plan { code } errors { code } } }'
    )
    assert update["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    subscribe = gql(brand_b, merchant_b).data(
        'mutation { planSubscribe(input: {planCode: "a-only", provider: STRIPE}) { checkoutUrl errors { code } } }'
    )
    assert subscribe["planSubscribe"] == {"checkoutUrl": None, "errors": [{"code": "NOT_FOUND"}]}
    with tenant_context(brand_a):
        assert MerchantPlan.objects.get(code="a-only").product_quota is None
    # A's merchant signed in on A means nothing on B's host.
    foreign = gql(brand_a, merchant_a)
    foreign.host = "beta.localhost"
    assert (
        foreign.execute("query { myPlan { plan { code } } }")["errors"][0]["extensions"]["code"]
        == "FORBIDDEN"
    )
    # The root domain has no plans.
    root = gql(brand_a)
    root.host = "localhost"
    assert root.execute("query { merchantPlans { code } }")["errors"][0]["extensions"]["code"] == "NOT_FOUND"


@pytest.mark.live
def test_the_invoice_task_of_a_webhook_runs_in_the_brand_of_the_subscription(
    live_brands, live_server_port, celery_worker_thread, fake_stripe, settings
):
    """Stripe delivers over the network to the live server's root domain; the invoice the
    webhook issues is rendered and emailed by a Celery task in the subscriber's brand."""
    settings.STRIPE_API_KEY = fake_stripe.api_key
    settings.STRIPE_API_BASE = fake_stripe.url
    settings.STRIPE_WEBHOOK_SECRET = fake_stripe.webhook_secret
    brand, other = live_brands
    s3 = boto3.client(
        "s3",
        endpoint_url=settings.AWS_S3_ENDPOINT_URL,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    endpoint = fake_stripe.add_webhook_endpoint(
        f"http://localhost:{live_server_port}/stripe/webhook/", enabled_events=list(HANDLED_EVENTS)
    )
    try:
        merchant = make_user(brand, role=Role.MERCHANT, email="shared@example.com")
        make_user(other, role=Role.MERCHANT, email="shared@example.com")
        with tenant_context(brand):
            plans = {plan.code: plan for plan in demo_merchant_plans_ensure()}
            started = plan_subscribe(merchant=merchant, plan=plans["starter"], provider="stripe")
        mail.outbox.clear()
        fake_stripe.complete_checkout(_session_id(started.checkout_url))
        with tenant_context(brand):
            subscription = MerchantSubscription.objects.get(merchant=merchant)
            assert subscription.status == SubscriptionStatus.TRIALING  # delivered by the fake itself
        fake_stripe.advance_clock(
            days=14, seconds=RENEWAL_DELAY + 1, customer=subscription.stripe_customer_id
        )
        deliveries = [d for d in fake_stripe.deliveries() if d["endpoint"] == endpoint["id"]]
        assert deliveries
        assert all(d["status"] == 200 for d in deliveries)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with tenant_context(brand):
                invoice = Invoice.objects.filter(payment__merchant_subscription=subscription).first()
                if invoice is not None and invoice.emailed_at is not None:
                    break
            time.sleep(0.1)
        with tenant_context(brand):
            invoice = Invoice.objects.get(payment__merchant_subscription=subscription)
            assert invoice.emailed_at is not None
        keys = [
            item["Key"] for item in s3.list_objects_v2(Bucket=settings.AWS_STORAGE_BUCKET_NAME)["Contents"]
        ]
        assert f"{brand.schema_name}/{invoice.pdf_key}" in keys
        assert not [key for key in keys if key.startswith(f"{other.schema_name}/")]
        with tenant_context(brand):
            assert Payment.objects.get(merchant_subscription=subscription).amount == Decimal("299")
        with tenant_context(other):
            assert not Invoice.objects.exists()
            assert not Payment.objects.exists()
            assert not StripeEvent.objects.exists()
        # Only this test's messages: tasks that other (committing) tests enqueued may reach the
        # shared live worker and its outbox meanwhile.
        mine = [message for message in mail.outbox if "shared@example.com" in message.to]
        assert len(mine) == 1
        assert brand.name in mine[0].subject or brand.name in mine[0].body
        assert other.name not in mine[0].subject
    finally:
        fake_stripe.remove_webhook_endpoint(endpoint["id"])
