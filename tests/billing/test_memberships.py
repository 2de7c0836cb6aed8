"""Member subscriptions with referral: the referrer is fixed when the membership is taken, and
every paid period earns the program's recurring commission down the cascade."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import tenant_context

from accounts.models import Role
from affiliation.models import Commission, Conversion
from affiliation.services import coupon_create
from billing.models import Membership, SubscriptionStatus
from billing.services.memberships import membership_join, membership_plan_create, membership_plan_update
from billing.services.subscriptions import PayerDetails
from graphql_schema.errors import user_errors
from payments.models import Payment, PaymentStatus
from payments.services.payments import payment_confirm, payment_submit_transaction, payment_verify
from tests.conftest import make_user
from tests.engine import make_affiliate, make_click, make_program
from tests.stripe_fixtures import RENEWAL_DELAY

pytestmark = pytest.mark.django_db

PAYER = PayerDetails(
    name="Nadia Member", email="nadia@example.com", contact_channel="telegram", contact="@nadia_m"
)


def _codes(error: ValidationError) -> list[tuple[str | None, str]]:
    return [(item.field, item.code) for item in user_errors(error)]


def _session_id(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


@pytest.fixture
def ambassadors(brand_a):  # type: ignore[no-untyped-def]
    """A program paying 20 % for 3 months with a 10 %/5 % cascade; a referrer with two uplines."""
    with tenant_context(brand_a):
        program = make_program(recurring_mode="months", recurring_months=3)
        top = make_affiliate(brand_a, program)
        middle = make_affiliate(brand_a, program, referrer=top)
        referrer = make_affiliate(brand_a, program, referrer=middle)
        plan = membership_plan_create(
            actor=None, code="club", name="Club", price=Decimal("100"), currency="EUR", program=program
        )
    return {"program": program, "top": top, "middle": middle, "referrer": referrer, "plan": plan}


def _commissions(conversion: Conversion) -> list[tuple[int, int, Decimal, bool]]:
    return sorted(
        (c.level, c.beneficiary_id, c.amount, c.is_recurring)
        for c in Commission.objects.filter(conversion=conversion)
    )


def test_membership_plans_are_validated(brand_a, ambassadors):
    with tenant_context(brand_a):
        for values, expected in [
            ({"price": Decimal("0")}, [("price", "INVALID")]),
            ({"currency": "MAD"}, [("currency", "CURRENCY_MISMATCH")]),
            ({"code": "club"}, [("code", "CODE_TAKEN")]),
        ]:
            spec = {
                "code": "gold",
                "name": "Gold",
                "price": Decimal("10"),
                "currency": "EUR",
                "program": ambassadors["program"],
                **values,
            }
            with pytest.raises(ValidationError) as caught:
                membership_plan_create(actor=None, **spec)
            assert _codes(caught.value) == expected
        updated = membership_plan_update(actor=None, plan=ambassadors["plan"], name="Club+", is_active=False)
        assert (updated.name, updated.is_active, updated.price) == ("Club+", False, Decimal("100"))
        customer = make_user(brand_a, role=Role.CUSTOMER)
        with pytest.raises(ValidationError) as caught:
            membership_join(member=customer, plan=updated, provider="stripe")
        assert _codes(caught.value) == [("planCode", "PLAN_INACTIVE")]


def test_a_referred_members_invoices_earn_the_recurring_commission_for_n_months(
    brand_a, ambassadors, stripe_events
):
    fake = stripe_events.fake
    referrer, middle, top = ambassadors["referrer"], ambassadors["middle"], ambassadors["top"]
    with tenant_context(brand_a):
        member = make_user(brand_a, role=Role.CUSTOMER)
        click = make_click(referrer)
        joined = membership_join(
            member=member, plan=ambassadors["plan"], provider="stripe", click_id=str(click.pk)
        )
        assert joined.membership.referrer_id == referrer.pk
        assert joined.membership.click_id == click.pk
    fake.complete_checkout(_session_id(joined.checkout_url))
    stripe_events.deliver()
    with tenant_context(brand_a):
        membership = Membership.objects.get(pk=joined.membership.pk)
        assert membership.status == SubscriptionStatus.ACTIVE
        first = Conversion.objects.get(subscription_ref=membership.stripe_subscription_id)
        payment = Payment.objects.get(membership=membership)
        assert (first.source, first.order_id, first.amount, first.affiliate_id) == (
            "stripe",
            payment.stripe_invoice_id,
            Decimal("100"),
            referrer.pk,
        )
        assert _commissions(first) == [
            (0, referrer.pk, Decimal("20"), False),
            (1, middle.pk, Decimal("10"), False),
            (2, top.pk, Decimal("5"), False),
        ]
    customer = membership.stripe_customer_id
    earned = []
    for _ in range(3):  # renewals one, two and three months later
        fake.advance_clock(days=31, seconds=RENEWAL_DELAY, customer=customer)
        stripe_events.deliver()
        with tenant_context(brand_a):
            latest = Conversion.objects.filter(subscription_ref=membership.stripe_subscription_id).order_by(
                "-pk"
            )[0]
            earned.append((latest.amount, _commissions(latest)))
    recurring = [
        (0, referrer.pk, Decimal("20"), True),
        (1, middle.pk, Decimal("10"), True),
        (2, top.pk, Decimal("5"), True),
    ]
    assert earned == [(Decimal("100"), recurring), (Decimal("100"), recurring), (Decimal("100"), [])]
    with tenant_context(brand_a):
        assert Conversion.objects.filter(subscription_ref=membership.stripe_subscription_id).count() == 4
        assert Payment.objects.filter(membership=membership, status=PaymentStatus.CONFIRMED).count() == 4
    for event in fake.events(types=["invoice.paid"])[-2:]:  # redelivered: nothing more
        assert stripe_events.post(event).json()["status"] == "duplicate"
    with tenant_context(brand_a):
        assert Conversion.objects.filter(subscription_ref=membership.stripe_subscription_id).count() == 4


def test_a_refunded_membership_period_takes_back_the_referrers_commissions(
    brand_a, ambassadors, stripe_events
):
    """A member's first period refunded by half in Stripe: the cascade gives back half, once."""
    fake = stripe_events.fake
    referrer = ambassadors["referrer"]
    with tenant_context(brand_a):
        member = make_user(brand_a, role=Role.CUSTOMER)
        joined = membership_join(
            member=member, plan=ambassadors["plan"], provider="stripe", click_id=str(make_click(referrer).pk)
        )
    fake.complete_checkout(_session_id(joined.checkout_url))
    stripe_events.deliver()
    with tenant_context(brand_a):
        payment = Payment.objects.get(membership_id=joined.membership.pk)
        conversion = Conversion.objects.get(order_id=payment.stripe_invoice_id)

    fake.client().v1.refunds.create(params={"payment_intent": payment.transaction_id, "amount": 5000})
    stripe_events.deliver()
    (refunded,) = fake.events(types=["charge.refunded"])[-1:]
    assert stripe_events.post(refunded).json()["status"] == "duplicate"

    with tenant_context(brand_a):
        conversion.refresh_from_db()
        assert conversion.refunded_amount == Decimal("50")
        reversed_ = sorted(
            (c.level, c.reversed_amount) for c in Commission.objects.filter(conversion=conversion)
        )
        assert reversed_ == [(0, Decimal("10")), (1, Decimal("5")), (2, Decimal("2.5"))]


