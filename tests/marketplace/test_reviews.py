"""Reviews: verified buyers only, once each, and an average that no race can bend."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import close_old_connections, connection
from django_tenants.utils import tenant_context

from accounts.models import Role
from marketplace.models import OrderStatus, Product, Review
from marketplace.services import review_create
from tests.conftest import make_user
from tests.marketplace.builders import make_merchant, make_paid_order, make_product

REVIEW = """
mutation($p: ID!, $r: Int!, $t: String!, $b: String!) {
  reviewCreate(productId: $p, rating: $r, title: $t, body: $b) {
    review { rating title body authorName }
    errors { field code message }
  }
}
"""


@pytest.fixture
def deal(brand_a):
    with tenant_context(brand_a):
        return make_product(make_merchant(brand_a))


def _customer(brand, name: str = "Ana Lopez"):
    customer = make_user(brand, role=Role.CUSTOMER)
    with tenant_context(brand):
        customer.full_name = name
        customer.save(update_fields=["full_name"])
    return customer


def test_a_verified_buyer_reviews_once_and_the_average_follows(gql, brand_a, deal):
    ana, bob = _customer(brand_a), _customer(brand_a, "Bob")
    with tenant_context(brand_a):
        make_paid_order(ana, deal)
        make_paid_order(bob, deal)
    variables = {"p": str(deal.pk), "t": "Lovely", "b": "Staff were great."}

    first = gql(brand_a, ana).data(REVIEW, {**variables, "r": 5})["reviewCreate"]
    again = gql(brand_a, ana).data(REVIEW, {**variables, "r": 1})["reviewCreate"]
    gql(brand_a, bob).data(REVIEW, {**variables, "r": 2})
    summary = gql(brand_a).data(
        "query($id: ID!) { product(id: $id) { reviewSummary { count average distribution { rating count } } } }",
        {"id": str(deal.pk)},
    )["product"]["reviewSummary"]

    assert first == {
        "review": {"rating": 5, "title": "Lovely", "body": "Staff were great.", "authorName": "Ana L."},
        "errors": [],
    }
    assert again["errors"] == [
        {"field": "productId", "code": "ALREADY_REVIEWED", "message": "You have already reviewed this deal."}
    ]
    assert summary["count"] == 2
    assert summary["average"] == "3.50"
    assert summary["distribution"] == [
        {"rating": 1, "count": 0},
        {"rating": 2, "count": 1},
        {"rating": 3, "count": 0},
        {"rating": 4, "count": 0},
        {"rating": 5, "count": 1},
    ]


@pytest.mark.parametrize(
    "status", [None, OrderStatus.PENDING_PAYMENT, OrderStatus.REFUNDED, OrderStatus.CANCELLED]
)
def test_only_a_paid_unrefunded_order_makes_a_verified_buyer(gql, brand_a, deal, status):
    customer = _customer(brand_a)
    if status is not None:
        with tenant_context(brand_a):
            make_paid_order(customer, deal, status=status)

    result = gql(brand_a, customer).data(REVIEW, {"p": str(deal.pk), "r": 4, "t": "", "b": ""})[
        "reviewCreate"
    ]

    assert [(e["field"], e["code"]) for e in result["errors"]] == [("productId", "NOT_A_BUYER")]
    with tenant_context(brand_a):
        assert not Review.objects.exists()


def test_an_order_of_another_product_does_not_count(gql, brand_a, deal):
    customer = _customer(brand_a)
    with tenant_context(brand_a):
        make_paid_order(customer, make_product(deal.merchant))

    result = gql(brand_a, customer).data(REVIEW, {"p": str(deal.pk), "r": 4, "t": "", "b": ""})[
        "reviewCreate"
    ]

    assert result["errors"][0]["code"] == "NOT_A_BUYER"


@pytest.mark.parametrize(
    ("rating", "field", "code"), [(0, "rating", "OUT_OF_RANGE"), (6, "rating", "OUT_OF_RANGE")]
)
def test_ratings_go_from_one_to_five(gql, brand_a, deal, rating, field, code):
    customer = _customer(brand_a)
    with tenant_context(brand_a):
        make_paid_order(customer, deal)

    result = gql(brand_a, customer).data(REVIEW, {"p": str(deal.pk), "r": rating, "t": "", "b": ""})

    assert [(e["field"], e["code"]) for e in result["reviewCreate"]["errors"]] == [(field, code)]


def test_anonymous_visitors_cannot_review(gql, brand_a, deal):
    body = gql(brand_a).execute(REVIEW, {"p": str(deal.pk), "r": 5, "t": "", "b": ""})

    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_reviews_are_listed_newest_first_by_pages(gql, brand_a, deal):
    with tenant_context(brand_a):
        for number in range(5):
            customer = _customer(brand_a, f"Buyer{number}")
            make_paid_order(customer, deal)
            review_create(author=customer, product=deal, rating=1 + number % 5, title=f"R{number}")
    query = (
        "query($p: ID!, $after: String) { productReviews(productId: $p, first: 2, after: $after) "
        "{ totalCount edges { node { title } } pageInfo { hasNextPage endCursor } } }"
    )
    client = gql(brand_a)

    titles, after = [], None
    while True:
        page = client.data(query, {"p": str(deal.pk), "after": after})["productReviews"]
        titles += [edge["node"]["title"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    assert page["totalCount"] == 5
    assert titles == ["R4", "R3", "R2", "R1", "R0"]


@pytest.mark.live
def test_concurrent_reviews_all_count_in_the_average(live_brands):
    """Ten buyers review at once: the count is ten and the average is exact."""
    brand, _ = live_brands
    with tenant_context(brand):
        product = make_product(make_merchant(brand))
        buyers = []
        for _ in range(10):
            buyer = make_user(brand, role=Role.CUSTOMER)
            make_paid_order(buyer, product)
            buyers.append(buyer)
    barrier = threading.Barrier(len(buyers))
    failures: list[BaseException] = []

    def review(buyer, rating: int) -> None:
        try:
            with tenant_context(brand):
                barrier.wait()
                review_create(author=buyer, product=product, rating=rating)
        except Exception as error:  # noqa: BLE001 - reported below
            failures.append(error)
        finally:
            close_old_connections()
            connection.close()

    ratings = [5, 4, 3, 5, 1, 2, 5, 4, 4, 3]
    threads = [threading.Thread(target=review, args=pair) for pair in zip(buyers, ratings, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert failures == []
    with tenant_context(brand):
        product = Product.objects.get(pk=product.pk)
        assert product.rating_count == 10
        assert product.rating_average == Decimal("3.60")
