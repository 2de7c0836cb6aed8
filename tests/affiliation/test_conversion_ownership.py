"""Conversions are bound to who may sell (issue 9): a merchant records and refunds sales only for
its own offers, within the program's maximum order value; brand admins and postback keys act
brand-wide; idempotency is scoped per merchant."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import close_old_connections, connection
from django_tenants.utils import tenant_context

from accounts.models import Role
from affiliation.models import Commission, Conversion, ConversionRefund
from affiliation.services import conversion_record, coupon_create, link_create
from ledger.models import LedgerEntry
from tests.affiliation.test_postbacks import fresh_ip, post_signed, sale
from tests.conftest import make_user
from tests.engine import make_affiliate, make_click, make_program
from tests.marketplace.builders import make_product

RECORD = """
mutation($input: ConversionInput!) {
  conversionRecord(input: $input) {
    created conversion { id orderId amount { amount currency } refundedAmount { amount } status }
    commissions { level amount { amount } }
    errors { field code message }
  }
}
"""
REFUND = """
mutation($input: ConversionRefundInput!) {
  conversionRefund(input: $input) {
    created conversion { orderId refundedAmount { amount } status }
    errors { field code message }
  }
}
"""


@pytest.fixture
def shop(brand_a):
    """Brand A: one program; merchants A and B each sell a product in it; affiliate X promotes
    B's product (coupon ``B-COUPON`` and a link bound to it), affiliate Y has a program-wide
    coupon ``WIDE``."""
    with tenant_context(brand_a):
        program = make_program(cascade_rates=[])
        merchant_a = make_user(brand_a, role=Role.MERCHANT)
        merchant_b = make_user(brand_a, role=Role.MERCHANT)
        product_a = make_product(merchant_a, program=program)
        product_b = make_product(merchant_b, program=program)
        promoter_a = make_affiliate(brand_a, program)
        promoter_b = make_affiliate(brand_a, program)
        wide = make_affiliate(brand_a, program)
        coupon_create(actor=None, affiliate=promoter_a, code="A-COUPON", offer_ref=product_a.offer_ref)
        coupon_create(actor=None, affiliate=promoter_b, code="B-COUPON", offer_ref=product_b.offer_ref)
        coupon_create(actor=None, affiliate=wide, code="WIDE")
        link_b = link_create(affiliate=promoter_b, offer_ref=product_b.offer_ref)
    return {
        "brand": brand_a,
        "program": program,
        "merchant_a": merchant_a,
        "merchant_b": merchant_b,
        "product_a": product_a,
        "product_b": product_b,
        "promoter_a": promoter_a,
        "promoter_b": promoter_b,
        "link_b": link_b,
    }


def _record(client, order_id="A-1", amount="100.00", **extra):
    variables = {"input": {"orderId": order_id, "amount": amount, "currency": "EUR", **extra}}
    return client.data(RECORD, variables)["conversionRecord"]


def _written(brand):
    with tenant_context(brand):
        return (
            Conversion.objects.count(),
            Commission.objects.count(),
            ConversionRefund.objects.count(),
            LedgerEntry.objects.count(),
        )


def test_the_attack_a_merchant_cannot_mint_a_commission_with_another_merchants_coupon(gql, shop):
    brand = shop["brand"]
    before = _written(brand)
    client = gql(brand, shop["merchant_a"])

    payload = _record(client, "evil-1", "99999999.99", couponCode="B-COUPON")

    assert payload["conversion"] is None
    assert payload["created"] is False
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("couponCode", "NOT_YOUR_OFFER")]
    assert _written(brand) == before


@pytest.mark.parametrize(
    "attribution",
    [
        {"couponCode": "WIDE"},  # a program-wide coupon: no merchant owns it
        {"couponCode": "B-COUPON", "offerRef": "product:{a}"},  # B's coupon, A's offer named
    ],
)
def test_a_merchant_cannot_use_a_coupon_not_bound_to_its_own_offer(gql, shop, attribution):
    brand = shop["brand"]
    before = _written(brand)
    attribution = {k: v.format(a=shop["product_a"].pk) for k, v in attribution.items()}

    payload = _record(gql(brand, shop["merchant_a"]), "evil-2", **attribution)

    assert payload["conversion"] is None
    assert [e["code"] for e in payload["errors"]] == ["NOT_YOUR_OFFER"]
    assert _written(brand) == before


def test_a_merchant_cannot_record_a_click_on_another_merchants_offer(gql, shop):
    brand = shop["brand"]
    with tenant_context(brand):
        click = make_click(shop["promoter_b"])  # on the link bound to B's product
    before = _written(brand)

    payload = _record(gql(brand, shop["merchant_a"]), "evil-3", clickId=str(click.id))

    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("clickId", "NOT_YOUR_OFFER")]
    assert _written(brand) == before


def test_a_merchant_records_a_sale_of_its_own_offer(gql, shop):
    brand = shop["brand"]

    payload = _record(gql(brand, shop["merchant_a"]), "shop-a-1", "50.00", couponCode="a-coupon")

    assert payload["errors"] == []
    assert payload["created"] is True
    assert payload["commissions"] == [{"level": 0, "amount": {"amount": "10.00"}}]
    with tenant_context(brand):
        conversion = Conversion.objects.get()
        assert (conversion.merchant_id, conversion.offer_ref) == (
            shop["merchant_a"].pk,
            shop["product_a"].offer_ref,
        )


def test_a_merchant_cannot_refund_another_merchants_conversion(gql, shop):
    brand = shop["brand"]
    client_b = gql(brand, shop["merchant_b"])
    recorded = _record(client_b, "B-7", "80.00", couponCode="B-COUPON")
    assert recorded["errors"] == []
    before = _written(brand)

    refund = gql(brand, shop["merchant_a"]).data(
        REFUND, {"input": {"orderId": "B-7", "refundId": "cb-1", "chargeback": True}}
    )["conversionRefund"]

    assert refund["conversion"] is None
    assert [(e["field"], e["code"]) for e in refund["errors"]] == [("orderId", "NOT_FOUND")]
    assert _written(brand) == before
    with tenant_context(brand):
        conversion = Conversion.objects.get(order_id="B-7")
        assert conversion.refunded_amount == 0
        assert conversion.commissions.get().reversed_amount == 0
    # Its own merchant still can.
    own = client_b.data(REFUND, {"input": {"orderId": "B-7", "refundId": "cb-1", "chargeback": True}})
    assert own["conversionRefund"]["errors"] == []
    assert own["conversionRefund"]["conversion"]["status"] == "reversed"


def test_an_amount_above_the_programs_maximum_is_a_field_error(gql, shop):
    brand = shop["brand"]
    admin = make_user(brand, role=Role.BRAND_ADMIN)
    before = _written(brand)
    client = gql(brand, shop["merchant_a"])

    too_much = _record(client, "big-1", "10000.01", couponCode="A-COUPON")

    assert too_much["conversion"] is None
    assert [(e["field"], e["code"]) for e in too_much["errors"]] == [("amount", "AMOUNT_ABOVE_MAXIMUM")]
    assert _written(brand) == before
    assert _record(client, "big-2", "10000.00", couponCode="A-COUPON")["errors"] == []
    # The brand admin raises the program's maximum; the same sale then passes.
    updated = gql(brand, admin).data(
        f'mutation {{ programUpdate(id: "{shop["program"].pk}", input: {{maxOrderValue: "20000.00"}}) '
        "{ program { maxOrderValue { amount currency } } errors { field code } } }"
    )["programUpdate"]
    assert updated == {"program": {"maxOrderValue": {"amount": "20000.00", "currency": "EUR"}}, "errors": []}
    assert _record(client, "big-1", "10000.01", couponCode="A-COUPON")["errors"] == []


def test_a_maximum_order_value_must_be_positive(gql, shop):
    admin = make_user(shop["brand"], role=Role.BRAND_ADMIN)

    payload = gql(shop["brand"], admin).data(
        f'mutation {{ programUpdate(id: "{shop["program"].pk}", input: {{maxOrderValue: "0"}}) '
        "{ errors { field code } } }"
    )["programUpdate"]

    assert payload["errors"] == [{"field": "maxOrderValue", "code": "INVALID"}]


def test_a_brand_admin_still_records_and_refunds_brand_wide(gql, shop):
    brand = shop["brand"]
    admin = gql(brand, make_user(brand, role=Role.BRAND_ADMIN))
    merchant_b = gql(brand, shop["merchant_b"])
    assert _record(merchant_b, "B-9", "40.00", couponCode="B-COUPON")["errors"] == []

    wide = _record(admin, "admin-1", "60.00", couponCode="WIDE")
    foreign = _record(admin, "admin-2", "60.00", couponCode="B-COUPON")
    refund = admin.data(
        REFUND,
        {"input": {"orderId": "B-9", "refundId": "r-1", "merchantId": str(shop["merchant_b"].pk)}},
    )["conversionRefund"]

    assert (wide["errors"], wide["created"]) == ([], True)
    assert (foreign["errors"], foreign["created"]) == ([], True)
    assert refund["errors"] == []
    assert refund["conversion"]["status"] == "reversed"


def test_a_postback_key_still_records_brand_wide(shop):
    brand = shop["brand"]
    with tenant_context(brand):
        from affiliation.postbacks import postback_key_create

        key = postback_key_create()
        click = make_click(shop["promoter_b"])

    response = post_signed(brand, sale(click.id, order_id="pb-1"), secret=key.secret, ip=fresh_ip())

    assert response.status_code == 201, response.content
    with tenant_context(brand):
        conversion = Conversion.objects.get(order_id="pb-1")
        assert conversion.merchant_id is None


def test_a_postback_above_the_programs_maximum_is_refused(shop):
    brand = shop["brand"]
    with tenant_context(brand):
        from affiliation.postbacks import postback_key_create

        key = postback_key_create()
        click = make_click(shop["promoter_b"])

    response = post_signed(
        brand, sale(click.id, order_id="pb-2", amount="10000.01"), secret=key.secret, ip=fresh_ip()
    )

    assert response.status_code == 422, response.content
    assert response.json()["error"]["code"] == "AMOUNT_ABOVE_MAXIMUM"
    with tenant_context(brand):
        assert not Conversion.objects.filter(order_id="pb-2").exists()


def test_the_same_order_id_from_two_merchants_does_not_collide(gql, shop):
    brand = shop["brand"]

    first_a = _record(gql(brand, shop["merchant_a"]), "ORDER-1", "30.00", couponCode="A-COUPON")
    first_b = _record(gql(brand, shop["merchant_b"]), "ORDER-1", "70.00", couponCode="B-COUPON")
    replay_b = _record(gql(brand, shop["merchant_b"]), "ORDER-1", "70.00", couponCode="B-COUPON")

    assert (first_a["created"], first_b["created"], replay_b["created"]) == (True, True, False)
    assert first_a["conversion"]["amount"]["amount"] == "30.00"
    assert first_b["conversion"]["amount"]["amount"] == "70.00"
    assert replay_b["conversion"]["id"] == first_b["conversion"]["id"]  # never A's
    with tenant_context(brand):
        assert Conversion.objects.filter(order_id="ORDER-1").count() == 2


def test_coupon_bound_to_an_offer_of_another_program_is_refused(shop):
    brand = shop["brand"]
    with tenant_context(brand):
        other = make_program()
        stranger = make_affiliate(brand, other)
        with pytest.raises(ValidationError) as caught:
            coupon_create(actor=None, affiliate=stranger, code="X-1", offer_ref=shop["product_a"].offer_ref)
    assert caught.value.error_dict["offerRef"][0].code == "INVALID"


@pytest.mark.live
@pytest.mark.parametrize("by_merchant", [True, False], ids=["merchant", "brand-wide"])
def test_two_concurrent_records_of_one_order_by_one_merchant_make_one_conversion(live_brands, by_merchant):
    """Same order, same caller, at once: one conversion. Brand-wide sales have no merchant; the
    constraint treats their nulls as equal (NULLS NOT DISTINCT), so they are one too."""
    brand, _ = live_brands
    with tenant_context(brand):
        program = make_program(cascade_rates=[])
        merchant = make_user(brand, role=Role.MERCHANT)
        product = make_product(merchant, program=program)
        promoter = make_affiliate(brand, program)
        coupon_create(actor=None, affiliate=promoter, code="RACE-1", offer_ref=product.offer_ref)
    count = 6
    barrier = threading.Barrier(count)
    outcomes: list[bool] = []
    lock = threading.Lock()

    def run() -> None:
        try:
            with tenant_context(brand):
                barrier.wait()
                result = conversion_record(
                    source="api",
                    order_id="RACE-ORDER",
                    amount="100.00",
                    currency="EUR",
                    coupon_code="RACE-1",
                    merchant=merchant if by_merchant else None,
                    actor=merchant,
                )
            with lock:
                outcomes.append(result.created)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == [False] * (count - 1) + [True]
    with tenant_context(brand):
        assert Conversion.objects.filter(order_id="RACE-ORDER").count() == 1
        assert Commission.objects.filter(conversion__order_id="RACE-ORDER").count() == 1
