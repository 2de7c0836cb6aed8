"""A referred member's renewal fails: the member is told, the lapsed period earns the referrer
nothing, and the next paid period pays the referrer again; the ledger reconciles."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.test import override_settings
from django_tenants.utils import tenant_context

from accounts.models import Role
from affiliation.models import Commission, Conversion
from billing.models import Membership, SubscriptionStatus
from billing.services.memberships import membership_plan_create
from notifications.models import Notification
from payments.models import Payment
from tests.conftest import make_user
from tests.engine import make_affiliate, make_click, make_program
from tests.stripe_world import invoice_obj, subscription_obj

pytestmark = pytest.mark.django_db

DAY = 86400
_numbers = itertools.count(1)


class Member:
    def __init__(self, brand: Any, world: Any) -> None:
        number = next(_numbers)
        self.brand, self.world = brand, world
        self.sub_id, self.customer = f"sub_member_{number}", f"cus_member_{number}"
        self.t0 = world.now - 65 * DAY
        with tenant_context(brand), override_settings(STRIPE_API_KEY=""):  # no Prices to sync
            self.program = make_program(recurring_mode="lifetime", cascade_rates=[])
            self.referrer = make_affiliate(brand, self.program)
            click = make_click(self.referrer, age=dt.timedelta(days=66))
            self.plan = membership_plan_create(
                actor=None,
                code=f"club-{number}",
                name="Club",
                price=Decimal("100"),
                currency="EUR",
                program=self.program,
            )
            self.user = make_user(brand, role=Role.CUSTOMER)
            self.row = Membership.objects.create(
                member=self.user,
                plan=self.plan,
                referrer=self.referrer,
                click_id=click.pk,
                provider="stripe",
                status=SubscriptionStatus.ACTIVE,
                stripe_subscription_id=self.sub_id,
                stripe_customer_id=self.customer,
            )

    def sub(self, status: str, month: int) -> dict[str, Any]:
        start = self.t0 + month * 30 * DAY
        return subscription_obj(
            self.sub_id,
            brand=self.brand.schema_name,
            customer=self.customer,
            status=status,
            period_start=start,
            period_end=start + 30 * DAY,
        )

    def invoice(self, month: int, status: str) -> dict[str, Any]:
        start = self.t0 + month * 30 * DAY
        return invoice_obj(
            f"in_{self.sub_id}_{month}",
            brand=self.brand.schema_name,
            subscription=self.sub_id,
            customer=self.customer,
            status=status,
            amount=10000,
            currency="EUR",
            period_start=start,
            period_end=start + 30 * DAY,
        )

    def earned(self) -> list[tuple[str, Decimal]]:
        with tenant_context(self.brand):
            return [
                (commission.conversion.order_id, commission.amount)
                for commission in Commission.objects.filter(beneficiary=self.referrer)
                .select_related("conversion")
                .order_by("pk")
            ]


def test_a_failed_renewal_earns_no_commission_and_the_next_paid_period_does(
    brand_a, stripe_world, capsys, django_capture_on_commit_callbacks
):
    world = stripe_world
    member = Member(brand_a, world)
    t0 = member.t0
    month = 30 * DAY
    # Month 0: paid, the referrer earns 20 %.
    world.put(member.invoice(0, "paid"))
    world.put(member.sub("active", 0))
    with django_capture_on_commit_callbacks(execute=True):
        world.deliver(world.event("invoice.paid", member.invoice(0, "paid"), at=t0))
    assert member.earned() == [(f"in_{member.sub_id}_0", Decimal("20.0000"))]

    # Month 1: declined, retried, given up (unpaid); the invoice is finally voided.
    world.put(member.invoice(1, "open"))
    world.put(member.sub("past_due", 1))
    with django_capture_on_commit_callbacks(execute=True):
        world.deliver(
            world.event("invoice.payment_failed", member.invoice(1, "open"), at=t0 + month),
            world.event("customer.subscription.updated", member.sub("past_due", 1), at=t0 + month),
        )
    with tenant_context(brand_a):
        membership = Membership.objects.get(pk=member.row.pk)
        assert membership.status == SubscriptionStatus.PAST_DUE
        (notice,) = Notification.objects.filter(user=member.user)
    assert notice.kind == "subscription.payment_failed"
    assert notice.title == "Your Club membership payment failed"
    assert "100.00 EUR" in notice.body
    world.put(member.sub("unpaid", 1))
    voided = member.invoice(1, "void")
    world.put(voided)
    with django_capture_on_commit_callbacks(execute=True):
        world.deliver(
            world.event("customer.subscription.updated", member.sub("unpaid", 1), at=t0 + month + 9 * DAY)
        )
        # A forged or confused "paid" snapshot of that invoice, older than what we hold: read again,
        # found void, it earns nothing.
        world.deliver(
            world.event("invoice.payment_failed", member.invoice(1, "open"), at=t0 + month + 8 * DAY)
        )
        world.deliver(world.event("invoice.paid", member.invoice(1, "paid"), at=t0 + month + 2 * DAY))
    assert member.earned() == [(f"in_{member.sub_id}_0", Decimal("20.0000"))]
    with tenant_context(brand_a):
        assert Membership.objects.get(pk=member.row.pk).status == SubscriptionStatus.UNPAID
        assert not Payment.objects.filter(stripe_invoice_id=f"in_{member.sub_id}_1").exists()

    # Month 2: the member updates the card; the new period is paid: the referrer earns again.
    world.put(member.invoice(2, "paid"))
    world.put(member.sub("active", 2))
    paid = world.event("invoice.paid", member.invoice(2, "paid"), at=t0 + 2 * month)
    with django_capture_on_commit_callbacks(execute=True):
        world.deliver(
            paid, world.event("customer.subscription.updated", member.sub("active", 2), at=t0 + 2 * month)
        )
        world.deliver(paid)  # duplicate
        world.deliver(
            world.event("invoice.paid", member.invoice(2, "paid"), at=t0 + 2 * month)
        )  # same invoice
    assert member.earned() == [
        (f"in_{member.sub_id}_0", Decimal("20.0000")),
        (f"in_{member.sub_id}_2", Decimal("20.0000")),
    ]
    with tenant_context(brand_a):
        membership = Membership.objects.get(pk=member.row.pk)
        assert (membership.status, membership.payment_failed_at) == (SubscriptionStatus.ACTIVE, None)
        assert Conversion.objects.filter(subscription_ref=member.sub_id).count() == 2
        assert {c.is_recurring for c in Commission.objects.filter(beneficiary=member.referrer)} == {
            False,
            True,
        }
    capsys.readouterr()
    call_command("ledger_reconcile", brand="alpha")
    assert "alpha: 0 differences" in capsys.readouterr().out
