"""Affiliation requests: ask, decide, auto-approve, and tracked links to approved products only."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django_tenants.utils import tenant_context

from accounts.models import Role
from affiliation.models import AffiliateStatus, Link
from affiliation.services import conversion_record
from marketplace.models import AffiliationRequest
from marketplace.services import product_commission_rule_set, product_status_set
from tests.conftest import make_user
from tests.engine import make_affiliate, make_click, make_program
from tests.marketplace.builders import make_merchant, make_product

ASK = """
mutation($p: ID!, $m: String!) {
  productAffiliationRequest(productId: $p, message: $m) {
    request { id status message decisionNote product { slug } affiliateEmail }
    errors { field code message }
  }
}
"""
DECIDE = """
mutation($r: ID!, $a: Boolean!, $n: String!) {
  productAffiliationDecide(requestId: $r, approve: $a, note: $n) {
    request { status decisionNote decidedAt }
    errors { field code }
  }
}
"""
LINK = """
mutation($p: ID!) {
  productLinkCreate(productId: $p, title: "", utm: {utm_source: "ig"}) {
    link { url targetUrl title }
    errors { field code message }
  }
}
"""


@pytest.fixture
def world(gql, brand_a):
    with tenant_context(brand_a):
        program = make_program(cascade_rates=[])
        merchant = make_merchant(brand_a)
        product = make_product(merchant, program=program, title="Kayak tour")
        affiliate = make_affiliate(brand_a, program)
    return {
        "program": program,
        "merchant": merchant,
        "product": product,
        "affiliate": affiliate,
        "as_affiliate": gql(brand_a, affiliate.user),
        "as_merchant": gql(brand_a, merchant),
    }


def test_ask_approve_then_link_to_the_product_page(world, brand_a):
    product = world["product"]
    asked = world["as_affiliate"].data(ASK, {"p": str(product.pk), "m": "I run a travel blog."})
    before = world["as_affiliate"].data(LINK, {"p": str(product.pk)})["productLinkCreate"]
    inbox = world["as_merchant"].data(
        "{ productAffiliationRequests(status: PENDING) { totalCount edges { node { id message affiliateEmail } } } }"
    )["productAffiliationRequests"]
    decided = world["as_merchant"].data(
        DECIDE, {"r": asked["productAffiliationRequest"]["request"]["id"], "a": True, "n": "Welcome!"}
    )["productAffiliationDecide"]
    link = world["as_affiliate"].data(LINK, {"p": str(product.pk)})["productLinkCreate"]

    assert asked["productAffiliationRequest"]["request"]["status"] == "PENDING"
    assert before["link"] is None
    assert before["errors"] == [
        {
            "field": "productId",
            "code": "NOT_APPROVED_FOR_PRODUCT",
            "message": "Ask to promote this product and wait for the merchant's approval.",
        }
    ]
    assert inbox["totalCount"] == 1
    assert inbox["edges"][0]["node"]["message"] == "I run a travel blog."
    assert decided["request"]["status"] == "APPROVED"
    assert decided["request"]["decisionNote"] == "Welcome!"
    domain = brand_a.domains.get().domain
    assert link["errors"] == []
    assert link["link"]["targetUrl"] == f"https://{domain}/deals/{product.slug}"
    assert link["link"]["title"] == "Kayak tour"
    with tenant_context(brand_a):
        assert Link.objects.get().offer_ref == f"product:{product.pk}"


def test_a_sale_through_the_product_link_pays_the_products_own_rule(world, brand_a):
    product, affiliate = world["product"], world["affiliate"]
    with tenant_context(brand_a):
        product.affiliation_auto_approve = True
        product.save(update_fields=["affiliation_auto_approve"])
    world["as_affiliate"].data(ASK, {"p": str(product.pk), "m": ""})
    world["as_affiliate"].data(LINK, {"p": str(product.pk)})
    with tenant_context(brand_a):
        product_commission_rule_set(actor=None, product=product, kind="flat", flat_amount="7.50")
        click = make_click(affiliate)  # on the product link, the affiliate's only one
        assert click.link.offer_ref == product.offer_ref
        result = conversion_record(
            source="api",
            order_id="kayak-1",
            amount="49.90",
            currency="EUR",
            click_id=str(click.id),
            offer_ref=product.offer_ref,
        )

    assert [commission.amount for commission in result.commissions] == [Decimal("7.50")]


def test_auto_approving_products_answer_at_once(world, brand_a):
    product = world["product"]
    with tenant_context(brand_a):
        product.affiliation_auto_approve = True
        product.save(update_fields=["affiliation_auto_approve"])

    asked = world["as_affiliate"].data(ASK, {"p": str(product.pk), "m": ""})["productAffiliationRequest"]
    link = world["as_affiliate"].data(LINK, {"p": str(product.pk)})["productLinkCreate"]

    assert asked["request"]["status"] == "APPROVED"
    assert asked["request"]["decisionNote"] == "Approved automatically."
    assert link["errors"] == []


def test_a_rejected_affiliate_gets_no_link_and_may_ask_again(world):
    product = world["product"]
    request_id = world["as_affiliate"].data(ASK, {"p": str(product.pk), "m": "Please"})[
        "productAffiliationRequest"
    ]["request"]["id"]
    rejected = world["as_merchant"].data(DECIDE, {"r": request_id, "a": False, "n": "Not a fit."})
    twice = world["as_merchant"].data(DECIDE, {"r": request_id, "a": True, "n": ""})
    link = world["as_affiliate"].data(LINK, {"p": str(product.pk)})["productLinkCreate"]
    mine = world["as_affiliate"].data(
        "{ myProductAffiliationRequests { edges { node { status decisionNote } } } }"
    )["myProductAffiliationRequests"]
    again = world["as_affiliate"].data(ASK, {"p": str(product.pk), "m": "Reconsider?"})
    duplicate = world["as_affiliate"].data(ASK, {"p": str(product.pk), "m": "Hello?"})

    assert rejected["productAffiliationDecide"]["request"]["status"] == "REJECTED"
    assert twice["productAffiliationDecide"]["errors"] == [{"field": "requestId", "code": "ALREADY_DECIDED"}]
    assert link["errors"][0]["code"] == "NOT_APPROVED_FOR_PRODUCT"
    assert mine["edges"] == [{"node": {"status": "REJECTED", "decisionNote": "Not a fit."}}]
    assert again["productAffiliationRequest"]["request"]["status"] == "PENDING"
    assert duplicate["productAffiliationRequest"]["errors"][0]["code"] == "ALREADY_REQUESTED"


def test_only_approved_members_of_the_products_program_may_ask(gql, world, brand_a):
    product = world["product"]
    stranger = make_user(brand_a, role=Role.AFFILIATE)
    with tenant_context(brand_a):
        pending = make_affiliate(brand_a, world["program"])
        pending.status = AffiliateStatus.PENDING
        pending.save(update_fields=["status"])

    for user in (stranger, pending.user):
        result = gql(brand_a, user).data(ASK, {"p": str(product.pk), "m": ""})["productAffiliationRequest"]
        assert [(e["field"], e["code"]) for e in result["errors"]] == [("productId", "NOT_AN_AFFILIATE")]
    with tenant_context(brand_a):
        assert not AffiliationRequest.objects.exists()


def test_a_paused_product_takes_no_requests_and_gives_no_links(world, brand_a):
    product = world["product"]
    world["as_affiliate"].data(ASK, {"p": str(product.pk), "m": ""})
    with tenant_context(brand_a):
        request = AffiliationRequest.objects.get()
    world["as_merchant"].data(DECIDE, {"r": str(request.pk), "a": True, "n": ""})
    with tenant_context(brand_a):
        product_status_set(actor=None, product=product, status="paused")

    link = world["as_affiliate"].execute(LINK, {"p": str(product.pk)})

    assert link["errors"][0]["extensions"]["code"] == "NOT_FOUND"  # no longer public


def test_only_the_products_merchant_or_an_admin_decides(gql, world, brand_a):
    product = world["product"]
    request_id = world["as_affiliate"].data(ASK, {"p": str(product.pk), "m": ""})[
        "productAffiliationRequest"
    ]["request"]["id"]
    other_merchant = gql(brand_a, make_merchant(brand_a))
    admin = gql(brand_a, make_user(brand_a, role=Role.BRAND_ADMIN))

    foreign = other_merchant.execute(DECIDE, {"r": request_id, "a": True, "n": ""})
    by_affiliate = world["as_affiliate"].execute(DECIDE, {"r": request_id, "a": True, "n": ""})
    other_inbox = other_merchant.data("{ productAffiliationRequests { totalCount } }")
    by_admin = admin.data(DECIDE, {"r": request_id, "a": False, "n": "Policy"})["productAffiliationDecide"]

    assert foreign["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert by_affiliate["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert other_inbox["productAffiliationRequests"]["totalCount"] == 0
    assert by_admin["request"]["status"] == "REJECTED"


def test_the_inbox_filters_by_product_and_status(gql, world, brand_a):
    with tenant_context(brand_a):
        second = make_product(world["merchant"], program=world["program"], title="Bike tour")
        others = [make_affiliate(brand_a, world["program"]) for _ in range(2)]
    for affiliate in others:
        gql(brand_a, affiliate.user).data(ASK, {"p": str(second.pk), "m": ""})
    world["as_affiliate"].data(ASK, {"p": str(world["product"].pk), "m": ""})
    query = (
        "query($p: ID, $s: AffiliationRequestStatus) { productAffiliationRequests(productId: $p, status: $s) "
        "{ totalCount } }"
    )

    def count(**variables):
        return world["as_merchant"].data(query, variables)["productAffiliationRequests"]["totalCount"]

    assert count() == 3
    assert count(p=str(second.pk)) == 2
    assert count(s="APPROVED") == 0
