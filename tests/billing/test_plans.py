"""Merchant plans: validation, the plan a merchant is on, quotas and platform fees."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Role
from billing.models import MerchantPlan, MerchantSubscription, SubscriptionStatus
from billing.services.plans import (
    free_plan,
    merchant_plan,
    merchant_plan_create,
    merchant_plan_update,
    platform_fee_rate,
)
from graphql_schema.errors import user_errors
from marketplace.models import Product, ProductStatus
from marketplace.services.catalog import product_quota_error
from payments.models import PaymentProvider
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

_slugs = itertools.count(1)


def _codes(error: ValidationError) -> list[tuple[str | None, str]]:
    return [(item.field, item.code) for item in user_errors(error)]


def _product(merchant, status: str = ProductStatus.ACTIVE) -> Product:  # type: ignore[no-untyped-def]
    number = next(_slugs)
    return Product.objects.create(
        merchant=merchant,
        title=f"Deal {number}",
        slug=f"deal-{number}-{merchant.pk}",
        currency="MAD",
        original_price=Decimal("100"),
        price=Decimal("80"),
        status=status,
    )


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"code": "Not A Slug!"}, [("code", "INVALID")]),
        ({"code": ""}, [("code", "REQUIRED")]),
        ({"price": Decimal("-1")}, [("price", "INVALID")]),
        ({"price": Decimal("9.999")}, [("price", "INVALID")]),
        ({"platform_fee_rate": Decimal("100.5")}, [("platformFeeRate", "INVALID")]),
        ({"platform_fee_rate": Decimal("-1")}, [("platformFeeRate", "INVALID")]),
        ({"trial_days": 731}, [("trialDays", "INVALID")]),
        ({"product_quota": -1}, [("productQuota", "INVALID")]),
        ({"currency": "dirham"}, [("currency", "INVALID")]),
        ({"name": "  "}, [("name", "INVALID")]),
    ],
)
def test_a_plan_with_bad_values_is_refused_with_a_code_and_nothing_is_written(brand_a, values, expected):
    spec = {
        "code": "gold",
        "name": "Gold",
        "price": Decimal("499"),
        "currency": "MAD",
        "product_quota": 100,
        "platform_fee_rate": Decimal("4"),
        "trial_days": 14,
        **values,
    }
    with tenant_context(brand_a):
        with pytest.raises(ValidationError) as caught:
            merchant_plan_create(actor=None, **spec)
        if expected == [("name", "INVALID")]:
            expected = [("name", "REQUIRED")]
        assert _codes(caught.value) == expected
        assert not MerchantPlan.objects.filter(code="gold").exists()


def test_codes_are_unique_and_an_update_keeps_what_it_does_not_change(brand_a, plans_a):
    with tenant_context(brand_a):
        with pytest.raises(ValidationError) as caught:
            merchant_plan_create(
                actor=None,
                code="starter",
                name="Again",
                price=Decimal("1"),
                currency="MAD",
                platform_fee_rate=1,
            )
        assert _codes(caught.value) == [("code", "CODE_TAKEN")]
        updated = merchant_plan_update(actor=None, plan=plans_a["pro"], product_quota=250, trial_days=7)
        assert (updated.product_quota, updated.trial_days, updated.price) == (250, 7, Decimal("799"))
        with pytest.raises(ValidationError) as caught:
            merchant_plan_update(actor=None, plan=plans_a["pro"], platform_fee_rate=Decimal("101"))
        assert _codes(caught.value) == [("platformFeeRate", "INVALID")]
        assert MerchantPlan.objects.get(code="pro").platform_fee_rate == Decimal("3")


def test_the_reference_plans(brand_a, plans_a):
    with tenant_context(brand_a):
        rows = [
            (plan.code, plan.price, plan.currency, plan.product_quota, plan.platform_fee_rate)
            for plan in MerchantPlan.objects.order_by("position")
        ]
    assert rows == [
        ("free", Decimal("0"), "MAD", 5, Decimal("10")),
        ("starter", Decimal("299"), "MAD", 50, Decimal("5")),
        ("pro", Decimal("799"), "MAD", 200, Decimal("3")),
        ("enterprise", Decimal("1999"), "MAD", None, Decimal("2")),
    ]


def test_a_merchant_without_a_subscription_is_on_free_and_the_sixth_product_is_a_quota_error(
    brand_a, plans_a, merchant_a
):
    with tenant_context(brand_a):
        assert merchant_plan(merchant_a).code == "free"
        assert platform_fee_rate(merchant_a) == Decimal("10")
        for _ in range(4):
            _product(merchant_a)
        _product(merchant_a, status=ProductStatus.DRAFT)  # drafts count too
        _product(merchant_a, status=ProductStatus.ARCHIVED)  # archived ones do not
        error = product_quota_error(merchant_a)
        assert error is not None
        assert _codes(error) == [(None, "PLAN_PRODUCT_QUOTA_REACHED")]
        assert "5 products" in user_errors(error)[0].message
        Product.objects.filter(merchant=merchant_a, status=ProductStatus.DRAFT).update(
            status=ProductStatus.ARCHIVED
        )
        assert product_quota_error(merchant_a) is None


def test_the_sixth_product_through_the_catalog_api_is_refused(brand_a, plans_a, merchant_a, gql):
    with tenant_context(brand_a):
        for _ in range(5):
            _product(merchant_a)
    mutation = """
      mutation($input: ProductCreateInput!) {
        productCreate(input: $input) { product { id } errors { field code } }
      }"""
    result = gql(brand_a, merchant_a).execute(
        mutation,
        {"input": {"title": "Sixth deal", "currency": "EUR", "originalPrice": "100", "price": "90"}},
    )
    assert result["data"]["productCreate"] == {
        "product": None,
        "errors": [{"field": None, "code": "PLAN_PRODUCT_QUOTA_REACHED"}],
    }
    with tenant_context(brand_a):
        assert Product.objects.filter(merchant=merchant_a).count() == 5


def _subscribe(merchant, plan, **fields):  # type: ignore[no-untyped-def]
    return MerchantSubscription.objects.create(merchant=merchant, plan=plan, **fields)


def test_a_live_subscription_gives_its_plan_and_an_ended_one_gives_free(brand_a, plans_a, merchant_a):
    now = timezone.now()
    with tenant_context(brand_a):
        subscription = _subscribe(
            merchant_a,
            plans_a["starter"],
            status=SubscriptionStatus.TRIALING,
            provider=PaymentProvider.STRIPE,
        )
        for _ in range(6):
            _product(merchant_a)
        assert merchant_plan(merchant_a).code == "starter"
        assert platform_fee_rate(merchant_a) == Decimal("5")
        assert product_quota_error(merchant_a) is None
        for status, expected in [
            (SubscriptionStatus.ACTIVE, "starter"),
            (SubscriptionStatus.PAST_DUE, "starter"),  # while Stripe retries the card
            (SubscriptionStatus.INCOMPLETE, "free"),
            (SubscriptionStatus.CANCELED, "free"),
        ]:
            subscription.status = status
            subscription.save()
            assert merchant_plan(merchant_a).code == expected, status
        assert product_quota_error(merchant_a) is not None  # 6 products on Free
        subscription.provider = PaymentProvider.BANK_TRANSFER
        subscription.status = SubscriptionStatus.ACTIVE
        subscription.current_period_end = now + dt.timedelta(days=3)
        subscription.save()
        assert merchant_plan(merchant_a).code == "starter"
        subscription.current_period_end = now - dt.timedelta(seconds=1)
        subscription.save()
        assert merchant_plan(merchant_a).code == "free"  # a paid transfer period ran out


def test_unlimited_plans_have_no_quota(brand_a, plans_a, merchant_a):
    with tenant_context(brand_a):
        _subscribe(merchant_a, plans_a["enterprise"], status=SubscriptionStatus.ACTIVE, provider="stripe")
        for _ in range(7):
            _product(merchant_a)
        assert product_quota_error(merchant_a) is None
        assert platform_fee_rate(merchant_a) == Decimal("2")


def test_a_brand_without_plans_restricts_nobody_and_one_without_a_free_plan_requires_one(brand_b):
    with tenant_context(brand_b):
        merchant = make_user(brand_b, role=Role.MERCHANT)
        assert free_plan().pk is None
        assert merchant_plan(merchant).product_quota is None
        assert platform_fee_rate(merchant) == Decimal("0")
        merchant_plan_create(
            actor=None,
            code="pro",
            name="Pro",
            price=Decimal("799"),
            currency="MAD",
            platform_fee_rate=Decimal("3"),
        )
        fallback = merchant_plan(merchant)
        assert (fallback.product_quota, fallback.platform_fee_rate) == (0, Decimal("3"))
        error = product_quota_error(merchant)
        assert error is not None
        assert _codes(error) == [(None, "PLAN_PRODUCT_QUOTA_REACHED")]


def test_without_a_stripe_account_card_payments_are_a_user_error(brand_a, plans_a, merchant_a, settings):
    from billing.services.subscriptions import plan_subscribe

    settings.STRIPE_API_KEY = ""
    with tenant_context(brand_a):
        with pytest.raises(ValidationError) as caught:
            plan_subscribe(merchant=merchant_a, plan=plans_a["starter"], provider="stripe")
        assert _codes(caught.value) == [("provider", "PROVIDER_NOT_AVAILABLE")]
        assert not MerchantSubscription.objects.filter(merchant=merchant_a).exists()
