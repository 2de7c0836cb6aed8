"""Property: the platform ends in the same state whatever the order of Stripe's webhooks and however
many times each arrives. A merchant's plan (Checkout with a trial, the first charge, an upgrade, a
renewal declined then paid on Stripe's retry, cancellation at period end) is run with ordered
delivery, then again with shuffled, partly duplicated delivery under several seeds."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django_tenants.utils import tenant_context

from accounts.models import Role
from billing.models import MerchantSubscription
from billing.services.plans import merchant_plan
from billing.services.subscriptions import plan_cancel, plan_change, plan_subscribe
from ledger.models import AccountKind, LedgerAccount
from ledger.selectors import ledger_differences
from payments.models import Payment, StripeEvent
from tests.billing.conftest import StripeEvents
from tests.conftest import make_user
from tests.stripe_fixtures import RENEWAL_DELAY

pytestmark = pytest.mark.django_db

DAY = 86400
SEEDS = (1, 2, 3, 4)


def _revenue() -> Decimal:
    account = LedgerAccount.objects.filter(kind=AccountKind.SUBSCRIPTION_REVENUE, currency="MAD").first()
    return account.balance if account is not None else Decimal(0)


def _plan_lifecycle(brand: Any, plans: dict[str, Any], events: StripeEvents) -> dict[str, Any]:
    """One merchant through the plan's life; returns the platform state it ends in."""
    fake = events.fake
    merchant = make_user(brand, role=Role.MERCHANT)
    with tenant_context(brand):
        revenue_before = _revenue()
        started = plan_subscribe(merchant=merchant, plan=plans["starter"], provider="stripe")
    fake.complete_checkout(started.checkout_url.rstrip("/").rsplit("/", 1)[-1])
    events.deliver()
    with tenant_context(brand):
        subscription = MerchantSubscription.objects.get(merchant=merchant)
    customer = subscription.stripe_customer_id
    trace = [merchant_plan_code(brand, merchant)]

    fake.advance_clock(days=14, seconds=RENEWAL_DELAY + 1, customer=customer)  # trial ends, charged
    events.deliver()
    trace.append(merchant_plan_code(brand, merchant))
    fake.advance_clock(days=10, customer=customer)
    with tenant_context(brand):
        plan_change(merchant=merchant, plan=plans["pro"])  # upgrade billed at once
    events.deliver()
    trace.append(merchant_plan_code(brand, merchant))

    fake.fail_next_payment(customer, count=1)  # the renewal is declined, Stripe's retry succeeds
    with tenant_context(brand):
        end = MerchantSubscription.objects.get(pk=subscription.pk).current_period_end
    fake.advance_clock(seconds=int(end.timestamp()) - fake.now(customer) + RENEWAL_DELAY, customer=customer)
    events.deliver()
    with tenant_context(brand):
        trace.append(MerchantSubscription.objects.get(pk=subscription.pk).status)
    fake.advance_clock(days=3, customer=customer)
    events.deliver()
    with tenant_context(brand):
        trace.append(MerchantSubscription.objects.get(pk=subscription.pk).status)
        plan_cancel(merchant=merchant)
    events.deliver()
    fake.advance_clock(days=31, customer=customer)
    events.deliver()

    with tenant_context(brand):
        final = MerchantSubscription.objects.select_related("plan").get(pk=subscription.pk)
        payments = sorted(
            (str(p.amount), p.status, p.period_start.timestamp() if p.period_start else None)
            for p in Payment.objects.filter(merchant_subscription=final)
        )
        return {
            "trace": trace,
            "status": final.status,
            "plan": final.plan.code,
            "effective_plan": merchant_plan(merchant).code,
            "cancel_at_period_end": final.cancel_at_period_end,
            "period": (final.current_period_start.timestamp(), final.current_period_end.timestamp()),
            "payments": payments,
            "revenue": _revenue() - revenue_before,
            "unprocessed": StripeEvent.objects.filter(processed_at__isnull=True).count(),
        }


def merchant_plan_code(brand: Any, merchant: Any) -> str:
    with tenant_context(brand):
        return merchant_plan(merchant).code


@pytest.mark.timeout(600)
def test_shuffled_duplicated_delivery_ends_in_the_ordered_state(brand_a, plans_a, stripe_on):  # type: ignore[no-untyped-def]
    ordered = _plan_lifecycle(brand_a, plans_a, StripeEvents(stripe_on, ordered=True))
    assert ordered["trace"] == ["starter", "starter", "pro", "past_due", "active"]
    assert (ordered["status"], ordered["effective_plan"]) == ("canceled", "free")
    assert len(ordered["payments"]) == 3  # the first period, the upgrade, the renewal paid on retry
    assert ordered["unprocessed"] == 0

    for seed in SEEDS:
        events = StripeEvents(stripe_on, seed=seed, duplicate_rate=0.5)
        shuffled = _plan_lifecycle(brand_a, plans_a, events)
        assert shuffled == ordered, f"seed {seed}"
    with tenant_context(brand_a):
        assert ledger_differences() == []
