"""The billing API: plans, my plan, subscribing and changing plans, memberships, admin lists."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from accounts.models import Role
from billing.models import MembershipPlan, MerchantPlan, MerchantSubscription, SubscriptionStatus
from billing.services.memberships import membership_plan_create
from tests.conftest import make_user
from tests.engine import make_affiliate, make_click, make_program

pytestmark = pytest.mark.django_db

PLANS = "query { merchantPlans { id code name price { amount currency } productQuota platformFeeRate trialDays } }"
MY_PLAN = """
  query { myPlan {
    plan { code productQuota platformFeeRate } subscribedPlan { code } status provider trialEnd
    currentPeriodEnd cancelAtPeriodEnd usage { productsUsed productQuota }
    pendingPayment { reference amount { amount currency } status }
  } }"""
SUBSCRIBE = """
  mutation($input: PlanSubscribeInput!) {
    planSubscribe(input: $input) {
      myPlan { plan { code } subscribedPlan { code } status }
      checkoutUrl bankTransfer { reference amount { amount currency } iban }
      errors { field code message }
    }
  }"""
CHANGE = """
  mutation($code: String!) {
    planChange(planCode: $code) {
      myPlan { plan { code } status } isUpgrade amountDueNow { amount currency } nextInvoiceCredit { amount }
      errors { field code }
    }
  }"""
PLAN_CREATE = """
  mutation($input: MerchantPlanCreateInput!) {
    merchantPlanCreate(input: $input) { plan { code price { amount currency } productQuota } errors { field code } }
  }"""
PLAN_UPDATE = """
  mutation($code: String!, $input: MerchantPlanInput!) {
    merchantPlanUpdate(code: $code, input: $input) { plan { code productQuota price { amount } } errors { field code } }
  }"""


def test_anyone_on_the_brand_sees_its_active_plans_in_order(gql, brand_a, plans_a):
    with tenant_context(brand_a):
        MerchantPlan.objects.filter(code="enterprise").update(is_active=False)
    with CaptureQueriesContext(connection) as queries:
        plans = gql(brand_a).data(PLANS)["merchantPlans"]
    assert [(p["code"], p["price"], p["productQuota"], p["platformFeeRate"]) for p in plans] == [
        ("free", {"amount": "0.00", "currency": "MAD"}, 5, "10.00"),
        ("starter", {"amount": "299.00", "currency": "MAD"}, 50, "5.00"),
        ("pro", {"amount": "799.00", "currency": "MAD"}, 200, "3.00"),
    ]
    assert len([q for q in queries.captured_queries if "billing_merchantplan" in q["sql"]]) == 1
    admin = make_user(brand_a, role=Role.BRAND_ADMIN)
    everything = gql(brand_a, admin).data("query { merchantPlans(includeInactive: true) { code } }")
    assert [p["code"] for p in everything["merchantPlans"]] == ["free", "starter", "pro", "enterprise"]


def test_brand_admins_edit_plans_and_others_cannot(gql, brand_a, plans_a, merchant_a):
    admin = make_user(brand_a, role=Role.BRAND_ADMIN)
    spec = {"code": "gold", "name": "Gold", "price": "499", "currency": "MAD", "platformFeeRate": "4"}
    refused = gql(brand_a, merchant_a).execute(PLAN_CREATE, {"input": spec})
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    bad = gql(brand_a, admin).data(PLAN_CREATE, {"input": {**spec, "price": "-5"}})["merchantPlanCreate"]
    assert bad == {"plan": None, "errors": [{"field": "price", "code": "INVALID"}]}
    with tenant_context(brand_a):
        assert not MerchantPlan.objects.filter(code="gold").exists()
    created = gql(brand_a, admin).data(PLAN_CREATE, {"input": {**spec, "productQuota": None}})[
        "merchantPlanCreate"
    ]
    assert created == {
        "plan": {"code": "gold", "price": {"amount": "499.00", "currency": "MAD"}, "productQuota": None},
        "errors": [],
    }
    updated = gql(brand_a, admin).data(PLAN_UPDATE, {"code": "starter", "input": {"productQuota": 60}})
    assert updated["merchantPlanUpdate"] == {
        "plan": {"code": "starter", "productQuota": 60, "price": {"amount": "299.00"}},
        "errors": [],
    }
    wrong = gql(brand_a, admin).data(PLAN_UPDATE, {"code": "starter", "input": {"trialDays": 1000}})
    assert wrong["merchantPlanUpdate"]["errors"] == [{"field": "trialDays", "code": "INVALID"}]
    missing = gql(brand_a, admin).execute(PLAN_UPDATE, {"code": "nope", "input": {"productQuota": 1}})
    assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"


def test_my_plan_is_free_with_usage_until_i_subscribe(gql, brand_a, plans_a, merchant_a):
    my_plan = gql(brand_a, merchant_a).data(MY_PLAN)["myPlan"]
    assert my_plan == {
        "plan": {"code": "free", "productQuota": 5, "platformFeeRate": "10.00"},
        "subscribedPlan": None,
        "status": None,
        "provider": None,
        "trialEnd": None,
        "currentPeriodEnd": None,
        "cancelAtPeriodEnd": False,
        "usage": {"productsUsed": 0, "productQuota": 5},
        "pendingPayment": None,
    }
    customer = make_user(brand_a, role=Role.CUSTOMER)
    assert gql(brand_a, customer).execute(MY_PLAN)["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_subscribing_by_bank_transfer_shows_the_details_and_the_pending_payment(
    gql, brand_a, plans_a, merchant_a, bank_details_a
):
    client = gql(brand_a, merchant_a)
    variables = {
        "input": {
            "planCode": "starter",
            "provider": "BANK_TRANSFER",
            "payerName": "Youssef",
            "payerEmail": "y@example.com",
            "contactChannel": "TELEGRAM",
            "contact": "@youssef_m",
        }
    }
    result = client.data(SUBSCRIBE, variables)["planSubscribe"]
    assert result["errors"] == []
    assert result["checkoutUrl"] is None
    assert result["bankTransfer"]["amount"] == {"amount": "299.00", "currency": "MAD"}
    assert result["bankTransfer"]["iban"] == bank_details_a.bank_iban
    assert result["myPlan"] == {
        "plan": {"code": "free"},
        "subscribedPlan": {"code": "starter"},
        "status": "INCOMPLETE",
    }
    pending = client.data(MY_PLAN)["myPlan"]["pendingPayment"]
    assert pending["reference"] == result["bankTransfer"]["reference"]
    assert pending["status"] == "PENDING"
    unknown = client.data(SUBSCRIBE, {"input": {**variables["input"], "planCode": "platinum"}})[
        "planSubscribe"
    ]
    assert unknown["errors"] == [
        {"field": "planCode", "code": "NOT_FOUND", "message": "No plan has this code."}
    ]


def test_subscribe_by_card_then_upgrade_cancel_and_portal_through_the_api(
    gql, brand_a, plans_a, merchant_a, stripe_events
):
    client = gql(brand_a, merchant_a)
    started = client.data(SUBSCRIBE, {"input": {"planCode": "starter", "provider": "STRIPE"}})[
        "planSubscribe"
    ]
    assert started["errors"] == []
    assert started["checkoutUrl"].startswith(stripe_events.fake.url)
    stripe_events.fake.complete_checkout(started["checkoutUrl"].rsplit("/", 1)[-1])
    stripe_events.deliver()
    my_plan = client.data(MY_PLAN)["myPlan"]
    assert (my_plan["plan"]["code"], my_plan["status"], my_plan["provider"]) == (
        "starter",
        "TRIALING",
        "STRIPE",
    )
    assert my_plan["trialEnd"] == my_plan["currentPeriodEnd"]
    upgrade = client.data(CHANGE, {"code": "pro"})["planChange"]
    assert upgrade == {
        "myPlan": {"plan": {"code": "pro"}, "status": "TRIALING"},
        "isUpgrade": True,
        "amountDueNow": {"amount": "0.00", "currency": "MAD"},  # nothing is charged during a trial
        "nextInvoiceCredit": {"amount": "0.00"},
        "errors": [],
    }
    again = client.data(CHANGE, {"code": "pro"})["planChange"]
    assert again["errors"] == [{"field": "planCode", "code": "ALREADY_ON_PLAN"}]
    cancel = client.data(
        "mutation { planCancel { myPlan { cancelAtPeriodEnd plan { code } } errors { code } } }"
    )
    assert cancel["planCancel"] == {
        "myPlan": {"cancelAtPeriodEnd": True, "plan": {"code": "pro"}},
        "errors": [],
    }
    resume = client.data("mutation { planResume { myPlan { cancelAtPeriodEnd } errors { code } } }")
    assert resume["planResume"] == {"myPlan": {"cancelAtPeriodEnd": False}, "errors": []}
    portal = client.data("mutation { billingPortalUrl { url errors { code } } }")["billingPortalUrl"]
    assert portal["errors"] == []
    assert portal["url"].startswith(stripe_events.fake.url)


def test_the_admin_lists_of_subscriptions_and_memberships_cost_a_constant_number_of_queries(
    gql, brand_a, plans_a
):
    admin = make_user(brand_a, role=Role.BRAND_ADMIN)
    query = """query { subscriptions(first: 50) { totalCount edges { node {
        merchantEmail plan { code } status provider isEntitled currentPeriodEnd } } } }"""
    members_query = (
        "query { memberships(first: 50) { totalCount edges { node { memberEmail plan { code } status } } } }"
    )
    with tenant_context(brand_a):
        program = make_program(currency="EUR")
        club = membership_plan_create(
            actor=None, code="club", name="Club", price=Decimal("10"), currency="EUR", program=program
        )

    def add(count: int) -> None:
        with tenant_context(brand_a):
            for _ in range(count):
                merchant = make_user(brand_a, role=Role.MERCHANT)
                MerchantSubscription.objects.create(
                    merchant=merchant,
                    plan=plans_a["pro"],
                    status=SubscriptionStatus.ACTIVE,
                    provider="stripe",
                )
                member = make_user(brand_a, role=Role.CUSTOMER)
                club.memberships.create(member=member, status=SubscriptionStatus.ACTIVE, provider="stripe")

    add(2)
    with CaptureQueriesContext(connection) as few:
        assert gql(brand_a, admin).data(query)["subscriptions"]["totalCount"] == 2
        assert gql(brand_a, admin).data(members_query)["memberships"]["totalCount"] == 2
    add(8)
    with CaptureQueriesContext(connection) as many:
        page = gql(brand_a, admin).data(query)["subscriptions"]
        members = gql(brand_a, admin).data(members_query)["memberships"]
    assert (page["totalCount"], members["totalCount"]) == (10, 10)
    assert len(many.captured_queries) == len(few.captured_queries)
    merchant = make_user(brand_a, role=Role.MERCHANT)
    assert gql(brand_a, merchant).execute(query)["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_a_member_joins_with_the_click_cookie_and_the_clicker_becomes_the_referrer(
    gql, brand_a, stripe_events
):
    with tenant_context(brand_a):
        program = make_program(currency="EUR", recurring_mode="lifetime")
        referrer = make_affiliate(brand_a, program)
        click = make_click(referrer)
        membership_plan_create(
            actor=None, code="club", name="Club", price=Decimal("15"), currency="EUR", program=program
        )
    member = make_user(brand_a, role=Role.CUSTOMER)
    client = gql(brand_a, member)
    client.client.cookies["afp_click"] = str(click.pk)
    plans = client.data("query { membershipPlans { code price { amount currency } programId } }")
    assert plans["membershipPlans"] == [
        {"code": "club", "price": {"amount": "15.00", "currency": "EUR"}, "programId": str(program.pk)}
    ]
    joined = client.data(
        """mutation { membershipJoin(input: {planCode: "club", provider: STRIPE}) {
            membership { id status referred plan { code } } checkoutUrl errors { code } } }"""
    )["membershipJoin"]
    assert joined["errors"] == []
    assert joined["membership"]["referred"] is True
    with tenant_context(brand_a):
        membership = MembershipPlan.objects.get(code="club").memberships.get()
        assert (membership.referrer_id, membership.click_id) == (referrer.pk, click.pk)
    stripe_events.fake.complete_checkout(joined["checkoutUrl"].rsplit("/", 1)[-1])
    stripe_events.deliver()
    mine = client.data("query { myMemberships { plan { code } status provider referred } }")["myMemberships"]
    assert mine == [{"plan": {"code": "club"}, "status": "ACTIVE", "provider": "STRIPE", "referred": True}]
    with tenant_context(brand_a):
        assert referrer.conversions.get().amount == Decimal("15")