CANCEL = """
mutation($id: ID!, $cancel: Boolean!) {
  membershipCancel(membershipId: $id, cancel: $cancel) {
    membership { status cancelAtPeriodEnd }
    errors { field code }
  }
}
"""


def test_a_member_cancels_at_the_end_of_the_period_and_can_change_their_mind(
    gql, brand_a, ambassadors, stripe_events
):
    fake = stripe_events.fake
    with tenant_context(brand_a):
        member = make_user(brand_a, role=Role.CUSTOMER)
        joined = membership_join(member=member, plan=ambassadors["plan"], provider="stripe")
    fake.complete_checkout(_session_id(joined.checkout_url))
    stripe_events.deliver()
    client = gql(brand_a, member)
    variables = {"id": str(joined.membership.pk)}

    not_yet = client.data(CANCEL, {**variables, "cancel": False})["membershipCancel"]
    canceled = client.data(CANCEL, {**variables, "cancel": True})["membershipCancel"]
    resumed = client.data(CANCEL, {**variables, "cancel": False})["membershipCancel"]
    again = client.data(CANCEL, {**variables, "cancel": True})["membershipCancel"]
    stranger = gql(brand_a, make_user(brand_a, role=Role.CUSTOMER)).data(
        CANCEL, {**variables, "cancel": True}
    )

    assert not_yet["errors"] == [{"field": "membershipId", "code": "NOT_CANCELED"}]
    assert canceled["membership"] == {"status": "ACTIVE", "cancelAtPeriodEnd": True}
    assert resumed["membership"] == {"status": "ACTIVE", "cancelAtPeriodEnd": False}
    assert again["errors"] == []
    assert stranger["membershipCancel"]["errors"] == [{"field": "membershipId", "code": "NOT_FOUND"}]
    with tenant_context(brand_a):
        membership = Membership.objects.get(pk=joined.membership.pk)
        stripe_state = fake.client().v1.subscriptions.retrieve(membership.stripe_subscription_id)
        assert stripe_state.cancel_at_period_end is True

    fake.advance_clock(days=32, customer=membership.stripe_customer_id)
    stripe_events.deliver()
    with tenant_context(brand_a):
        membership.refresh_from_db()
        assert membership.status == SubscriptionStatus.CANCELED
        assert Payment.objects.filter(membership=membership).count() == 1  # no renewal charged


