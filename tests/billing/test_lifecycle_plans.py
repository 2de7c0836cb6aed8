"""A merchant's plan when its payments fail: told (in the app and by email, with the Billing page
that opens Stripe's portal), the grace period keeps the quotas, then the Free plan with the extra
products paused (not deleted), and everything back when the payment goes through. Events come as
Stripe sends them: late, shuffled, duplicated, in another API version, for another brand."""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import random
from decimal import Decimal
from typing import Any

import pytest
import stripe
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db.models import F
from django.test import override_settings
from django_tenants.utils import tenant_context

from accounts.models import Role
from billing.models import MerchantSubscription, SubscriptionStatus
from billing.services.lifecycle import plan_grace_expire
from billing.services.plans import merchant_plan
from core.metrics import STRIPE_WEBHOOK_REREADS, STRIPE_WEBHOOK_VERSION_MISMATCHES
from marketplace.models import Product, ProductStatus
from marketplace.services.catalog import product_quota_error, product_status_set
from notifications.models import Notification
from notifications.tasks import notification_email_task
from payments.models import BillingSettings, Payment, StripeEvent
from tests.conftest import make_user
from tests.stripe_world import invoice_obj, subscription_obj

pytestmark = pytest.mark.django_db

DAY = 86400
_numbers = itertools.count(1)


@pytest.fixture
def emails(monkeypatch: Any) -> list[tuple[Any, ...]]:
    sent: list[tuple[Any, ...]] = []
    monkeypatch.setattr(
        notification_email_task, "apply_async", lambda args, **options: sent.append(tuple(args))
    )
    return sent


class Merchant:
    """A merchant on Starter (50 products) with ``products`` live deals, its subscription in a
    Stripe world whose clock started 30 days ago (every event is in the past, as Stripe's are)."""

    def __init__(self, brand: Any, plans: dict[str, Any], world: Any, *, products: int = 7) -> None:
        number = next(_numbers)
        self.brand, self.world = brand, world
        self.sub_id, self.customer = f"sub_life_{number}", f"cus_life_{number}"
        self.t0 = world.now - 30 * DAY
        self.user = make_user(brand, role=Role.MERCHANT)
        with tenant_context(brand):
            self.row = MerchantSubscription.objects.create(
                merchant=self.user,
                plan=plans["starter"],
                provider="stripe",
                status=SubscriptionStatus.ACTIVE,
                stripe_subscription_id=self.sub_id,
                stripe_customer_id=self.customer,
            )
            self.products = [
                Product.objects.create(
                    merchant=self.user,
                    title=f"Deal {number}-{index}",
                    slug=f"deal-life-{number}-{index}",
                    currency="MAD",
                    original_price=Decimal("100"),
                    price=Decimal("80"),
                    status=ProductStatus.ACTIVE,
                    published_at=dt.datetime.fromtimestamp(self.t0 + index, tz=dt.UTC),
                )
                for index in range(products)
            ]

    def sub(self, status: str, *, start_day: int = 0) -> dict[str, Any]:
        start = self.t0 + start_day * DAY
        return subscription_obj(
            self.sub_id,
            brand=self.brand.schema_name,
            customer=self.customer,
            status=status,
            period_start=start,
            period_end=start + 30 * DAY,
        )

    def invoice(self, invoice_id: str, status: str, *, attempt: int = 1) -> dict[str, Any]:
        return invoice_obj(
            invoice_id,
            brand=self.brand.schema_name,
            subscription=self.sub_id,
            customer=self.customer,
            status=status,
            amount=29900,
            currency="MAD",
            period_start=self.t0,
            period_end=self.t0 + 30 * DAY,
            attempt_count=attempt,
        )

    def state(self) -> dict[str, Any]:
        with tenant_context(self.brand):
            row = MerchantSubscription.objects.select_related("plan").get(pk=self.row.pk)
            return {
                "status": row.status,
                "failing": row.payment_failed_at is not None,
                "downgraded": row.downgraded_at is not None,
                "plan": merchant_plan(self.user).code,
                "live": Product.objects.filter(merchant=self.user, status=ProductStatus.ACTIVE).count(),
                "paused_by_downgrade": Product.objects.filter(
                    merchant=self.user, status=ProductStatus.PAUSED, paused_reason="plan_downgrade"
                ).count(),
                "payments": Payment.objects.filter(merchant_subscription=row).count(),
            }

    def grace_passes(self, days: int = 8) -> None:
        """Time passes: the failure began ``days`` ago."""
        with tenant_context(self.brand):
            MerchantSubscription.objects.filter(pk=self.row.pk).update(
                payment_failed_at=F("payment_failed_at") - dt.timedelta(days=days)
            )


