"""Merchant plans paid by bank transfer: a period activates once a brand admin confirms the
transfer; paying again extends it; paying for another plan switches at confirmation."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Role
from billing.models import MerchantSubscription, SubscriptionStatus
from billing.services.plans import merchant_plan
from billing.services.subscriptions import (
    PayerDetails,
    add_interval,
    plan_cancel,
    plan_resume,
    plan_subscribe,
)
from graphql_schema.errors import user_errors
from ledger.models import AccountKind, LedgerAccount
from payments.models import Invoice
from payments.services.payments import (
    payment_confirm,
    payment_reject,
    payment_submit_transaction,
    payment_verify,
)
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

PAYER = PayerDetails(
    name="Youssef Merchant", email="y@example.com", contact_channel="whatsapp", contact="+212612345678"
)


def _paid(payment, merchant, admin, transaction_id):  # type: ignore[no-untyped-def]
    payment = payment_submit_transaction(payment=payment, actor=merchant, transaction_id=transaction_id)
    return payment_confirm(payment=payment_verify(payment=payment, actor=admin), actor=admin)


def test_a_transfer_activates_the_plan_for_a_period_and_a_renewal_extends_it(
    brand_a, plans_a, merchant_a, bank_details_a
):
    with tenant_context(brand_a):
        admin = make_user(brand_a, role=Role.BRAND_ADMIN)
        started = plan_subscribe(
            merchant=merchant_a, plan=plans_a["starter"], provider="bank_transfer", payer=PAYER
        )
        instructions = started.bank_transfer
        assert instructions is not None
        assert (instructions.amount, instructions.currency, instructions.rib) == (
            Decimal("299"),
            "MAD",
            bank_details_a.bank_rib,
        )
        assert merchant_plan(merchant_a).code == "free"  # nothing before the money is confirmed
        again = plan_subscribe(
            merchant=merchant_a, plan=plans_a["starter"], provider="bank_transfer", payer=PAYER
        )
        assert again.bank_transfer.payment.pk == instructions.payment.pk  # one open transfer at a time
        with pytest.raises(ValidationError) as caught:
            plan_subscribe(merchant=merchant_a, plan=plans_a["pro"], provider="bank_transfer", payer=PAYER)
        assert [e.code for e in user_errors(caught.value)] == ["PAYMENT_PENDING"]

        before = timezone.now()
        first = _paid(instructions.payment, merchant_a, admin, "VIR-77-0001")
        subscription = MerchantSubscription.objects.get(merchant=merchant_a)
        assert (subscription.status, subscription.provider, subscription.plan.code) == (
            SubscriptionStatus.ACTIVE,
            "bank_transfer",
            "starter",
        )
        assert before <= first.period_start <= timezone.now()
        assert subscription.current_period_end == first.period_end
        assert merchant_plan(merchant_a).code == "starter"
        assert Invoice.objects.filter(payment=first).exists()
        assert LedgerAccount.objects.get(kind=AccountKind.SUBSCRIPTION_REVENUE, currency="MAD").balance == 299

        # Cancel: no renewal reminder; resume; then pay the next period early: it follows the first.
        assert plan_cancel(merchant=merchant_a).cancel_at_period_end
        assert not plan_resume(merchant=merchant_a).cancel_at_period_end
        renewal = plan_subscribe(
            merchant=merchant_a, plan=plans_a["starter"], provider="bank_transfer", payer=PAYER
        )
        second = _paid(renewal.bank_transfer.payment, merchant_a, admin, "VIR-77-0002")
        assert second.period_start == first.period_end
        subscription.refresh_from_db()
        assert subscription.current_period_start == first.period_start
        assert subscription.current_period_end == second.period_end

        # A downgrade waits for the paid time to run out; an upgrade costs Pro less the unused
        # Starter time (two prepaid months here), and switches at confirmation.
        with pytest.raises(ValidationError) as caught:
            plan_subscribe(
                merchant=merchant_a,
                plan=plans_a["free"].__class__.objects.get(code="free"),
                provider="bank_transfer",
                payer=PAYER,
            )
        assert [e.code for e in user_errors(caught.value)] == ["ALREADY_SUBSCRIBED"]
        now = timezone.now()
        upgrade = plan_subscribe(
            merchant=merchant_a, plan=plans_a["pro"], provider="bank_transfer", payer=PAYER
        )
        month = Decimal((add_interval(now, "month") - now).total_seconds())
        unused = Decimal(299) * Decimal((second.period_end - now).total_seconds()) / month
        assert abs(upgrade.bank_transfer.amount - (Decimal(799) - unused)) < Decimal("0.05")
        paid_for_pro = upgrade.bank_transfer.amount
        rejected = payment_reject(payment=upgrade.bank_transfer.payment, actor=admin, reason="Not received")
        assert rejected.status == "rejected"
        assert merchant_plan(merchant_a).code == "starter"
        upgrade = plan_subscribe(
            merchant=merchant_a, plan=plans_a["pro"], provider="bank_transfer", payer=PAYER
        )
        third = _paid(upgrade.bank_transfer.payment, merchant_a, admin, "VIR-77-0003")
        subscription.refresh_from_db()
        assert subscription.plan.code == "pro"
        assert subscription.current_period_end == third.period_end
        assert abs(third.amount - paid_for_pro) < Decimal("0.01")
        assert third.period_start < second.period_start  # a new period from the confirmation
        assert merchant_plan(merchant_a).code == "pro"
        assert LedgerAccount.objects.get(kind=AccountKind.SUBSCRIPTION_REVENUE, currency="MAD").balance == (
            299 + 299 + third.amount
        )
        with pytest.raises(ValidationError) as caught:
            plan_subscribe(
                merchant=merchant_a, plan=plans_a["starter"], provider="bank_transfer", payer=PAYER
            )
        assert [e.code for e in user_errors(caught.value)] == ["PLAN_CHANGE_AT_RENEWAL"]


def test_a_card_subscriber_cannot_pay_by_transfer_and_bank_details_are_needed(brand_a, plans_a, merchant_a):
    with tenant_context(brand_a):
        with pytest.raises(ValidationError) as caught:
            plan_subscribe(
                merchant=merchant_a, plan=plans_a["starter"], provider="bank_transfer", payer=PAYER
            )
        assert [e.code for e in user_errors(caught.value)] == ["PROVIDER_UNAVAILABLE"]
        assert not MerchantSubscription.objects.filter(merchant=merchant_a).exists()  # nothing half-written
        MerchantSubscription.objects.create(
            merchant=merchant_a, plan=plans_a["starter"], status=SubscriptionStatus.ACTIVE, provider="stripe"
        )
        with pytest.raises(ValidationError) as caught:
            plan_subscribe(merchant=merchant_a, plan=plans_a["pro"], provider="bank_transfer", payer=PAYER)
        assert [e.code for e in user_errors(caught.value)] == ["ALREADY_SUBSCRIBED"]
