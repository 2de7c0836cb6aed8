"""Merchants, products and categories: what is stored, what is refused, and who may do what."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import close_old_connections, connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Role
from affiliation.models import OfferRule
from billing.models import MerchantPlan
from core.models import AuditEvent
from marketplace.models import Category, MerchantProfile, Product
from marketplace.services import (
    category_create,
    category_update,
    product_commission_rule_set,
    product_promotion_set,
    product_status_set,
    product_update,
)
from tests.conftest import make_user
from tests.engine import make_program
from tests.marketplace.builders import make_merchant, make_product

CREATE = """
mutation($input: ProductCreateInput!) {
  productCreate(input: $input) {
    product {
      id slug title status currency descriptionHtml discountPercent
      price { amount currency } originalPrice { amount currency }
      highlights faq { question answer } location { address latitude longitude }
      minPerPurchase maxPerPurchase stock categories { slug } merchant { displayName slug }
    }
    errors { field code message }
  }
}
"""
UPDATE = """
mutation($id: ID!, $input: ProductInput!) {
  productUpdate(id: $id, input: $input) {
    product { id slug title price { amount } originalPrice { amount } discountPercent expiresAt }
    errors { field code message }
  }
}
"""
STATUS = """
mutation($id: ID!, $status: ProductStatus!) {
  productStatusSet(id: $id, status: $status) { product { status publishedAt } errors { field code } }
}
"""
BASE = {"title": "Hammam & massage for two", "originalPrice": "120.00", "price": "59.90"}


def _create(client, **fields):
    return client.data(CREATE, {"input": {**BASE, **fields}})["productCreate"]


def test_a_merchant_creates_a_draft_with_everything_a_deal_page_needs(gql, brand_a):
    merchant = make_merchant(brand_a)
    with tenant_context(brand_a):
        spa = category_create(actor=None, name="Spa")

    result = _create(
        gql(brand_a, merchant),
        descriptionHtml='<p onclick="steal()">Relax <a href="https://spa.example.com" target="_blank">here</a></p>'
        "<script>alert(1)</script><style>p{}</style><img src=x onerror=alert(1)>",
        highlights=["90 minutes", "  ", "Tea included"],
        faq=[{"question": "Parking?", "answer": "Free, on site."}],
        locationAddress="12 rue des Thermes, Paris",
        latitude="48.856613",
        longitude="2.352222",
        stock=40,
        minPerPurchase=1,
        maxPerPurchase=4,
        categoryIds=[str(spa.pk)],
    )

    assert result["errors"] == []
    product = result["product"]
    assert product["status"] == "DRAFT"
    assert product["slug"] == "hammam-massage-for-two"
    assert product["currency"] == "EUR"
    assert product["price"] == {"amount": "59.90", "currency": "EUR"}
    assert product["discountPercent"] == "50.08"  # 60.10 / 120 = 50.083…, rounded down
    assert product["descriptionHtml"] == (
        '<p>Relax <a href="https://spa.example.com" rel="noopener noreferrer">here</a></p>'
    )
    assert product["highlights"] == ["90 minutes", "Tea included"]
    assert product["location"] == {
        "address": "12 rue des Thermes, Paris",
        "latitude": "48.856613",
        "longitude": "2.352222",
    }
    assert product["categories"] == [{"slug": "spa"}]
    assert product["merchant"]["slug"]  # a profile is made on the first product
    with tenant_context(brand_a):
        row = Product.objects.get(pk=product["id"])
        assert row.search_vector is not None
        assert AuditEvent.objects.filter(action="product.created", target_id=str(row.pk)).exists()


def test_slugs_are_unique_and_editable(gql, brand_a):
    client = gql(brand_a, make_merchant(brand_a))

    first = _create(client)["product"]
    second = _create(client)["product"]
    taken = client.data(UPDATE, {"id": second["id"], "input": {"slug": first["slug"]}})["productUpdate"]
    renamed = client.data(UPDATE, {"id": second["id"], "input": {"slug": "Hammam Duo Paris"}})[
        "productUpdate"
    ]

    assert second["slug"] == "hammam-massage-for-two-2"
    assert taken["errors"] == [
        {"field": "slug", "code": "SLUG_TAKEN", "message": "Another product uses this address."}
    ]
    assert renamed["product"]["slug"] == "hammam-duo-paris"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"price": "-1.00"}, [("price", "NEGATIVE_PRICE")]),
        ({"originalPrice": "-5"}, [("originalPrice", "NEGATIVE_PRICE")]),
        ({"price": "130.00"}, [("price", "INCONSISTENT_PRICES")]),
        ({"price": "10.001"}, [("price", "PRICE_PRECISION")]),
        ({"currency": "USD"}, [("currency", "CURRENCY_MISMATCH")]),
        ({"minPerPurchase": 5, "maxPerPurchase": 2}, [("maxPerPurchase", "QUANTITY_BOUNDS")]),
        ({"minPerPurchase": 0}, [("minPerPurchase", "OUT_OF_RANGE")]),
        ({"stock": -3}, [("stock", "OUT_OF_RANGE")]),
        ({"latitude": "91"}, [("latitude", "OUT_OF_RANGE")]),
        ({"latitude": "45"}, [("longitude", "REQUIRED")]),
        ({"expiresAt": "2020-01-01T00:00:00+00:00"}, [("expiresAt", "IN_THE_PAST")]),
        ({"title": "  "}, [("title", "REQUIRED")]),
        ({"title": "x" * 161}, [("title", "TOO_LONG")]),
        ({"faq": [{"question": "Why?", "answer": ""}]}, [("faq", "REQUIRED")]),
        ({"categoryIds": ["999999"]}, [("categoryIds", "NOT_FOUND")]),
        (
            {"price": "-1", "minPerPurchase": 3, "maxPerPurchase": 1},
            [("price", "NEGATIVE_PRICE"), ("maxPerPurchase", "QUANTITY_BOUNDS")],
        ),
    ],
)
def test_bad_input_is_a_field_error_and_nothing_is_written(gql, brand_a, fields, expected):
    client = gql(brand_a, make_merchant(brand_a))

    result = _create(client, **fields)

    assert result["product"] is None
    assert sorted((error["field"], error["code"]) for error in result["errors"]) == sorted(expected)
    with tenant_context(brand_a):
        assert not Product.objects.exists()


def test_an_update_is_checked_against_the_stored_prices_and_bounds(gql, brand_a):
    client = gql(brand_a, make_merchant(brand_a))
    product = _create(client, maxPerPurchase=3)["product"]

    above = client.data(UPDATE, {"id": product["id"], "input": {"price": "150"}})["productUpdate"]
    bounds = client.data(UPDATE, {"id": product["id"], "input": {"minPerPurchase": 4}})["productUpdate"]
    cheaper = client.data(UPDATE, {"id": product["id"], "input": {"originalPrice": "200"}})["productUpdate"]

    assert [(e["field"], e["code"]) for e in above["errors"]] == [("price", "INCONSISTENT_PRICES")]
    assert above["product"]["price"] == {"amount": "59.90"}  # unchanged
    assert [(e["field"], e["code"]) for e in bounds["errors"]] == [("maxPerPurchase", "QUANTITY_BOUNDS")]
    assert cheaper["errors"] == []
    assert cheaper["product"]["discountPercent"] == "70.05"


def test_a_description_is_sanitized_on_update_too(brand_a):
    with tenant_context(brand_a):
        merchant = make_merchant(brand_a)
        product = make_product(merchant, active=False)

        product = product_update(
            actor=merchant,
            product=product,
            description_html='<h2 style="color:red">Menu</h2><iframe src="https://evil"></iframe>'
            '<a href="javascript:alert(1)">x</a><a href="data:text/html,hi">y</a><!-- hidden -->',
        )

    assert (
        product.description_html
        == '<h2>Menu</h2><a rel="noopener noreferrer">x</a><a rel="noopener noreferrer">y</a>'
    )


def test_status_moves_along_the_allowed_transitions(gql, brand_a):
    client = gql(brand_a, make_merchant(brand_a))
    product = _create(client)["product"]

    def move(status):
        return client.data(STATUS, {"id": product["id"], "status": status})["productStatusSet"]

    assert move("PAUSED")["errors"] == [{"field": "status", "code": "INVALID_TRANSITION"}]
    live = move("ACTIVE")
    assert live["product"]["status"] == "ACTIVE"
    assert live["product"]["publishedAt"]
    assert move("PAUSED")["product"]["status"] == "PAUSED"
    assert move("ACTIVE")["product"]["status"] == "ACTIVE"
    assert move("ARCHIVED")["product"]["status"] == "ARCHIVED"
    assert move("ACTIVE")["errors"] == [{"field": "status", "code": "INVALID_TRANSITION"}]
    assert move("DRAFT")["product"]["status"] == "DRAFT"


def test_an_expired_offer_cannot_go_live(brand_a):
    with tenant_context(brand_a):
        merchant = make_merchant(brand_a)
        product = make_product(merchant, active=False, expires_at=timezone.now() + dt.timedelta(hours=1))
        Product.objects.filter(pk=product.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
        product.refresh_from_db()

        with pytest.raises(ValidationError) as error:
            product_status_set(actor=merchant, product=product, status="active")

    assert error.value.error_dict["expiresAt"][0].code == "EXPIRED"


def _free_plan_of_two():
    return MerchantPlan.objects.create(
        code="free",
        name="Free",
        price=Decimal(0),
        currency="EUR",
        product_quota=2,
        platform_fee_rate=Decimal(10),
    )


def test_the_plan_quota_refuses_one_product_too_many_and_an_unarchived_one(gql, brand_a):
    merchant = make_merchant(brand_a)
    client = gql(brand_a, merchant)
    with tenant_context(brand_a):
        _free_plan_of_two()
    first = _create(client)["product"]
    _create(client)

    third = _create(client)
    client.data(STATUS, {"id": first["id"], "status": "ARCHIVED"})
    after_archiving = _create(client)
    back = client.data(STATUS, {"id": first["id"], "status": "DRAFT"})["productStatusSet"]

    assert third["product"] is None
    assert [(e["field"], e["code"]) for e in third["errors"]] == [(None, "PLAN_PRODUCT_QUOTA_REACHED")]
    assert after_archiving["errors"] == []
    assert back["errors"] == [{"field": None, "code": "PLAN_PRODUCT_QUOTA_REACHED"}]
    with tenant_context(brand_a):
        assert Product.objects.filter(merchant=merchant).count() == 3


@pytest.mark.live
def test_concurrent_creations_never_exceed_the_quota(live_brands):
    """Eight creations race for the last two slots of a Free plan of two: exactly two win."""
    brand, _ = live_brands
    with tenant_context(brand):
        _free_plan_of_two()
        merchant = make_merchant(brand)
    barrier = threading.Barrier(8)
    outcomes: list[str] = []
    lock = threading.Lock()

    def create(number: int) -> None:
        try:
            with tenant_context(brand):
                barrier.wait()
                try:
                    make_product(merchant, active=False, title=f"Race {number}")
                    outcome = "ok"
                except ValidationError as error:
                    outcome = error.messages and error.error_dict["__all__"][0].code
            with lock:
                outcomes.append(str(outcome))
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=create, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["PLAN_PRODUCT_QUOTA_REACHED"] * 6 + ["ok"] * 2
    with tenant_context(brand):
        assert Product.objects.filter(merchant=merchant).count() == 2


def test_promotion_is_for_brand_admins_and_there_is_one_deal_of_the_day(gql, brand_a):
    merchant = make_merchant(brand_a)
    admin = make_user(brand_a, role=Role.BRAND_ADMIN)
    with tenant_context(brand_a):
        first, second = make_product(merchant), make_product(merchant)
        draft = make_product(merchant, active=False)
    mutation = (
        "mutation($id: ID!, $f: Boolean, $d: Boolean) { productPromotionSet(id: $id, featured: $f, "
        "dealOfTheDay: $d) { product { isFeatured isDealOfTheDay } errors { field code } } }"
    )

    by_merchant = gql(brand_a, merchant).execute(mutation, {"id": str(first.pk), "d": True})
    picked = gql(brand_a, admin).data(mutation, {"id": str(first.pk), "d": True, "f": True})
    moved = gql(brand_a, admin).data(mutation, {"id": str(second.pk), "d": True})
    not_live = gql(brand_a, admin).data(mutation, {"id": str(draft.pk), "d": True})

    assert by_merchant["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert picked["productPromotionSet"]["product"] == {"isFeatured": True, "isDealOfTheDay": True}
    assert moved["productPromotionSet"]["product"]["isDealOfTheDay"] is True
    assert not_live["productPromotionSet"]["errors"] == [
        {"field": "dealOfTheDay", "code": "PRODUCT_UNAVAILABLE"}
    ]
    with tenant_context(brand_a):
        assert list(Product.objects.filter(is_deal_of_the_day=True)) == [second]
        assert Product.objects.get(pk=first.pk).is_featured


@pytest.mark.live
def test_concurrent_deal_of_the_day_picks_leave_exactly_one(live_brands):
    brand, _ = live_brands
    with tenant_context(brand):
        merchant = make_merchant(brand)
        admin = make_user(brand, role=Role.BRAND_ADMIN)
        products = [make_product(merchant) for _ in range(6)]
    barrier = threading.Barrier(len(products))
    failures: list[BaseException] = []

    def pick(product: Product) -> None:
        try:
            with tenant_context(brand):
                barrier.wait()
                product_promotion_set(actor=admin, product=product, deal_of_the_day=True)
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=pick, args=(product,)) for product in products]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert failures == []
    with tenant_context(brand):
        assert Product.objects.filter(is_deal_of_the_day=True).count() == 1


def test_pausing_the_deal_of_the_day_unsets_it(brand_a):
    with tenant_context(brand_a):
        merchant = make_merchant(brand_a)
        product = make_product(merchant)
        product_promotion_set(actor=None, product=product, deal_of_the_day=True)

        paused = product_status_set(actor=merchant, product=product, status="paused")

    assert paused.is_deal_of_the_day is False


def test_categories_form_a_tree_without_cycles(gql, brand_a):
    admin = make_user(brand_a, role=Role.BRAND_ADMIN)
    client = gql(brand_a, admin)
    create = (
        "mutation($input: CategoryInput!) { categoryCreate(input: $input) "
        "{ category { id slug parentId } errors { field code } } }"
    )
    update = (
        "mutation($id: ID!, $input: CategoryInput!) { categoryUpdate(id: $id, input: $input) "
        "{ category { id parentId } errors { field code } } }"
    )
    wellness = client.data(create, {"input": {"name": "Wellness"}})["categoryCreate"]["category"]
    spa = client.data(create, {"input": {"name": "Spa", "parentId": wellness["id"]}})["categoryCreate"][
        "category"
    ]
    hammam = client.data(create, {"input": {"name": "Hammam", "parentId": spa["id"]}})["categoryCreate"][
        "category"
    ]

    cycle = client.data(update, {"id": wellness["id"], "input": {"parentId": hammam["id"]}})["categoryUpdate"]
    itself = client.data(update, {"id": spa["id"], "input": {"parentId": spa["id"]}})["categoryUpdate"]
    to_root = client.data(update, {"id": hammam["id"], "input": {"parentId": None}})["categoryUpdate"]
    taken = client.data(create, {"input": {"name": "Other", "slug": "spa"}})["categoryCreate"]
    tree = client.data("{ categories { slug children { slug children { slug } } } }")["categories"]
    by_merchant = gql(brand_a, make_merchant(brand_a)).execute(create, {"input": {"name": "Mine"}})

    assert cycle["errors"] == [{"field": "parentId", "code": "CATEGORY_CYCLE"}]
    assert itself["errors"] == [{"field": "parentId", "code": "CATEGORY_CYCLE"}]
    assert to_root["category"]["parentId"] is None
    assert taken["errors"] == [{"field": "slug", "code": "SLUG_TAKEN"}]
    assert tree == [
        {"slug": "hammam", "children": []},
        {"slug": "wellness", "children": [{"slug": "spa", "children": []}]},
    ]
    assert by_merchant["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_a_category_with_children_cannot_be_deleted(gql, brand_a):
    admin = make_user(brand_a, role=Role.BRAND_ADMIN)
    with tenant_context(brand_a):
        parent = category_create(actor=admin, name="Food")
        child = category_create(actor=admin, name="Pizza", parent=parent)
    delete = "mutation($id: ID!) { categoryDelete(id: $id) { deletedId errors { field code } } }"

    refused = gql(brand_a, admin).data(delete, {"id": str(parent.pk)})["categoryDelete"]
    leaf = gql(brand_a, admin).data(delete, {"id": str(child.pk)})["categoryDelete"]

    assert refused["errors"] == [{"field": "id", "code": "CATEGORY_NOT_EMPTY"}]
    assert leaf == {"deletedId": str(child.pk), "errors": []}
    with tenant_context(brand_a):
        assert list(Category.objects.values_list("slug", flat=True)) == ["food"]


def test_categories_nest_at_most_five_levels(brand_a):
    with tenant_context(brand_a):
        parent = None
        for level in range(5):
            parent = category_create(actor=None, name=f"Level {level}", parent=parent)
        with pytest.raises(ValidationError) as error:
            category_create(actor=None, name="Too deep", parent=parent)
        top = Category.objects.get(slug="level-0")
        lonely = category_create(actor=None, name="Lonely")
        with pytest.raises(ValidationError) as moved:
            category_update(actor=None, category=top, move=True, parent=lonely)

    assert error.value.error_dict["parentId"][0].code == "CATEGORY_TOO_DEEP"
    assert moved.value.error_dict["parentId"][0].code == "CATEGORY_TOO_DEEP"


def test_the_commission_rule_of_a_product_is_an_offer_rule_of_its_program(gql, brand_a):
    merchant = make_merchant(brand_a)
    client = gql(brand_a, merchant)
    with tenant_context(brand_a):
        program = make_program(cascade_rates=[Decimal(10), Decimal(5)])
        product = make_product(merchant, program=program)
    mutation = (
        "mutation($p: ID!, $k: ProductCommissionKind, $r: Decimal, $f: Decimal) { productCommissionRuleSet("
        "productId: $p, kind: $k, rate: $r, flatAmount: $f) { rule { kind rate flatAmount { amount } } "
        "product { commissionRule { kind rate } } errors { field code } } }"
    )

    too_high = client.data(mutation, {"p": str(product.pk), "k": "PERCENTAGE", "r": "90"})
    flat_too_high = client.data(mutation, {"p": str(product.pk), "k": "FLAT", "f": "50.00"})
    flat = client.data(mutation, {"p": str(product.pk), "k": "FLAT", "f": "7.50"})
    percent = client.data(mutation, {"p": str(product.pk), "k": "PERCENTAGE", "r": "35"})

    assert too_high["productCommissionRuleSet"]["errors"] == [{"field": "rate", "code": "RATES_TOO_HIGH"}]
    assert flat_too_high["productCommissionRuleSet"]["errors"] == [
        {"field": "flatAmount", "code": "COMMISSION_TOO_HIGH"}
    ]
    assert flat["productCommissionRuleSet"]["rule"] == {
        "kind": "FLAT",
        "rate": None,
        "flatAmount": {"amount": "7.50"},
    }
    assert percent["productCommissionRuleSet"]["product"]["commissionRule"] == {
        "kind": "PERCENTAGE",
        "rate": "35.00",
    }
    with tenant_context(brand_a):
        rule = OfferRule.objects.get()
        assert (rule.program_id, rule.offer_ref, rule.rate) == (
            program.pk,
            f"product:{product.pk}",
            Decimal(35),
        )
        product_commission_rule_set(actor=merchant, product=product, kind=None)
        assert not OfferRule.objects.exists()


def test_a_product_without_program_has_no_commission_rule(brand_a):
    with tenant_context(brand_a):
        merchant = make_merchant(brand_a)
        product = make_product(merchant, program=None)
        with pytest.raises(ValidationError) as error:
            product_commission_rule_set(actor=merchant, product=product, kind="percentage", rate="10")

    assert error.value.error_dict["productId"][0].code == "NO_PROGRAM"


def test_a_product_defaults_to_the_brands_program_in_its_currency(brand_a):
    with tenant_context(brand_a):
        make_program(currency="USD", name="Dollars")
        euros = make_program(currency="EUR", name="Euros")
        product = make_product(make_merchant(brand_a))

    assert product.program_id == euros.pk
    assert product.currency == "EUR"


def test_merchants_keep_a_public_profile(gql, brand_a):
    merchant = make_merchant(brand_a)
    mutation = (
        "mutation($input: MerchantProfileInput!) { merchantProfileUpdate(input: $input) "
        "{ merchant { displayName slug website } errors { field code } } }"
    )

    saved = gql(brand_a, merchant).data(
        mutation, {"input": {"displayName": "Le Spa", "slug": "le-spa", "website": "https://lespa.example"}}
    )
    bad = gql(brand_a, merchant).data(mutation, {"input": {"website": "javascript:alert(1)"}})
    public = gql(brand_a).data('{ merchant(slug: "le-spa") { displayName } }')

    assert saved["merchantProfileUpdate"] == {
        # Stored as browsers read it (core.web_urls): an empty path is "/".
        "merchant": {"displayName": "Le Spa", "slug": "le-spa", "website": "https://lespa.example/"},
        "errors": [],
    }
    assert bad["merchantProfileUpdate"]["errors"] == [{"field": "website", "code": "INVALID"}]
    assert public["merchant"] == {"displayName": "Le Spa"}
    with tenant_context(brand_a):
        assert MerchantProfile.objects.get().user_id == merchant.pk


@pytest.mark.parametrize("role", [None, Role.AFFILIATE, Role.CUSTOMER])
def test_only_merchants_and_brand_admins_create_products(gql, brand_a, role):
    user = make_user(brand_a, role=role) if role else None

    body = gql(brand_a, user).execute(CREATE, {"input": BASE})

    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    with tenant_context(brand_a):
        assert not Product.objects.exists()


def test_a_brand_admin_creates_for_a_named_merchant(gql, brand_a):
    admin = make_user(brand_a, role=Role.BRAND_ADMIN)
    merchant = make_merchant(brand_a)

    without = gql(brand_a, admin).data(CREATE, {"input": BASE})["productCreate"]
    with_merchant = gql(brand_a, admin).data(CREATE, {"input": {**BASE, "merchantId": str(merchant.pk)}})

    assert without["errors"] == [
        {"field": "merchantId", "code": "REQUIRED", "message": "Choose the merchant."}
    ]
    assert with_merchant["productCreate"]["errors"] == []
    with tenant_context(brand_a):
        assert Product.objects.get().merchant_id == merchant.pk


def test_another_merchants_product_answers_like_a_missing_one(gql, brand_a):
    owner, other = make_merchant(brand_a), make_merchant(brand_a)
    admin = make_user(brand_a, role=Role.BRAND_ADMIN)
    with tenant_context(brand_a):
        product = make_product(owner, active=False)
    variables = {"id": str(product.pk), "input": {"title": "Mine now"}}

    foreign = gql(brand_a, other).execute(UPDATE, variables)
    missing = gql(brand_a, other).execute(UPDATE, {**variables, "id": str(product.pk + 999)})
    by_admin = gql(brand_a, admin).data(UPDATE, variables)["productUpdate"]

    assert foreign["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert foreign["errors"][0]["message"] == missing["errors"][0]["message"]
    assert by_admin["product"]["title"] == "Mine now"