def _kinds(brand: Any, user: Any) -> list[str]:
    with tenant_context(brand):
        return list(Notification.objects.filter(user=user).order_by("pk").values_list("kind", flat=True))


def test_failure_notifies_grace_keeps_quotas_unpaid_downgrades_and_payment_restores(
    brand_a, plans_a, stripe_world, emails, django_capture_on_commit_callbacks
):
    world = stripe_world
    merchant = Merchant(brand_a, plans_a, world)
    t0 = merchant.t0

    # Renewal declined: Stripe marks the subscription past_due and will retry.
    world.put(merchant.invoice("in_life_1", "open"))
    world.put(merchant.sub("past_due"))
    with django_capture_on_commit_callbacks(execute=True):
        world.deliver(
            world.event("invoice.payment_failed", merchant.invoice("in_life_1", "open"), at=t0 + 10),
            world.event("customer.subscription.updated", merchant.sub("past_due"), at=t0 + 10),
        )
    assert merchant.state() == {
        "status": "past_due",
        "failing": True,
        "downgraded": False,
        "plan": "starter",  # the grace period keeps the plan's quotas
        "live": 7,
        "paused_by_downgrade": 0,
        "payments": 0,
    }
    assert _kinds(brand_a, merchant.user) == ["subscription.payment_failed"]
    with tenant_context(brand_a):
        notice = Notification.objects.get(user=merchant.user)
        grace_until = MerchantSubscription.objects.get(pk=merchant.row.pk).payment_failed_at + dt.timedelta(
            days=7
        )
    assert notice.url == "/billing"  # where "Manage card" opens Stripe's customer portal
    assert "299.00 MAD" in notice.body
    assert grace_until.strftime("%Y-%m-%d") in notice.body
    assert [(args[0], args[1]) for args in emails] == [(merchant.user.pk, notice.title)]

    # Stripe's retries are over: unpaid. Still within the grace period: nothing changes yet.
    world.put(merchant.sub("unpaid"))
    with django_capture_on_commit_callbacks(execute=True):
        world.deliver(world.event("customer.subscription.updated", merchant.sub("unpaid"), at=t0 + 3 * DAY))
    assert merchant.state()["status"] == "unpaid"
    assert merchant.state()["plan"] == "starter"
    with tenant_context(brand_a), django_capture_on_commit_callbacks(execute=True):
        assert plan_grace_expire() == 0

    # The grace period runs out: the Free plan (5 products) applies; 2 products paused, not deleted.
    merchant.grace_passes()
    with tenant_context(brand_a), django_capture_on_commit_callbacks(execute=True):
        assert plan_grace_expire() == 1
        assert plan_grace_expire() == 0  # once
    assert merchant.state() == {
        "status": "unpaid",
        "failing": True,
        "downgraded": True,
        "plan": "free",
        "live": 5,
        "paused_by_downgrade": 2,
        "payments": 0,
    }
    with tenant_context(brand_a):
        assert Product.objects.filter(merchant=merchant.user).count() == 7
        paused = Product.objects.filter(merchant=merchant.user, paused_reason="plan_downgrade")
        # The oldest published stay live; the newest are paused.
        assert sorted(paused.values_list("pk", flat=True)) == [p.pk for p in merchant.products[5:]]
        with pytest.raises(ValidationError) as caught:
            product_status_set(actor=merchant.user, product=paused.first(), status=ProductStatus.ACTIVE)
        assert caught.value.error_dict["__all__"][0].code == "PLAN_PRODUCT_QUOTA_REACHED"
        assert product_quota_error(merchant.user) is not None
    assert _kinds(brand_a, merchant.user)[-1] == "merchant_plan.downgraded"

    # The merchant fixes the card; Stripe collects the open invoice: the plan and the products are back.
    world.put(merchant.invoice("in_life_1", "paid", attempt=5))
    world.put(merchant.sub("active", start_day=9))
    paid = world.event("invoice.paid", merchant.invoice("in_life_1", "paid", attempt=5), at=t0 + 9 * DAY)
    with django_capture_on_commit_callbacks(execute=True):
        world.deliver(
            paid,
            world.event(
                "customer.subscription.updated", merchant.sub("active", start_day=9), at=t0 + 9 * DAY
            ),
        )
    assert merchant.state() == {
        "status": "active",
        "failing": False,
        "downgraded": False,
        "plan": "starter",
        "live": 7,
        "paused_by_downgrade": 0,
        "payments": 1,
    }
    assert _kinds(brand_a, merchant.user)[-1] == "merchant_plan.restored"
    # The same invoice paid again (a duplicate, or the same fact in a new event): nothing more.
    assert world.deliver(paid) == ["duplicate"]
    world.deliver(
        world.event("invoice.paid", merchant.invoice("in_life_1", "paid", attempt=5), at=t0 + 9 * DAY)
    )
    assert merchant.state()["payments"] == 1


