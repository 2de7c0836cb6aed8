"""End to end on the Stripe fake's test clock: a merchant's card fails at renewal, Stripe retries on
its dunning schedule and gives up (``unpaid``), the grace period keeps the plan's quotas, the beat
job then moves the merchant to Free with the products above its quota paused (not deleted); the
merchant fixes the card and pays the open invoice: the plan and the products are back.

Nothing is hand-built: the invoices, retries and statuses are the fake's, and every webhook is
delivered as Stripe delivers it (shuffled, some twice). The platform's clock follows the fake's
(the customer's test clock), so the grace period runs in Stripe's time. Property: the run ends in
the same state under ordered delivery and under three delivery seeds."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from django_tenants.utils import tenant_context

from accounts.models import Role
from billing.models import MerchantSubscription
from billing.services.plans import merchant_plan
from billing.services.subscriptions import plan_subscribe
from billing.tasks import brand_plan_grace_expire_task
from ledger.selectors import ledger_differences
from marketplace.models import Product, ProductStatus
from notifications.models import Notification
from notifications.tasks import notification_email_task
from payments.models import Payment, StripeEvent
from tests.billing.conftest import PlatformClock, StripeEvents, switch_card
from tests.conftest import make_user
from tests.stripe_fixtures import RENEWAL_DELAY

pytestmark = pytest.mark.django_db

DAY = 86400
SEEDS = (1, 2, 3)
PRODUCTS = 7  # Starter allows 50, Free 5
# The fake's dunning for these tests: retried 1 then 2 days after the previous attempt, then
# ``unpaid`` (three attempts over three days, inside the brand's 7-day grace period).
RETRY_DAYS = [1, 2]


@pytest.fixture
def dunning_fake(stripe_on: Any) -> Iterator[Any]:
    stripe_on.settings(dunning_retry_days=RETRY_DAYS, dunning_final_action="unpaid")
    try:
        yield stripe_on
    finally:
        stripe_on.settings(reset=True)


@pytest.fixture
def emails(monkeypatch: Any) -> list[tuple[Any, ...]]:
    sent: list[tuple[Any, ...]] = []
    monkeypatch.setattr(
        notification_email_task, "apply_async", lambda args, **options: sent.append(tuple(args))
    )
    return sent


def _dunning_run(
    brand: Any,
    plans: dict[str, Any],
    events: StripeEvents,
    clock: PlatformClock,
    emails: list[tuple[Any, ...]],
    on_commit: Callable[..., Any],
) -> dict[str, Any]:
    """One merchant through failure, dunning, grace, downgrade and recovery; the state it ends in
    and what it looked like along the way."""
    fake = events.fake
    clock.reset()
    emails.clear()
    merchant = make_user(brand, role=Role.MERCHANT)

    def deliver() -> None:
        with on_commit(execute=True):
            events.deliver()

    def advance(seconds: int) -> None:
        fake.advance_clock(seconds=seconds, customer=customer)
        clock.follow(fake, customer)
        deliver()

    def beat() -> None:  # the hourly beat job, as it runs in this brand
        with tenant_context(brand), on_commit(execute=True):
            brand_plan_grace_expire_task()

    def look() -> dict[str, Any]:
        with tenant_context(brand):
            row = MerchantSubscription.objects.get(merchant=merchant)
            return {
                "status": row.status,
                "plan": merchant_plan(merchant).code,
                "live": Product.objects.filter(merchant=merchant, status=ProductStatus.ACTIVE).count(),
                "paused_by_downgrade": Product.objects.filter(
                    merchant=merchant, status=ProductStatus.PAUSED, paused_reason="plan_downgrade"
                ).count(),
                "products": Product.objects.filter(merchant=merchant).count(),
            }

    with tenant_context(brand):
        started = plan_subscribe(merchant=merchant, plan=plans["starter"], provider="stripe")
    fake.complete_checkout(started.checkout_url.rstrip("/").rsplit("/", 1)[-1])
    deliver()
    with tenant_context(brand):
        row = MerchantSubscription.objects.get(merchant=merchant)
    customer, subscription_id = row.stripe_customer_id, row.stripe_subscription_id
    advance(14 * DAY + RENEWAL_DELAY + 1)  # the trial ends, the first period is charged
    with tenant_context(brand):
        for index in range(PRODUCTS):
            Product.objects.create(
                merchant=merchant,
                title=f"Deal {merchant.pk}-{index}",
                slug=f"deal-dunning-{merchant.pk}-{index}",
                currency="MAD",
                original_price=Decimal("100"),
                price=Decimal("80"),
                status=ProductStatus.ACTIVE,
                published_at=clock.now() + dt.timedelta(seconds=index),
            )
        period_end = MerchantSubscription.objects.get(pk=row.pk).current_period_end
    trace: list[tuple[str, dict[str, Any]]] = [("paid", look())]

    # The merchant's card is replaced by one that attaches but whose charges fail.
    switch_card(fake, subscription_id, customer, "4000000000000341")
    deliver()
    # The period ends: Stripe drafts the renewal invoice, finalizes and charges it an hour later.
    advance(int(period_end.timestamp()) - fake.now(customer))
    client = fake.client()
    draft = client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(subscription_id).latest_invoice)
    trace.append((f"draft:{draft.status}", look()))
    advance(RENEWAL_DELAY)
    invoice = client.v1.invoices.retrieve(draft.id)
    trace.append((f"declined:{invoice.attempt_count}", look()))
    failed_at = clock.now()

    # Day by day through Stripe's retries, the end of dunning and the grace period; the beat
    # job runs each day.
    for day in range(1, 9):
        advance(int((failed_at + dt.timedelta(days=day)).timestamp()) - fake.now(customer))
        beat()
        trace.append((f"day {day}", look()))
    beat()  # again: nothing more
    invoice = client.v1.invoices.retrieve(draft.id)
    assert (invoice.status, invoice.attempt_count, invoice.next_payment_attempt) == ("open", 3, None)
    downgraded = look()

    # The merchant fixes the card (in the portal) and the open invoice is paid.
    good_card = switch_card(fake, subscription_id, customer, "4242424242424242")
    paid = client.v1.invoices.pay(invoice.id, params={"payment_method": good_card})
    assert paid.status == "paid"
    clock.follow(fake, customer)
    deliver()
    beat()
    restored = look()

    with tenant_context(brand):
        notices = list(Notification.objects.filter(user=merchant).order_by("pk").values_list("kind", "title"))
        final = MerchantSubscription.objects.get(pk=row.pk)
        payments = sorted(
            (p.amount, p.status, p.stripe_invoice_id == invoice.id)
            for p in Payment.objects.filter(merchant_subscription=final)
        )
        unprocessed = StripeEvent.objects.filter(processed_at__isnull=True).count()
        differences = ledger_differences()
    return {
        "trace": trace,
        "downgraded": downgraded,
        "restored": restored,
        "failing": final.payment_failed_at is not None,
        "downgraded_at": final.downgraded_at,
        "kinds": sorted(kind for kind, _title in notices),
        "emails": sorted(args[1] for args in emails if args[0] == merchant.pk),
        "email_titles": sorted(title for _kind, title in notices),
        "payments": payments,
        "unprocessed": unprocessed,
        "ledger_differences": differences,
    }


@pytest.mark.timeout(600)
def test_a_failing_card_through_dunning_grace_downgrade_and_recovery_on_the_test_clock(
    brand_a, plans_a, dunning_fake, monkeypatch, emails, django_capture_on_commit_callbacks
):
    clock = PlatformClock(monkeypatch)
    ordered = _dunning_run(
        brand_a,
        plans_a,
        StripeEvents(dunning_fake, ordered=True),
        clock,
        emails,
        django_capture_on_commit_callbacks,
    )
    starter = {"plan": "starter", "live": 7, "paused_by_downgrade": 0, "products": 7}
    free = {"plan": "free", "live": 5, "paused_by_downgrade": 2, "products": 7}
    assert ordered["trace"] == [
        ("paid", {"status": "active", **starter}),
        ("draft:draft", {"status": "active", **starter}),  # the draft hour changes nothing
        ("declined:1", {"status": "past_due", **starter}),
        # Retried one day later, then two more: Stripe gives up, unpaid. The grace period (7 days
        # from the first decline) keeps the plan's quotas meanwhile.
        ("day 1", {"status": "past_due", **starter}),
        ("day 2", {"status": "past_due", **starter}),
        ("day 3", {"status": "unpaid", **starter}),
        ("day 4", {"status": "unpaid", **starter}),
        ("day 5", {"status": "unpaid", **starter}),
        ("day 6", {"status": "unpaid", **starter}),
        # The grace period is over: Free, the two newest products paused, none deleted.
        ("day 7", {"status": "unpaid", **free}),
        ("day 8", {"status": "unpaid", **free}),
    ]
    assert ordered["downgraded"] == {"status": "unpaid", **free}
    assert ordered["restored"] == {"status": "active", **starter}
    assert (ordered["failing"], ordered["downgraded_at"]) == (False, None)
    # One notice per declined attempt (never one per delivery), the downgrade and the recovery
    # once each; each notice emailed once.
    assert ordered["kinds"] == [
        "merchant_plan.downgraded",
        "merchant_plan.restored",
        "subscription.payment_failed",
        "subscription.payment_failed",
        "subscription.payment_failed",
    ]
    assert (
        ordered["emails"]
        == ordered["email_titles"]
        == [
            "Your Starter plan is back",
            "Your Starter plan payment failed",
            "Your Starter plan payment failed",
            "Your Starter plan payment failed",
            "Your account moved to the Free plan",
        ]
    )
    # The first period and the recovered renewal: two payments, the renewal once.
    assert ordered["payments"] == [
        (Decimal("299"), "confirmed", False),
        (Decimal("299"), "confirmed", True),
    ]
    assert ordered["unprocessed"] == 0
    assert ordered["ledger_differences"] == []

    for seed in SEEDS:
        events = StripeEvents(dunning_fake, seed=seed, duplicate_rate=0.5)
        shuffled = _dunning_run(brand_a, plans_a, events, clock, emails, django_capture_on_commit_callbacks)
        assert shuffled == ordered, f"seed {seed}"


@pytest.mark.timeout(300)
def test_a_subscription_canceled_by_dunning_keeps_the_grace_period_then_falls_to_free(
    brand_a, plans_a, stripe_on, monkeypatch, django_capture_on_commit_callbacks
):
    """The account's setting is "cancel the subscription" when retries are exhausted: the
    cancellation by dunning keeps the rest of the grace period, then Free applies."""
    fake = stripe_on
    fake.settings(dunning_retry_days=RETRY_DAYS, dunning_final_action="canceled")
    events = StripeEvents(fake)  # shuffled, some twice
    clock = PlatformClock(monkeypatch)
    merchant = make_user(brand_a, role=Role.MERCHANT)

    def advance_to(at: dt.datetime) -> None:
        fake.advance_clock(seconds=int(at.timestamp()) - fake.now(customer), customer=customer)
        clock.follow(fake, customer)
        with django_capture_on_commit_callbacks(execute=True):
            events.deliver()
        with tenant_context(brand_a), django_capture_on_commit_callbacks(execute=True):
            brand_plan_grace_expire_task()

    def look() -> tuple[str, str, int, int]:
        with tenant_context(brand_a):
            row = MerchantSubscription.objects.get(merchant=merchant)
            products = Product.objects.filter(merchant=merchant)
            return (
                row.status,
                merchant_plan(merchant).code,
                products.filter(status=ProductStatus.ACTIVE).count(),
                products.count(),
            )

    try:
        with tenant_context(brand_a):
            started = plan_subscribe(merchant=merchant, plan=plans_a["starter"], provider="stripe")
        fake.complete_checkout(started.checkout_url.rstrip("/").rsplit("/", 1)[-1])
        with django_capture_on_commit_callbacks(execute=True):
            events.deliver()
        with tenant_context(brand_a):
            row = MerchantSubscription.objects.get(merchant=merchant)
            customer = row.stripe_customer_id
            for index in range(6):
                Product.objects.create(
                    merchant=merchant,
                    title=f"Deal {merchant.pk}-{index}",
                    slug=f"deal-dunning-cancel-{merchant.pk}-{index}",
                    currency="MAD",
                    original_price=Decimal("100"),
                    price=Decimal("80"),
                    status=ProductStatus.ACTIVE,
                )
        switch_card(fake, row.stripe_subscription_id, customer, "4000000000000341")
        # The trial ends: its invoice (drafted, charged an hour later) is declined, retried, then
        # the subscription is canceled by dunning three days after the first decline.
        assert row.trial_end is not None
        failed_at = row.trial_end + dt.timedelta(seconds=RENEWAL_DELAY)
        advance_to(failed_at)
        assert look() == ("past_due", "starter", 6, 6)
        advance_to(failed_at + dt.timedelta(days=3))
        assert look() == ("canceled", "starter", 6, 6)  # within the grace period
        advance_to(failed_at + dt.timedelta(days=6, hours=23))
        assert look() == ("canceled", "starter", 6, 6)
        advance_to(failed_at + dt.timedelta(days=7))
        assert look() == ("canceled", "free", 5, 6)  # one product paused, none deleted
        assert fake.client().v1.subscriptions.retrieve(row.stripe_subscription_id).status == "canceled"
        with tenant_context(brand_a):
            assert ledger_differences() == []
    finally:
        fake.settings(reset=True)
