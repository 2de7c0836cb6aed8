"""The brand admin's list of failing subscriptions (merchant plans and memberships past due, unpaid
or incomplete), the grace period setting, and who may see them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Role
from billing.models import Membership, MerchantSubscription, SubscriptionStatus
from billing.services.memberships import membership_plan_create
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

FAILING = """
  query($kind: FailingSubscriptionKind) {
    failingSubscriptions(kind: $kind) {
      id kind subscriptionId userEmail planName price { amount currency } status paymentFailedAt
      graceUntil downgraded
    }
  }"""
SETTINGS = """
  mutation($input: BillingSettingsInput!) {
    billingSettingsUpdate(input: $input) { billingSettings { planGraceDays } errors { field code } }
  }"""


@pytest.fixture
def failing_a(brand_a, plans_a):  # type: ignore[no-untyped-def]
    now = timezone.now()
    with tenant_context(brand_a):
        rows = {}
        for status, days in (
            (SubscriptionStatus.ACTIVE, None),
            (SubscriptionStatus.PAST_DUE, 2),
            (SubscriptionStatus.UNPAID, 9),
            (SubscriptionStatus.CANCELED, None),
        ):
            merchant = make_user(brand_a, role=Role.MERCHANT)
            rows[status] = MerchantSubscription.objects.create(
                merchant=merchant,
                plan=plans_a["starter"],
                provider="stripe",
                status=status,
                stripe_subscription_id=f"sub_list_{status}",
                payment_failed_at=now - dt.timedelta(days=days) if days else None,
                downgraded_at=now if status == SubscriptionStatus.UNPAID else None,
            )
        # A Checkout abandoned before any subscription existed: not a failing payment.
        rows["abandoned"] = MerchantSubscription.objects.create(
            merchant=make_user(brand_a, role=Role.MERCHANT),
            plan=plans_a["starter"],
            provider="stripe",
            status=SubscriptionStatus.INCOMPLETE,
        )
        plan = membership_plan_create(
            actor=None, code="club", name="Club", price=Decimal("10"), currency="EUR"
        )
        member = make_user(brand_a, role=Role.CUSTOMER)
        rows["membership"] = Membership.objects.create(
            member=member,
            plan=plan,
            provider="stripe",
            status=SubscriptionStatus.PAST_DUE,
            stripe_subscription_id="sub_list_member",
            payment_failed_at=now - dt.timedelta(days=1),
        )
    return rows


def test_brand_admins_list_failing_subscriptions_oldest_failure_first(gql, brand_a, failing_a):
    admin = make_user(brand_a, role=Role.BRAND_ADMIN)
    listed = gql(brand_a, admin).data(FAILING)["failingSubscriptions"]
    unpaid, past_due, member = (
        failing_a[SubscriptionStatus.UNPAID],
        failing_a[SubscriptionStatus.PAST_DUE],
        failing_a["membership"],
    )
    assert [(row["kind"], row["subscriptionId"], row["status"]) for row in listed] == [
        ("MERCHANT_PLAN", str(unpaid.pk), "UNPAID"),
        ("MERCHANT_PLAN", str(past_due.pk), "PAST_DUE"),
        ("MEMBERSHIP", str(member.pk), "PAST_DUE"),
    ]
    assert [row["downgraded"] for row in listed] == [True, False, False]
    assert [row["graceUntil"] is not None for row in listed] == [True, True, False]
    assert listed[0]["price"] == {"amount": "299.00", "currency": "MAD"}
    only_members = gql(brand_a, admin).data(FAILING, {"kind": "MEMBERSHIP"})["failingSubscriptions"]
    assert [row["subscriptionId"] for row in only_members] == [str(member.pk)]


def test_only_brand_admins_see_the_list_and_only_their_brand(gql, brand_a, brand_b, failing_a):
    for role in (Role.MERCHANT, Role.CUSTOMER, Role.AFFILIATE, Role.STAFF):
        body = gql(brand_a, make_user(brand_a, role=role)).execute(FAILING)
        assert body["errors"], role
        assert body["data"] is None, role
    assert gql(brand_a).execute(FAILING)["errors"]
    admin_b = make_user(brand_b, role=Role.BRAND_ADMIN)
    assert gql(brand_b, admin_b).data(FAILING)["failingSubscriptions"] == []


def test_the_grace_period_setting_is_validated(gql, brand_a):
    admin = make_user(brand_a, role=Role.BRAND_ADMIN)
    client = gql(brand_a, admin)
    for bad in (-1, 61):
        payload = client.data(SETTINGS, {"input": {"planGraceDays": bad}})["billingSettingsUpdate"]
        assert payload["errors"] == [{"field": "planGraceDays", "code": "INVALID_GRACE_DAYS"}]
    payload = client.data(SETTINGS, {"input": {"planGraceDays": 10}})["billingSettingsUpdate"]
    assert payload == {"billingSettings": {"planGraceDays": 10}, "errors": []}