def test_a_subscription_canceled_by_dunning_keeps_the_grace_period_then_falls_to_free(
    brand_a, plans_a, stripe_world, django_capture_on_commit_callbacks
):
    world = stripe_world
    merchant = Merchant(brand_a, plans_a, world, products=6)
    world.put(merchant.invoice("in_cancel", "open"))
    canceled = merchant.sub("canceled")
    canceled["canceled_at"] = canceled["ended_at"] = merchant.t0 + 2 * DAY
    world.put(canceled)
    with django_capture_on_commit_callbacks(execute=True):
        world.deliver(
            world.event(
                "invoice.payment_failed", merchant.invoice("in_cancel", "open"), at=merchant.t0 + DAY
            ),
            world.event("customer.subscription.deleted", canceled, at=merchant.t0 + 2 * DAY),
        )
    assert (merchant.state()["status"], merchant.state()["plan"], merchant.state()["live"]) == (
        "canceled",
        "starter",
        6,
    )
    merchant.grace_passes()
    with tenant_context(brand_a), django_capture_on_commit_callbacks(execute=True):
        assert plan_grace_expire() == 1
    assert (merchant.state()["plan"], merchant.state()["live"], merchant.state()["paused_by_downgrade"]) == (
        "free",
        5,
        1,
    )


def test_a_cancellation_without_failed_payment_moves_to_free_at_once(
    brand_a, plans_a, stripe_world, django_capture_on_commit_callbacks
):
    world = stripe_world
    merchant = Merchant(brand_a, plans_a, world, products=6)
    canceled = merchant.sub("canceled")
    world.put(canceled)
    with django_capture_on_commit_callbacks(execute=True):
        world.deliver(world.event("customer.subscription.deleted", canceled, at=merchant.t0 + DAY))
    state = merchant.state()
    assert (state["plan"], state["downgraded"], state["live"], state["paused_by_downgrade"]) == (
        "free",
        True,
        5,
        1,
    )
    assert _kinds(brand_a, merchant.user) == ["merchant_plan.downgraded"]


