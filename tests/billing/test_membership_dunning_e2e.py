"""End to end on the Stripe fake's test clock: a referred member's renewal is declined (a 0341
card) and retried by Stripe; that period earns the referrer nothing. The member fixes the card, the
next period is charged and paid: the referrer earns for it, once. Webhooks arrive shuffled and
partly duplicated; the platform's clock follows the fake's."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django_tenants.utils import tenant_context

from accounts.models import Role
from affiliation.models import Commission
from billing.models import Membership, SubscriptionStatus
from billing.services.memberships import membership_join, membership_plan_create
from ledger.selectors import ledger_differences
from notifications.models import Notification
from payments.models import Payment, StripeEvent
from tests.billing.conftest import PlatformClock, StripeEvents, switch_card
from tests.conftest import make_user
from tests.engine import make_affiliate, make_click, make_program
from tests.stripe_fixtures import RENEWAL_DELAY

pytestmark = pytest.mark.django_db

DAY = 86400
# A two-month retry window (as Stripe's Smart Retries may be set): the declined renewal is retried
# 20 and 40 days later, so the next period is charged while the previous one is still unpaid.
RETRY_DAYS = [20, 20]


@pytest.fixture
def long_dunning_fake(stripe_on: Any) -> Iterator[Any]:
    stripe_on.settings(dunning_retry_days=RETRY_DAYS, dunning_final_action="unpaid")
    try:
        yield stripe_on
    finally:
        stripe_on.settings(reset=True)


@pytest.mark.timeout(300)
def test_a_declined_period_earns_nothing_and_the_next_paid_period_earns_once(
    brand_a, long_dunning_fake, monkeypatch, django_capture_on_commit_callbacks
):
    fake = long_dunning_fake
    events = StripeEvents(fake)  # shuffled, some twice
    clock = PlatformClock(monkeypatch)

    def deliver() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            events.deliver()

    def advance_to(at: int) -> None:
        fake.advance_clock(seconds=at - fake.now(customer), customer=customer)
        clock.follow(fake, customer)
        deliver()

    with tenant_context(brand_a):
        program = make_program(recurring_mode="lifetime", cascade_rates=[])
        referrer = make_affiliate(brand_a, program)
        plan = membership_plan_create(
            actor=None,
            code="club-dunning",
            name="Club",
            price=Decimal("100"),
            currency="EUR",
            program=program,
        )
        member = make_user(brand_a, role=Role.CUSTOMER)
        joined = membership_join(
            member=member, plan=plan, provider="stripe", click_id=str(make_click(referrer).pk)
        )
    fake.complete_checkout(joined.checkout_url.rstrip("/").rsplit("/", 1)[-1])
    deliver()

    def earned() -> list[tuple[str, Decimal, bool]]:
        with tenant_context(brand_a):
            return [
                (c.conversion.order_id, c.amount, c.is_recurring)
                for c in Commission.objects.filter(beneficiary=referrer)
                .select_related("conversion")
                .order_by("pk")
            ]

    def membership() -> Membership:
        with tenant_context(brand_a):
            return Membership.objects.get(pk=joined.membership.pk)

    row = membership()
    customer, subscription_id = row.stripe_customer_id, row.stripe_subscription_id
    client = fake.client()
    first_invoice = client.v1.subscriptions.retrieve(subscription_id).latest_invoice
    assert earned() == [(first_invoice, Decimal("20.0000"), False)]

    # Period 1: the card now declines; the renewal is drafted, charged an hour later, declined.
    switch_card(fake, subscription_id, customer, "4000000000000341")
    deliver()
    period_1 = int(row.current_period_end.timestamp())
    advance_to(period_1 + RENEWAL_DELAY)
    declined = client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(subscription_id).latest_invoice)
    assert (declined.status, declined.attempt_count) == ("open", 1)
    assert membership().status == SubscriptionStatus.PAST_DUE
    # Stripe's first retry, 20 days later: declined again.
    advance_to(declined.next_payment_attempt)
    assert client.v1.invoices.retrieve(declined.id).attempt_count == 2
    assert membership().status == SubscriptionStatus.PAST_DUE
    assert earned() == [(first_invoice, Decimal("20.0000"), False)]  # nothing for the unpaid period
    with tenant_context(brand_a):
        notices = list(Notification.objects.filter(user=member).values_list("kind", flat=True))
        assert not Payment.objects.filter(stripe_invoice_id=declined.id).exists()
    assert notices == ["subscription.payment_failed"] * 2  # one per declined attempt

    # The member fixes the card; period 2 is charged when it starts (period 1 still open, in
    # Stripe's retry window): paid, the membership is active again, the referrer earns once.
    switch_card(fake, subscription_id, customer, "4242424242424242")
    deliver()
    period_2 = int(membership().current_period_end.timestamp())
    advance_to(period_2 + RENEWAL_DELAY)
    renewal = client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(subscription_id).latest_invoice)
    assert renewal.id != declined.id
    assert (renewal.status, client.v1.invoices.retrieve(declined.id).status) == ("paid", "open")
    assert period_2 + RENEWAL_DELAY < client.v1.invoices.retrieve(declined.id).next_payment_attempt
    row = membership()
    assert (row.status, row.payment_failed_at) == (SubscriptionStatus.ACTIVE, None)
    assert earned() == [
        (first_invoice, Decimal("20.0000"), False),
        (renewal.id, Decimal("20.0000"), True),
    ]

    # Every event again (duplicates, late): nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        for event in fake.events(types=["invoice.paid", "invoice.payment_failed"]):
            if event["data"]["object"].get("customer") == customer:
                assert events.post(event).status_code == 200
    assert len(earned()) == 2
    with tenant_context(brand_a):
        assert Payment.objects.filter(membership=row).count() == 2
        assert Notification.objects.filter(user=member, kind="subscription.payment_failed").count() == 2
        assert StripeEvent.objects.filter(processed_at__isnull=True).count() == 0
        assert ledger_differences() == []
    assert clock.now() == dt.datetime.fromtimestamp(fake.now(customer), tz=dt.UTC)
