"""Merchant plans on Stripe Billing, against the fake Stripe API: Checkout with a trial, the first
paid period, an upgrade with proration, a downgrade credited on the next invoice, cancellation at
period end and the end of the subscription. Webhooks are signed by the fake and posted to the
platform's endpoint."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import tenant_context

from billing.models import MerchantSubscription, SubscriptionStatus
from billing.services.plans import merchant_plan
from billing.services.subscriptions import (
    billing_portal_url,
    plan_cancel,
    plan_change,
    plan_resume,
    plan_subscribe,
)
from graphql_schema.errors import user_errors
from ledger.models import AccountKind, LedgerAccount
from payments.models import Invoice, Payment, PaymentStatus, StripeEvent
from tenants.models import StripeObjectRoute
from tests.conftest import make_user
from tests.stripe_fixtures import RENEWAL_DELAY

pytestmark = pytest.mark.django_db

DAY = 86400


def _session_id(checkout_url: str) -> str:
    return checkout_url.rstrip("/").rsplit("/", 1)[-1]


def _prorated(unit_amount: int, remaining: int, total: int) -> int:
    return int((Decimal(unit_amount) * remaining / total).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _subscription(brand, merchant) -> MerchantSubscription:  # type: ignore[no-untyped-def]
    with tenant_context(brand):
        return MerchantSubscription.objects.select_related("plan").get(merchant=merchant)


def _subscribed(brand, merchant, plan, stripe_events) -> MerchantSubscription:  # type: ignore[no-untyped-def]
    with tenant_context(brand):
        result = plan_subscribe(merchant=merchant, plan=plan, provider="stripe")
    stripe_events.fake.complete_checkout(_session_id(result.checkout_url))
    stripe_events.deliver()
    return _subscription(brand, merchant)


def test_trial_then_paid_then_upgrade_with_proration_then_cancel_at_period_end(
    brand_a, plans_a, merchant_a, stripe_events
):
    fake = stripe_events.fake
    with tenant_context(brand_a):
        started = plan_subscribe(merchant=merchant_a, plan=plans_a["starter"], provider="stripe")
        assert started.checkout_url.startswith(fake.url)
        assert started.subscription.status == SubscriptionStatus.INCOMPLETE
        assert merchant_plan(merchant_a).code == "free"  # nothing until Checkout completes
    session = fake.complete_checkout(_session_id(started.checkout_url))
    delivered = stripe_events.deliver()
    assert {"customer.subscription.created", "checkout.session.completed"} <= {e["type"] for e in delivered}

    # The trial: 14 days, nothing charged, the plan's quota and fee from day one.
    subscription = _subscription(brand_a, merchant_a)
    customer = subscription.stripe_customer_id
    assert subscription.stripe_subscription_id == session["subscription"]
    assert subscription.status == SubscriptionStatus.TRIALING
    assert (subscription.trial_end - subscription.current_period_start).days == 14
    with tenant_context(brand_a):
        assert merchant_plan(merchant_a).code == "starter"
        assert not Payment.objects.filter(merchant_subscription=subscription).exists()  # 0 invoice
    routes = StripeObjectRoute.objects.filter(tenant=brand_a).values_list("stripe_id", flat=True)
    assert {customer, subscription.stripe_subscription_id, session["id"]} <= set(routes)

    # The trial ends: the first period is charged (299 MAD) and becomes a confirmed payment,
    # an invoice of the brand and subscription revenue in the ledger.
    fake.advance_clock(days=14, seconds=RENEWAL_DELAY + 1, customer=customer)
    stripe_events.deliver()
    subscription = _subscription(brand_a, merchant_a)
    assert subscription.status == SubscriptionStatus.ACTIVE
    with tenant_context(brand_a):
        first = Payment.objects.get(merchant_subscription=subscription)
        assert (first.provider, first.status, first.amount, first.currency) == (
            "stripe",
            PaymentStatus.CONFIRMED,
            Decimal("299"),
            "MAD",
        )
        assert first.period_start == subscription.current_period_start
        assert first.period_end == subscription.current_period_end
        assert Invoice.objects.filter(payment=first).exists()
        revenue = LedgerAccount.objects.get(kind=AccountKind.SUBSCRIPTION_REVENUE, currency="MAD")
        assert revenue.balance == Decimal("299")

    # Ten days into the period: upgrade to Pro, charged now for the rest of the period.
    fake.advance_clock(days=10, customer=customer)
    now = fake.now(customer)
    start = int(subscription.current_period_start.timestamp())
    end = int(subscription.current_period_end.timestamp())
    expected = _prorated(79900, end - now, end - start) - _prorated(29900, end - now, end - start)
    with tenant_context(brand_a):
        change = plan_change(merchant=merchant_a, plan=plans_a["pro"])
    assert change.is_upgrade
    assert change.amount_due_now == Decimal(expected) / 100
    assert change.subscription.plan.code == "pro"
    stripe_events.deliver()
    with tenant_context(brand_a):
        assert merchant_plan(merchant_a).code == "pro"
        proration = Payment.objects.exclude(pk=first.pk).get(merchant_subscription=subscription)
        assert proration.amount == Decimal(expected) / 100
        lines = fake.client().v1.invoices.retrieve(proration.stripe_invoice_id).lines.data
        assert sorted(line.amount for line in lines) == sorted(
            [-_prorated(29900, end - now, end - start), _prorated(79900, end - now, end - start)]
        )
        assert LedgerAccount.objects.get(kind=AccountKind.SUBSCRIPTION_REVENUE).balance == Decimal(299) + (
            Decimal(expected) / 100
        )

    # Cancel at period end: the plan stays until then; resuming and cancelling again is allowed.
    with tenant_context(brand_a):
        canceled = plan_cancel(merchant=merchant_a)
        assert canceled.cancel_at_period_end
        assert canceled.status == SubscriptionStatus.ACTIVE
        assert plan_resume(merchant=merchant_a).cancel_at_period_end is False
        plan_cancel(merchant=merchant_a)
        assert merchant_plan(merchant_a).code == "pro"
    stripe_events.deliver()
    assert _subscription(brand_a, merchant_a).cancel_at_period_end

    # The period ends: Stripe deletes the subscription, the merchant is back on Free.
    fake.advance_clock(days=31, customer=customer)
    delivered = stripe_events.deliver()
    assert "customer.subscription.deleted" in {event["type"] for event in delivered}
    subscription = _subscription(brand_a, merchant_a)
    assert subscription.status == SubscriptionStatus.CANCELED
    assert subscription.cancel_at_period_end is False
    with tenant_context(brand_a):
        assert merchant_plan(merchant_a).code == "free"
        assert Payment.objects.filter(merchant_subscription=subscription).count() == 2  # no renewal
        assert not StripeEvent.objects.filter(processed_at__isnull=True).exists()


def test_a_downgrade_is_credited_on_the_next_invoice(brand_a, plans_a, merchant_a, stripe_events):
    fake = stripe_events.fake
    with tenant_context(brand_a):
        merchant_a.full_name = "Trial used"
        MerchantSubscription.objects.create(
            merchant=merchant_a,
            plan=plans_a["pro"],
            status="canceled",
            provider="stripe",
            trial_end="2020-01-01T00:00:00Z",
        )
    subscription = _subscribed(brand_a, merchant_a, plans_a["pro"], stripe_events)
    assert subscription.status == SubscriptionStatus.ACTIVE  # no second trial: charged at once
    customer = subscription.stripe_customer_id
    fake.advance_clock(days=15, customer=customer)
    now = fake.now(customer)
    start = int(subscription.current_period_start.timestamp())
    end = int(subscription.current_period_end.timestamp())
    with tenant_context(brand_a):
        change = plan_change(merchant=merchant_a, plan=plans_a["starter"])
    assert not change.is_upgrade
    assert change.amount_due_now == 0
    credit = _prorated(79900, end - now, end - start) - _prorated(29900, end - now, end - start)
    assert change.next_invoice_credit == Decimal(credit) / 100
    stripe_events.deliver()
    with tenant_context(brand_a):
        assert merchant_plan(merchant_a).code == "starter"
        assert Payment.objects.filter(merchant_subscription=subscription).count() == 1
    # The renewal: 299 less the credit.
    fake.advance_clock(days=20, customer=customer)
    stripe_events.deliver()
    with tenant_context(brand_a):
        renewal = Payment.objects.filter(merchant_subscription=subscription).order_by("pk").last()
        assert renewal.amount == Decimal(29900 - credit) / 100


def test_plan_errors_are_user_errors_with_codes(brand_a, plans_a, merchant_a, stripe_events):
    with tenant_context(brand_a):
        for call in (
            lambda: plan_change(merchant=merchant_a, plan=plans_a["pro"]),
            lambda: plan_cancel(merchant=merchant_a),
            lambda: billing_portal_url(user=merchant_a),
        ):
            with pytest.raises(ValidationError) as caught:
                call()
            assert [e.code for e in user_errors(caught.value)] == ["NOT_SUBSCRIBED"]
        with pytest.raises(ValidationError) as caught:
            plan_subscribe(merchant=merchant_a, plan=plans_a["free"], provider="stripe")
        assert [e.code for e in user_errors(caught.value)] == ["ALREADY_ON_PLAN"]
    _subscribed(brand_a, merchant_a, plans_a["starter"], stripe_events)
    with tenant_context(brand_a):
        with pytest.raises(ValidationError) as caught:
            plan_subscribe(merchant=merchant_a, plan=plans_a["pro"], provider="stripe")
        assert [e.code for e in user_errors(caught.value)] == ["ALREADY_SUBSCRIBED"]
        with pytest.raises(ValidationError) as caught:
            plan_change(merchant=merchant_a, plan=plans_a["starter"])
        assert [e.code for e in user_errors(caught.value)] == ["ALREADY_ON_PLAN"]
        with pytest.raises(ValidationError) as caught:
            plan_resume(merchant=merchant_a)
        assert [e.code for e in user_errors(caught.value)] == ["NOT_CANCELED"]
        url = billing_portal_url(user=merchant_a)
    assert url.startswith(stripe_events.fake.url)


def test_a_new_price_is_a_new_stripe_price_and_current_subscribers_keep_theirs(
    brand_a, plans_a, merchant_a, stripe_events
):
    from billing.services.plans import merchant_plan_update

    subscription = _subscribed(brand_a, merchant_a, plans_a["starter"], stripe_events)
    client = stripe_events.fake.client()
    with tenant_context(brand_a):
        old_price = plans_a["starter"].__class__.objects.get(code="starter").stripe_price_id
        plan = merchant_plan_update(actor=None, plan=plans_a["starter"], price=Decimal("349"))
    assert plan.stripe_price_id
    assert plan.stripe_price_id != old_price
    new = client.v1.prices.retrieve(plan.stripe_price_id)
    old = client.v1.prices.retrieve(old_price)
    assert (new.unit_amount, new.currency, new.product) == (34900, "mad", old.product)
    assert new.metadata["brand"] == brand_a.schema_name
    assert new.metadata["plan_code"] == "starter"
    assert old.active is False
    current = client.v1.subscriptions.retrieve(subscription.stripe_subscription_id)
    assert current["items"].data[0].price.id == old_price


def test_the_demo_plans_get_their_stripe_prices_once(brand_b, stripe_events):
    from billing.demo import demo_merchant_plans_ensure
    from billing.models import MerchantPlan

    with tenant_context(brand_b):
        first = {plan.code: plan.stripe_price_id for plan in demo_merchant_plans_ensure()}
        again = {plan.code: plan.stripe_price_id for plan in demo_merchant_plans_ensure()}
        assert first == again
        assert first["free"] == ""
        assert all(first[code].startswith("price_") for code in ("starter", "pro", "enterprise"))
        price = stripe_events.fake.client().v1.prices.retrieve(first["enterprise"])
        assert (price.unit_amount, price.currency, price.recurring.interval) == (199900, "mad", "month")
        assert price.metadata["brand"] == brand_b.schema_name
        # A Price Stripe no longer has (a development fake restarted) is made again when needed.
        MerchantPlan.objects.filter(code="pro").update(stripe_price_id="price_gone")
        merchant = make_user(brand_b, role="merchant")
        started = plan_subscribe(
            merchant=merchant, plan=MerchantPlan.objects.get(code="pro"), provider="stripe"
        )
        assert started.checkout_url
        assert MerchantPlan.objects.get(code="pro").stripe_price_id not in ("price_gone", first["pro"])