def test_the_grace_period_is_a_brand_setting(
    brand_a, plans_a, stripe_world, django_capture_on_commit_callbacks
):
    world = stripe_world
    merchant = Merchant(brand_a, plans_a, world)
    with tenant_context(brand_a):
        row = BillingSettings.objects.first() or BillingSettings()
        row.plan_grace_days = 14
        row.save()
    world.put(merchant.sub("past_due"))
    world.put(merchant.invoice("in_setting", "open"))
    with django_capture_on_commit_callbacks(execute=True):
        world.deliver(
            world.event("invoice.payment_failed", merchant.invoice("in_setting", "open"), at=merchant.t0)
        )
    merchant.grace_passes(days=8)
    with tenant_context(brand_a), django_capture_on_commit_callbacks(execute=True):
        assert plan_grace_expire() == 0  # 8 of 14 days
    assert merchant.state()["plan"] == "starter"
    merchant.grace_passes(days=7)
    with tenant_context(brand_a), django_capture_on_commit_callbacks(execute=True):
        assert plan_grace_expire() == 1
    assert merchant.state()["plan"] == "free"


def _history(merchant: Merchant) -> list[dict[str, Any]]:
    """Failure, past_due, unpaid, then paid and active: Stripe's current state is the last."""
    world, t0 = merchant.world, merchant.t0
    invoice_id = f"in_{merchant.sub_id}"
    events = [
        world.event("invoice.payment_failed", merchant.invoice(invoice_id, "open"), at=t0 + DAY),
        world.event("customer.subscription.updated", merchant.sub("past_due"), at=t0 + DAY),
        world.event(
            "invoice.payment_failed", merchant.invoice(invoice_id, "open", attempt=2), at=t0 + 3 * DAY
        ),
        world.event("customer.subscription.updated", merchant.sub("unpaid"), at=t0 + 5 * DAY),
        world.event("invoice.paid", merchant.invoice(invoice_id, "paid", attempt=3), at=t0 + 6 * DAY),
        world.event("customer.subscription.updated", merchant.sub("active", start_day=6), at=t0 + 6 * DAY),
    ]
    world.put(merchant.invoice(invoice_id, "paid", attempt=3))
    world.put(merchant.sub("active", start_day=6))
    return events


def test_any_order_and_duplicates_of_the_events_reach_the_same_state(
    brand_a, plans_a, stripe_world, django_capture_on_commit_callbacks
):
    world = stripe_world
    expected = {
        "status": "active",
        "failing": False,
        "downgraded": False,
        "plan": "starter",
        "live": 7,
        "paused_by_downgrade": 0,
        "payments": 1,
    }
    ordered = Merchant(brand_a, plans_a, world)
    with django_capture_on_commit_callbacks(execute=True):
        world.deliver(*_history(ordered))
    assert ordered.state() == expected
    rng = random.Random(14)
    for _ in range(8):
        merchant = Merchant(brand_a, plans_a, world)
        events = _history(merchant)
        shuffled = events + rng.sample(events, 3)  # some delivered twice
        rng.shuffle(shuffled)
        with django_capture_on_commit_callbacks(execute=True):
            world.deliver(*shuffled)
        assert merchant.state() == expected, [event["type"] for event in shuffled]
    # Late and duplicated events were read again from Stripe rather than applied over newer state.
    assert STRIPE_WEBHOOK_REREADS.labels("customer.subscription.updated", "stale")._value.get() > 0
    call_command("ledger_reconcile", brand="alpha")


def test_ledger_reconciles_after_the_lifecycle(
    brand_a, plans_a, stripe_world, capsys, django_capture_on_commit_callbacks
):
    world = stripe_world
    merchant = Merchant(brand_a, plans_a, world)
    with django_capture_on_commit_callbacks(execute=True):
        world.deliver(*_history(merchant))
    capsys.readouterr()
    call_command("ledger_reconcile", brand="alpha")
    assert "alpha: 0 differences" in capsys.readouterr().out


