"""Issue 9 between brands: the merchant signup policy and merchant applications are per brand;
a merchant's coupons, offers and conversions mean nothing in another brand."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from accounts.models import Role, User
from affiliation.models import Conversion
from affiliation.services import coupon_create
from tenants.models import MerchantSignup, Tenant
from tests.accounts.test_signup import SIGNUP
from tests.affiliation.test_conversion_ownership import RECORD, REFUND
from tests.conftest import PASSWORD, make_user
from tests.engine import make_affiliate, make_program
from tests.marketplace.builders import make_product


@pytest.fixture
def policy():
    """``policy(brand, value)`` sets a brand's merchant signup policy, and puts it back."""
    changed: list[tuple[Tenant, str]] = []

    def set_policy(brand: Tenant, value: str) -> None:
        changed.append((brand, Tenant.objects.get(pk=brand.pk).merchant_signup))
        Tenant.objects.filter(pk=brand.pk).update(merchant_signup=value)

    yield set_policy
    for brand, value in reversed(changed):
        Tenant.objects.filter(pk=brand.pk).update(merchant_signup=value)


def test_the_merchant_signup_policy_is_per_brand(gql, brand_a, brand_b, policy):
    """Brand A's admin sets INVITE_ONLY: brand B (still by approval) is unaffected, and an admin
    of B cannot change A's setting (brandUpdate acts on the host's brand only)."""
    policy(brand_a, MerchantSignup.APPROVAL)
    policy(brand_b, MerchantSignup.APPROVAL)
    admin_a = gql(brand_a, make_user(brand_a, role=Role.BRAND_ADMIN))

    updated = admin_a.data(
        "mutation { brandUpdate(input: {merchantSignup: INVITE_ONLY}) { brand { merchantSignup } errors { code } } }"
    )["brandUpdate"]
    on_a = gql(brand_a).data(
        SIGNUP, {"input": {"email": "m@example.com", "password": PASSWORD, "role": "MERCHANT"}}
    )["signup"]
    on_b = gql(brand_b).data(
        SIGNUP, {"input": {"email": "m@example.com", "password": PASSWORD, "role": "MERCHANT"}}
    )["signup"]

    assert updated == {"brand": {"merchantSignup": "INVITE_ONLY"}, "errors": []}
    assert [e["code"] for e in on_a["errors"]] == ["MERCHANT_SIGNUP_BY_INVITATION"]
    assert on_b == {"ok": True, "awaitingApproval": True, "errors": []}
    assert gql(brand_b).data("{ brand { merchantSignup } }")["brand"]["merchantSignup"] == "APPROVAL"
    # An admin of brand A is nobody on brand B.
    body = gql(brand_b, None).execute(
        "mutation { brandUpdate(input: {merchantSignup: OPEN}) { errors { code } } }"
    )
    assert body["errors"][0]["extensions"]["code"] in {"FORBIDDEN", "UNAUTHENTICATED"}
    assert Tenant.objects.get(pk=brand_b.pk).merchant_signup == MerchantSignup.APPROVAL


def test_merchant_applications_are_per_brand(gql, brand_a, brand_b, policy):
    policy(brand_b, MerchantSignup.APPROVAL)
    gql(brand_b).data(
        SIGNUP, {"input": {"email": "b-shop@example.com", "password": PASSWORD, "role": "MERCHANT"}}
    )
    with tenant_context(brand_b):
        applicant = User.objects.get(email="b-shop@example.com")
    admin_a = gql(brand_a, make_user(brand_a, role=Role.BRAND_ADMIN))

    listed = admin_a.data("{ merchantApplications { email } }")["merchantApplications"]
    approve = admin_a.data(
        "mutation($id: ID!) { merchantApprove(userId: $id) { errors { code } } }", {"id": str(applicant.pk)}
    )["merchantApprove"]

    assert "b-shop@example.com" not in [row["email"] for row in listed]
    assert approve == {"errors": [{"code": "NOT_FOUND"}]}
    with tenant_context(brand_b):
        assert User.objects.get(pk=applicant.pk).role == Role.CUSTOMER


def test_a_merchant_cannot_use_or_refund_another_brands_sales(gql, brand_a, brand_b):
    """Brand A's coupon for A's product, and A's recorded sale, are unknown to a merchant of B
    (even one with the same user id), and nothing is written in either brand."""
    with tenant_context(brand_a):
        program = make_program(cascade_rates=[])
        merchant_a = make_user(brand_a, role=Role.MERCHANT)
        product = make_product(merchant_a, program=program)
        coupon_create(
            actor=None, affiliate=make_affiliate(brand_a, program), code="ONLY-A", offer_ref=product.offer_ref
        )
    with tenant_context(brand_b):
        make_program(cascade_rates=[])
    merchant_b = make_user(brand_b, role=Role.MERCHANT)
    recorded = gql(brand_a, merchant_a).data(
        RECORD, {"input": {"orderId": "X-1", "amount": "10.00", "currency": "EUR", "couponCode": "ONLY-A"}}
    )["conversionRecord"]
    assert recorded["errors"] == []

    on_b = gql(brand_b, merchant_b).data(
        RECORD, {"input": {"orderId": "X-1", "amount": "10.00", "currency": "EUR", "couponCode": "ONLY-A"}}
    )["conversionRecord"]
    refund_on_b = gql(brand_b, merchant_b).data(
        REFUND, {"input": {"orderId": "X-1", "refundId": "r", "chargeback": True}}
    )["conversionRefund"]

    assert [(e["field"], e["code"]) for e in on_b["errors"]] == [("couponCode", "NOT_ATTRIBUTED")]
    assert [(e["field"], e["code"]) for e in refund_on_b["errors"]] == [("orderId", "NOT_FOUND")]
    with tenant_context(brand_b):
        assert not Conversion.objects.exists()
    with tenant_context(brand_a):
        assert Conversion.objects.get(order_id="X-1").refunded_amount == 0