def test_a_membership_paid_by_bank_transfer_is_activated_by_an_admin_and_earns_per_period(
    brand_a, ambassadors, bank_details_a
):
    referrer = ambassadors["referrer"]
    with tenant_context(brand_a):
        admin = make_user(brand_a, role=Role.BRAND_ADMIN)
        member = make_user(brand_a, role=Role.CUSTOMER)
        coupon = coupon_create(actor=None, affiliate=referrer, code="AMBASSADOR")
        joined = membership_join(
            member=member,
            plan=ambassadors["plan"],
            provider="bank_transfer",
            coupon_code="ambassador",
            payer=PAYER,
        )
        membership = joined.membership
        assert (membership.referrer_id, membership.coupon_code, membership.status) == (
            referrer.pk,
            coupon.code,
            SubscriptionStatus.INCOMPLETE,
        )
        instructions = joined.bank_transfer
        assert instructions is not None
        assert instructions.amount == Decimal("100")
        assert instructions.iban == bank_details_a.bank_iban
        payment = instructions.payment
        assert not Conversion.objects.exists()
        payment = payment_submit_transaction(payment=payment, actor=member, transaction_id="VIR-2026-0001")
        payment = payment_verify(payment=payment, actor=admin)
        payment = payment_confirm(payment=payment, actor=admin)
        membership.refresh_from_db()
        assert membership.status == SubscriptionStatus.ACTIVE
        assert membership.current_period_end == payment.period_end
        assert (payment.period_end - payment.period_start).days in (28, 29, 30, 31)
        conversion = Conversion.objects.get(subscription_ref=f"membership-{membership.pk}")
        assert (conversion.source, conversion.order_id, conversion.affiliate_id) == (
            "platform",
            payment.reference,
            referrer.pk,
        )
        assert [c[2] for c in _commissions(conversion)] == [Decimal("20"), Decimal("10"), Decimal("5")]

        # The next period: paying again extends the membership and earns the recurring commission.
        again = membership_join(
            member=member, plan=ambassadors["plan"], provider="bank_transfer", payer=PAYER
        )
        assert again.membership.pk == membership.pk
        renewal = again.bank_transfer.payment
        assert renewal.period_start == payment.period_end
        renewal = payment_submit_transaction(payment=renewal, actor=member, transaction_id="VIR-2026-0002")
        renewal = payment_confirm(payment=payment_verify(payment=renewal, actor=admin), actor=admin)
        membership.refresh_from_db()
        assert membership.current_period_end == renewal.period_end
        second = Conversion.objects.get(order_id=renewal.reference)
        assert second.subscription_ref == conversion.subscription_ref
        assert {c[3] for c in _commissions(second)} == {True}


def test_who_refers_a_member(brand_a, ambassadors):
    referrer = ambassadors["referrer"]
    plan = ambassadors["plan"]
    with tenant_context(brand_a):
        other_program = make_program()
        outsider = make_affiliate(brand_a, other_program)
        member = make_user(brand_a, role=Role.CUSTOMER)
        from billing.services.memberships import membership_referral

        assert (
            membership_referral(plan=plan, member=member, click_id=str(make_click(referrer).pk)).referrer
            == referrer
        )
        # A click of another program, or the referrer's own click, refers nobody.
        assert (
            membership_referral(plan=plan, member=member, click_id=str(make_click(outsider).pk)).referrer
            is None
        )
        assert (
            membership_referral(
                plan=plan, member=referrer.user, click_id=str(make_click(referrer).pk)
            ).referrer
            is None
        )
        with pytest.raises(ValidationError) as caught:
            membership_referral(plan=plan, member=member, coupon_code="NOPE")
        assert _codes(caught.value) == [("couponCode", "INVALID")]
        assert membership_referral(plan=plan, member=member, click_id="not-a-uuid").referrer is None