def test_an_event_in_another_api_version_is_applied_from_the_object_read_again(
    brand_a, plans_a, stripe_world, caplog, django_capture_on_commit_callbacks
):
    world = stripe_world
    merchant = Merchant(brand_a, plans_a, world)
    world.put(merchant.invoice("in_old_version", "open"))
    # As 2024-06-20 rendered it: the subscription at the top level, no ``parent``.
    legacy = merchant.invoice("in_old_version", "open")
    legacy.pop("parent")
    legacy["subscription"] = merchant.sub_id
    legacy["subscription_details"] = {"metadata": {"brand": brand_a.schema_name}}
    counter = STRIPE_WEBHOOK_VERSION_MISMATCHES.labels("invoice.payment_failed", "2024-06-20", "reread")
    before = counter._value.get()
    caplog.set_level(logging.WARNING, logger="payments.webhooks")
    with django_capture_on_commit_callbacks(execute=True):
        world.deliver(world.event("invoice.payment_failed", legacy, at=merchant.t0, api_version="2024-06-20"))
    assert merchant.state()["status"] == "past_due"
    assert counter._value.get() == before + 1
    assert ("invoice", "in_old_version") in world.reads
    assert any(
        "2024-06-20" in record.getMessage() and stripe.api_version in record.getMessage()
        for record in caplog.records
    )


def test_an_event_in_another_version_that_cannot_be_read_again_is_refused_loudly(
    brand_a, plans_a, stripe_world, caplog, monkeypatch
):
    from payments import webhooks

    world = stripe_world
    merchant = Merchant(brand_a, plans_a, world)
    monkeypatch.delitem(webhooks._REREADERS, "invoice")
    counter = STRIPE_WEBHOOK_VERSION_MISMATCHES.labels(
        "invoice.payment_failed", "2099-01-01.future", "refused"
    )
    before = counter._value.get()
    caplog.set_level(logging.WARNING, logger="payments.webhooks")
    event = world.event(
        "invoice.payment_failed",
        merchant.invoice("in_refused", "open"),
        at=merchant.t0,
        api_version="2099-01-01.future",
    )
    response = world.post(event)
    assert response.status_code == 400  # Stripe retries it (for 3 days) and shows the endpoint failing
    assert counter._value.get() == before + 1
    assert any(
        record.levelno == logging.ERROR and "refused" in record.getMessage() for record in caplog.records
    )
    with tenant_context(brand_a):
        assert not StripeEvent.objects.filter(event_id=event["id"]).exists()
    assert merchant.state()["status"] == "active"


def test_an_unhandled_event_in_another_version_is_simply_acknowledged(brand_a, plans_a, stripe_world):
    world = stripe_world
    merchant = Merchant(brand_a, plans_a, world)
    customer = {"id": merchant.customer, "object": "customer", "metadata": {"brand": brand_a.schema_name}}
    assert world.deliver(
        world.event("customer.updated", customer, at=merchant.t0, api_version="2020-08-27")
    ) == ["applied"]


def test_an_event_for_brand_a_never_changes_brand_b(
    brand_a, brand_b, plans_a, stripe_world, django_capture_on_commit_callbacks
):
    world = stripe_world
    merchant = Merchant(brand_a, plans_a, world)
    with tenant_context(brand_b), override_settings(STRIPE_API_KEY=""):  # no Prices to sync
        from billing.demo import demo_merchant_plans_ensure

        plans_b = {plan.code: plan for plan in demo_merchant_plans_ensure()}
    twin = Merchant(brand_b, plans_b, world)
    with tenant_context(brand_b):  # a row of brand B naming the same Stripe subscription
        MerchantSubscription.objects.filter(pk=twin.row.pk).update(stripe_subscription_id=merchant.sub_id)
    world.put(merchant.sub("unpaid"))
    world.put(merchant.invoice("in_cross", "open"))
    with django_capture_on_commit_callbacks(execute=True):
        world.deliver(
            world.event("invoice.payment_failed", merchant.invoice("in_cross", "open"), at=merchant.t0),
            world.event("customer.subscription.updated", merchant.sub("unpaid"), at=merchant.t0),
        )
    assert merchant.state()["status"] == "unpaid"
    assert (twin.state()["status"], twin.state()["failing"]) == ("active", False)
    assert _kinds(brand_b, twin.user) == []
