"""Subscriptions, invoices and prorations through the real SDK, with webhooks verified on arrival."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest
import stripe

from stripe_fake.billing import add_interval, prorate
from tests.stripe_fake.conftest import JAN_31_2026
from tests.stripe_fixtures import CARD, FakeStripe, WebhookReceiver

HOUR = 3600
DAY = 86400


def one_month_after(timestamp: int) -> int:
    start = datetime.fromtimestamp(timestamp, tz=UTC)
    year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
    day = min(start.day, calendar.monthrange(year, month)[1])
    return int(start.replace(year=year, month=month, day=day).timestamp())


def half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def prices(client: stripe.StripeClient, tag: str) -> tuple[stripe.Price, stripe.Price]:
    starter = client.v1.prices.create(
        params={
            "currency": "eur",
            "unit_amount": 1900,
            "recurring": {"interval": "month"},
            "product_data": {"name": "Starter"},
            "lookup_key": f"starter-{tag}",
        }
    )
    pro = client.v1.prices.create(
        params={
            "currency": "eur",
            "unit_amount": 4900,
            "recurring": {"interval": "month"},
            "product_data": {"name": "Pro"},
            "lookup_key": f"pro-{tag}",
        }
    )
    return starter, pro


def test_trial_renewal_upgrade_and_cancel_at_period_end(
    fake_stripe: FakeStripe, stripe_webhook_receiver: WebhookReceiver
) -> None:
    client = fake_stripe.client()
    customer = client.v1.customers.create(
        params={**CARD, "email": "member@alpha.test", "metadata": {"brand": "alpha"}}
    )
    starter, pro = prices(client, customer.id)

    # Given a subscription with a 14-day trial
    subscription = client.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [{"price": starter.id}],
            "trial_period_days": 14,
            "metadata": {"brand": "alpha"},
        }
    )
    assert subscription.status == "trialing"
    trial_end = subscription.trial_end
    assert trial_end == subscription.start_date + 14 * DAY
    assert subscription["items"].data[0].current_period_end == trial_end
    assert "current_period_end" not in subscription  # on the items only since 2025-03-31.basil
    first = client.v1.invoices.retrieve(subscription.latest_invoice)
    assert (first.status, first.amount_due, first.billing_reason) == ("paid", 0, "subscription_create")
    assert first.parent.subscription_details.subscription == subscription.id
    assert first.parent.subscription_details.metadata.to_dict() == {"brand": "alpha"}
    assert "subscription" not in first  # removed in 2025-03-31.basil

    # When the clock passes the end of the trial
    fake_stripe.advance_clock(days=15, customer=customer.id)

    # Then it is active with a paid invoice for the first month
    subscription = client.v1.subscriptions.retrieve(subscription.id, params={"expand": ["latest_invoice"]})
    invoice = subscription.latest_invoice
    assert subscription.status == "active"
    assert (invoice.status, invoice.billing_reason, invoice.amount_paid, invoice.currency) == (
        "paid",
        "subscription_cycle",
        1900,
        "eur",
    )
    item = subscription["items"].data[0]
    period_start, period_end = item.current_period_start, item.current_period_end
    assert period_start == trial_end
    assert period_end == one_month_after(trial_end)
    received = stripe_webhook_receiver.events()
    assert [e.type for e in received if e.type.startswith("customer.subscription.")] == [
        "customer.subscription.created",
        "customer.subscription.trial_will_end",
        "customer.subscription.updated",
    ]
    updated = next(e for e in received if e.type == "customer.subscription.updated")
    assert updated.data.previous_attributes["status"] == "trialing"
    assert updated.data.object.status == "active"
    paid = [e for e in received if e.type == "invoice.paid" and e.data.object.id == invoice.id]
    assert len(paid) == 1
    assert paid[0].data.object.parent.subscription_details.metadata.to_dict() == {"brand": "alpha"}

    # When it is upgraded mid-period, billed at once
    fake_stripe.advance_clock(days=10, customer=customer.id)
    now = fake_stripe.now(customer.id)
    subscription = client.v1.subscriptions.update(
        subscription.id,
        params={
            "items": [{"id": item.id, "price": pro.id}],
            "proration_behavior": "always_invoice",
            "expand": ["latest_invoice"],
        },
    )

    # Then the invoice holds the credit for unused Starter time and the charge for remaining Pro time,
    # to the second
    remaining, total = Decimal(period_end - now), Decimal(period_end - period_start)
    credit = -half_up(1900 * remaining / total)
    debit = half_up(4900 * remaining / total)
    upgrade = subscription.latest_invoice
    lines = upgrade.lines.data
    assert [(line.amount, line.parent.subscription_item_details.proration) for line in lines] == [
        (credit, True),
        (debit, True),
    ]
    assert lines[0].pricing.price_details.price == starter.id
    assert lines[1].pricing.price_details.price == pro.id
    assert all((line.period.start, line.period.end) == (now, period_end) for line in lines)
    assert upgrade.billing_reason == "subscription_update"
    assert upgrade.total == upgrade.amount_paid == credit + debit
    assert upgrade.status == "paid"
    assert subscription["items"].data[0].price.id == pro.id
    assert subscription["items"].data[0].current_period_end == period_end

    # When it is cancelled at the period end
    subscription = client.v1.subscriptions.update(subscription.id, params={"cancel_at_period_end": True})
    assert (subscription.status, subscription.cancel_at_period_end, subscription.cancel_at) == (
        "active",
        True,
        period_end,
    )
    fake_stripe.advance_clock(seconds=period_end - now - 1, customer=customer.id)
    assert client.v1.subscriptions.retrieve(subscription.id).status == "active"
    fake_stripe.advance_clock(seconds=1, customer=customer.id)

    # Then it ends then, without a renewal invoice
    subscription = client.v1.subscriptions.retrieve(subscription.id)
    assert (subscription.status, subscription.ended_at) == ("canceled", period_end)
    deleted = [e for e in stripe_webhook_receiver.events() if e.type == "customer.subscription.deleted"]
    assert [(e.data.object.id, e.data.object.status, e.created) for e in deleted] == [
        (subscription.id, "canceled", period_end)
    ]
    invoices = client.v1.invoices.list(params={"subscription": subscription.id})
    assert [i.billing_reason for i in invoices.data] == [
        "subscription_update",
        "subscription_cycle",
        "subscription_create",
    ]
    assert stripe_webhook_receiver.rejected() == []
    assert client.v1.subscriptions.list(params={"customer": customer.id}).data == []
    assert len(client.v1.subscriptions.list(params={"customer": customer.id, "status": "all"}).data) == 1


def test_exact_prorations_month_end_anchor_and_pending_items(pinned_fake: FakeStripe) -> None:
    client = pinned_fake.client()
    customer = client.v1.customers.create(params={**CARD, "email": "jan31@example.com"})
    product = client.v1.products.create(params={"name": "Team"})
    small = client.v1.prices.create(
        params={
            "product": product.id,
            "currency": "eur",
            "unit_amount": 3000,
            "recurring": {"interval": "month"},
        }
    )
    large = client.v1.prices.create(
        params={
            "product": product.id,
            "currency": "eur",
            "unit_amount": 9000,
            "recurring": {"interval": "month"},
        }
    )
    feb_28, mar_31 = JAN_31_2026 + 28 * DAY, JAN_31_2026 + 59 * DAY

    # Subscribed on January 31: charged at once, the period ends on February 28
    subscription = client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": small.id}], "expand": ["latest_invoice"]}
    )
    assert subscription.status == "active"
    item = subscription["items"].data[0]
    assert (item.current_period_start, item.current_period_end) == (JAN_31_2026, feb_28)
    assert (subscription.latest_invoice.amount_paid, subscription.latest_invoice.number) == (
        3000,
        f"{customer.invoice_prefix}-0001",
    )

    # Upgraded on February 7, 21 of 28 days left
    pinned_fake.advance_clock(days=7)
    item_id = subscription["items"].data[0].id
    subscription = client.v1.subscriptions.update(
        subscription.id,
        params={
            "items": [{"id": item_id, "price": large.id}],
            "proration_behavior": "always_invoice",
            "expand": ["latest_invoice"],
        },
    )
    assert [line.amount for line in subscription.latest_invoice.lines.data] == [-2250, 6750]
    assert [line.description for line in subscription.latest_invoice.lines.data] == [
        "Unused time on Team after 7 Feb 2026",
        "Remaining time on Team after 7 Feb 2026",
    ]
    assert subscription.latest_invoice.amount_paid == 4500

    # Renewed on February 28 for a period that ends on March 31 (the anchor's day comes back)
    pinned_fake.advance_clock(days=21)
    draft = client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(subscription.id).latest_invoice)
    assert (draft.status, draft.automatically_finalizes_at) == ("draft", feb_28 + HOUR)
    pinned_fake.advance_clock(seconds=HOUR)  # finalized and charged an hour later, as Stripe does
    subscription = client.v1.subscriptions.retrieve(subscription.id, params={"expand": ["latest_invoice"]})
    item = subscription["items"].data[0]
    assert (item.current_period_start, item.current_period_end) == (feb_28, mar_31)
    assert subscription.latest_invoice.amount_paid == 9000
    assert (subscription.latest_invoice.period_start, subscription.latest_invoice.period_end) == (
        JAN_31_2026,
        feb_28,
    )

    # Two seats from March 10 (21 of 31 days left), prorations left for the next invoice
    pinned_fake.advance_clock(seconds=10 * DAY - HOUR)
    subscription = client.v1.subscriptions.update(
        subscription.id, params={"items": [{"id": item_id, "quantity": 2}]}
    )
    assert subscription.latest_invoice == client.v1.invoices.list(params={"customer": customer.id}).data[0].id
    pending = client.v1.invoice_items.list(params={"customer": customer.id, "pending": True}).data
    assert sorted(ii.amount for ii in pending) == [-6097, 12194]  # 9000 * 21/31 = 6096.77; 18000 * 21/31
    assert all(ii.proration for ii in pending)

    # billed with the renewal on March 31
    pinned_fake.advance_clock(days=21, seconds=HOUR)
    renewal = client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(subscription.id).latest_invoice)
    assert [
        (line.amount, line.parent.subscription_item_details.proration) for line in renewal.lines.data
    ] == [
        (-6097, True),
        (12194, True),
        (18000, False),
    ]
    assert renewal.lines.data[2].description == "2 \N{MULTIPLICATION SIGN} Team (at €90.00 / month)"
    assert renewal.amount_paid == 24097
    assert client.v1.invoice_items.list(params={"customer": customer.id, "pending": True}).data == []


def test_downgrade_billed_at_once_becomes_credit_for_the_next_invoice(pinned_fake: FakeStripe) -> None:
    client = pinned_fake.client()
    customer = client.v1.customers.create(params={**CARD, "email": "down@example.com"})
    big = client.v1.prices.create(
        params={
            "currency": "usd",
            "unit_amount": 2800,
            "recurring": {"interval": "month"},
            "product_data": {"name": "Big"},
        }
    )
    small = client.v1.prices.create(
        params={
            "currency": "usd",
            "unit_amount": 1400,
            "recurring": {"interval": "month"},
            "product_data": {"name": "Small"},
        }
    )
    subscription = client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": big.id}]}
    )
    pinned_fake.advance_clock(days=14)  # half of the 28-day February period left

    subscription = client.v1.subscriptions.update(
        subscription.id,
        params={
            "items": [{"id": subscription["items"].data[0].id, "price": small.id}],
            "proration_behavior": "always_invoice",
            "expand": ["latest_invoice"],
        },
    )

    credit_note = subscription.latest_invoice
    assert (credit_note.total, credit_note.amount_due, credit_note.status) == (-700, 0, "paid")
    assert client.v1.customers.retrieve(customer.id).balance == -700
    pinned_fake.advance_clock(days=14, seconds=HOUR)  # renewal invoices are finalized an hour later
    renewal = client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(subscription.id).latest_invoice)
    assert (renewal.total, renewal.starting_balance, renewal.amount_paid, renewal.ending_balance) == (
        1400,
        -700,
        700,
        0,
    )


def test_failed_renewal_goes_past_due_and_recovers_when_paid(
    fake_stripe: FakeStripe, stripe_webhook_receiver: WebhookReceiver
) -> None:
    client = fake_stripe.client()
    customer = client.v1.customers.create(params={**CARD, "email": "declined@example.com"})
    price = client.v1.prices.create(
        params={
            "currency": "eur",
            "unit_amount": 990,
            "recurring": {"interval": "month"},
            "product_data": {"name": "Basic"},
        }
    )
    subscription = client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price.id}]}
    )
    fake_stripe.fail_next_payment(customer.id, count=2, decline_code="insufficient_funds")
    stripe_webhook_receiver.clear()

    fake_stripe.advance_clock(days=32, customer=customer.id)

    subscription = client.v1.subscriptions.retrieve(subscription.id, params={"expand": ["latest_invoice"]})
    invoice = subscription.latest_invoice
    assert subscription.status == "past_due"
    assert (invoice.status, invoice.attempt_count, invoice.amount_remaining) == ("open", 1, 990)
    assert "invoice.payment_failed" in stripe_webhook_receiver.types()
    assert "invoice.paid" not in stripe_webhook_receiver.types()

    with pytest.raises(stripe.CardError) as declined:
        client.v1.invoices.pay(invoice.id)
    assert declined.value.code == "card_declined"
    assert declined.value.json_body["error"]["decline_code"] == "insufficient_funds"

    paid = client.v1.invoices.pay(invoice.id)
    assert (paid.status, paid.amount_paid, paid.attempt_count) == ("paid", 990, 3)
    assert client.v1.subscriptions.retrieve(subscription.id).status == "active"
    payments = client.v1.invoice_payments.list(params={"invoice": invoice.id}).data
    assert [(p.status, p.amount_paid) for p in payments] == [("paid", 990)]
    intent = client.v1.payment_intents.retrieve(payments[0].payment.payment_intent)
    assert (intent.status, intent.amount_received) == ("succeeded", 990)


def test_subscription_without_trial_is_created_incomplete_then_updated_active(
    fake_stripe: FakeStripe, stripe_webhook_receiver: WebhookReceiver
) -> None:
    client = fake_stripe.client()
    customer = client.v1.customers.create(params={**CARD, "email": "direct@example.com"})
    subscription = client.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [
                {
                    "price_data": {
                        "currency": "eur",
                        "unit_amount": 500,
                        "recurring": {"interval": "year"},
                        "product": client.v1.products.create(params={"name": "Yearly"}).id,
                    }
                }
            ],
        }
    )
    assert subscription.status == "active"
    item = subscription["items"].data[0]
    assert item.current_period_end == add_interval(item.current_period_start, "year", 1, 1)
    statuses = [
        (e.type, e.data.object.status)
        for e in stripe_webhook_receiver.events()
        if e.type.startswith("customer.subscription.")
    ]
    assert statuses == [
        ("customer.subscription.created", "incomplete"),
        ("customer.subscription.updated", "active"),
    ]


def test_period_arithmetic_and_rounding() -> None:
    jan_31 = JAN_31_2026
    assert add_interval(jan_31, "month", 1, 1) == jan_31 + 28 * DAY  # Feb 28
    assert add_interval(jan_31, "month", 1, 2) == jan_31 + 59 * DAY  # Mar 31
    assert add_interval(jan_31, "month", 3, 1) == jan_31 + 89 * DAY  # Apr 30
    assert add_interval(jan_31, "week", 2, 1) == jan_31 + 14 * DAY
    leap_day = int(datetime(2028, 2, 29, tzinfo=UTC).timestamp())
    assert (
        datetime.fromtimestamp(add_interval(leap_day, "year", 1, 1), tz=UTC).date().isoformat()
        == "2029-02-28"
    )
    assert prorate(1, 1, 2) == 1  # half up
    assert prorate(999, 1, 2) == 500
    assert prorate(1000, 20, 31) == 645
    assert prorate(3000, 40, 31) == 3000  # clamped to the period


def test_default_incomplete_waits_for_the_payment(fake_stripe: FakeStripe) -> None:
    client = fake_stripe.client()
    customer = client.v1.customers.create(params={**CARD, "email": "elements@example.com"})
    price = client.v1.prices.create(
        params={
            "currency": "eur",
            "unit_amount": 1500,
            "recurring": {"interval": "month"},
            "product_data": {"name": "Elements"},
        }
    )

    subscription = client.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [{"price": price.id}],
            "payment_behavior": "default_incomplete",
            "expand": ["latest_invoice.confirmation_secret"],
        }
    )

    invoice = subscription.latest_invoice
    assert (subscription.status, invoice.status, invoice.amount_remaining) == ("incomplete", "open", 1500)
    assert invoice.confirmation_secret.type == "payment_intent"
    intent_id = invoice.confirmation_secret.client_secret.split("_secret_")[0]
    assert client.v1.payment_intents.retrieve(intent_id).status == "requires_payment_method"

    assert client.v1.invoices.pay(invoice.id).status == "paid"
    assert client.v1.subscriptions.retrieve(subscription.id).status == "active"
    assert client.v1.payment_intents.retrieve(intent_id).status == "succeeded"


def test_amounts_the_fake_does_not_compute_are_refused(fake_stripe: FakeStripe) -> None:
    client = fake_stripe.client()
    customer = client.v1.customers.create(params={**CARD, "email": "coupon@example.com"})
    price = client.v1.prices.create(
        params={
            "currency": "eur",
            "unit_amount": 1500,
            "recurring": {"interval": "month"},
            "product_data": {"name": "Coupon"},
        }
    )

    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.subscriptions.create(
            params={
                "customer": customer.id,
                "items": [{"price": price.id}],
                "discounts": [{"coupon": "HALF"}],
            }
        )

    assert refused.value.param == "discounts"
    assert client.v1.subscriptions.list(params={"customer": customer.id, "status": "all"}).data == []
