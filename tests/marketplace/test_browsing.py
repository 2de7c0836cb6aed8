"""Browsing the marketplace: filters, full-text search, sorts, cursor pages, constant query
counts, product pages with their SEO data, the category tree, the sitemap and robots.txt."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Role
from marketplace.models import Product
from marketplace.services import (
    category_create,
    product_promotion_set,
    product_status_set,
)
from tests.conftest import make_user
from tests.marketplace.builders import add_image, image_bytes, make_merchant, make_product

PAGE = """
query($filter: MarketplaceFilter, $sort: MarketplaceSort, $first: Int, $after: String) {
  marketplace(filter: $filter, sort: $sort, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { slug } }
  }
}
"""
FULL_PAGE = """
query($first: Int) {
  marketplace(first: $first, sort: NEWEST) {
    totalCount
    edges { node {
      id slug title url price { amount currency } discountPercent isAvailable
      images { url thumbnailUrl altText }
      categories { slug url }
      merchant { displayName slug }
      reviewSummary { count average distribution { rating count } }
      commissionRule { kind }
      seo { title description canonicalUrl openGraphImage }
    } }
  }
}
"""


def _slugs(client, **variables):
    return [edge["node"]["slug"] for edge in client.data(PAGE, variables)["marketplace"]["edges"]]


@pytest.fixture
def catalog(brand_a):
    """Five live deals and what is hidden from the public (a draft, a paused and an expired one)."""
    now = timezone.now()
    with tenant_context(brand_a):
        merchant = make_merchant(brand_a)
        food = category_create(actor=None, name="Food")
        pizza = category_create(actor=None, name="Pizza", parent=food)
        spa = category_create(actor=None, name="Spa")
        deals = {
            "pizza": make_product(
                merchant,
                title="Pizza night for two",
                summary="Wood-fired pizza in Paris",
                original_price=Decimal("40"),
                price=Decimal("20"),
                category_ids=[pizza.pk],
                location_address="5 rue de Rivoli, Paris",
            ),
            "bistro": make_product(
                merchant,
                title="Bistro lunch",
                summary="Three courses",
                description_html="<p>Starter, main and a pizza-style dessert.</p>",
                original_price=Decimal("30"),
                price=Decimal("27"),
                category_ids=[food.pk],
                location_address="Lyon",
                expires_at=now + dt.timedelta(hours=5),
            ),
            "massage": make_product(
                merchant,
                title="Massage escape",
                summary="An hour of massage",
                original_price=Decimal("100"),
                price=Decimal("60"),
                category_ids=[spa.pk],
                expires_at=now + dt.timedelta(days=10),
            ),
            "hammam": make_product(
                merchant,
                title="Hammam ritual",
                summary="Steam, scrub and a massage",
                original_price=Decimal("90"),
                price=Decimal("45"),
                category_ids=[spa.pk],
            ),
            "cinema": make_product(
                merchant, title="Cinema pass", original_price=Decimal("12"), price=Decimal("9")
            ),
        }
        Product.objects.filter(pk=deals["massage"].pk).update(
            sold_count=40, rating_average=Decimal("4.5"), rating_count=8
        )
        Product.objects.filter(pk=deals["hammam"].pk).update(
            sold_count=10, rating_average=Decimal("4.5"), rating_count=20
        )
        Product.objects.filter(pk=deals["cinema"].pk).update(
            sold_count=99, rating_average=Decimal("3.1"), rating_count=3
        )
        product_promotion_set(actor=None, product=deals["hammam"], featured=True, deal_of_the_day=True)
        make_product(merchant, active=False, title="Draft pizza")
        paused = make_product(merchant, title="Paused pizza")
        product_status_set(actor=None, product=paused, status="paused")
        expired = make_product(merchant, title="Expired pizza", expires_at=now + dt.timedelta(hours=1))
        Product.objects.filter(pk=expired.pk).update(expires_at=now - dt.timedelta(minutes=1))
    return {key: product.slug for key, product in deals.items()}


def test_the_public_sees_only_live_deals(gql, brand_a, catalog):
    slugs = _slugs(gql(brand_a), sort="NEWEST")

    assert slugs == [catalog[key] for key in ("cinema", "hammam", "massage", "bistro", "pizza")]


@pytest.mark.parametrize(
    ("filter", "expected"),
    [
        ({"categorySlug": "food"}, ["bistro", "pizza"]),  # with its subcategory
        ({"categorySlug": "pizza"}, ["pizza"]),
        ({"categorySlug": "nothing-here"}, []),
        ({"minPrice": "20", "maxPrice": "45"}, ["hammam", "bistro", "pizza"]),
        ({"minDiscount": "40"}, ["hammam", "massage", "pizza"]),
        ({"featured": True}, ["hammam"]),
        ({"dealOfTheDay": True}, ["hammam"]),
        ({"expiringWithinHours": 24}, ["bistro"]),
        ({"location": "paris"}, ["pizza"]),
        ({"search": "pizza"}, ["pizza", "bistro"]),
        ({"search": "massage -hammam"}, ["massage"]),
        ({"search": '"wood-fired pizza"'}, ["pizza"]),
        ({"search": "pizza", "categorySlug": "pizza"}, ["pizza"]),
    ],
)
def test_filters(gql, brand_a, catalog, filter, expected):
    slugs = _slugs(gql(brand_a), filter=filter, sort="NEWEST" if "search" not in filter else "RELEVANCE")

    assert slugs == [catalog[key] for key in expected]


def test_search_ranks_title_over_summary_over_description(gql, brand_a, catalog):
    """'massage' is in the title of one deal, in the summary of another; 'pizza' likewise in a
    title and in a description."""
    massage = _slugs(gql(brand_a), filter={"search": "massage"}, sort="RELEVANCE")
    pizza = _slugs(gql(brand_a), filter={"search": "pizza"}, sort="RELEVANCE")

    assert massage == [catalog["massage"], catalog["hammam"]]
    assert pizza == [catalog["pizza"], catalog["bistro"]]


def test_relevance_without_search_puts_featured_deals_first(gql, brand_a, catalog):
    slugs = _slugs(gql(brand_a))

    assert slugs[0] == catalog["hammam"]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("PRICE_ASC", ["cinema", "pizza", "bistro", "hammam", "massage"]),
        ("PRICE_DESC", ["massage", "hammam", "bistro", "pizza", "cinema"]),
        ("DISCOUNT", ["hammam", "pizza", "massage", "cinema", "bistro"]),  # ties: newest first
        ("EXPIRING_SOON", ["bistro", "massage", "pizza", "hammam", "cinema"]),
        ("POPULAR", ["cinema", "massage", "hammam", "bistro", "pizza"]),
        ("RATING", ["hammam", "massage", "cinema", "bistro", "pizza"]),
    ],
)
def test_sorts_page_by_page_give_the_same_order(gql, brand_a, catalog, sort, expected):
    client = gql(brand_a)

    one_page = _slugs(client, sort=sort, first=10)
    paged, after = [], None
    while True:
        page = client.data(PAGE, {"sort": sort, "first": 2, "after": after})["marketplace"]
        paged += [edge["node"]["slug"] for edge in page["edges"]]
        assert page["totalCount"] == 5
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    assert one_page == [catalog[key] for key in expected]
    assert paged == one_page


def test_a_cursor_of_another_sort_or_a_forged_one_is_refused(gql, brand_a, catalog):
    client = gql(brand_a)
    cursor = client.data(PAGE, {"sort": "PRICE_ASC", "first": 1})["marketplace"]["pageInfo"]["endCursor"]

    other_sort = client.execute(PAGE, {"sort": "NEWEST", "after": cursor})
    forged = client.execute(PAGE, {"sort": "NEWEST", "after": "bm9wZQ=="})
    too_many = client.execute(PAGE, {"first": 101})

    assert other_sort["errors"][0]["extensions"]["code"] == "INVALID_CURSOR"
    assert forged["errors"][0]["extensions"]["code"] == "INVALID_CURSOR"
    assert too_many["errors"][0]["extensions"]["code"] == "INVALID_PAGE_SIZE"


def test_a_page_keeps_its_place_when_a_deal_is_added(gql, brand_a, catalog):
    client = gql(brand_a)
    first = client.data(PAGE, {"sort": "PRICE_ASC", "first": 2})["marketplace"]
    with tenant_context(brand_a):
        make_product(
            Product.objects.first().merchant, title="Cheap", original_price=Decimal(5), price=Decimal(1)
        )

    rest = client.data(PAGE, {"sort": "PRICE_ASC", "first": 10, "after": first["pageInfo"]["endCursor"]})

    assert [e["node"]["slug"] for e in rest["marketplace"]["edges"]] == [
        catalog[key] for key in ("bistro", "hammam", "massage")
    ]


def _fill(brand, count: int) -> None:
    with tenant_context(brand):
        merchant = make_merchant(brand)
        first, second = category_create(actor=None, name="One"), category_create(actor=None, name="Two")
        for number in range(count):
            product = make_product(merchant, title=f"Deal {number}", category_ids=[first.pk, second.pk])
            for _ in range(2):
                add_image(merchant, product, image_bytes("JPEG", (64, 48)))


def _count_queries(client, first: int) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as queries:
        data = client.data(FULL_PAGE, {"first": first})
    return len(queries), data


def test_a_page_of_fifty_costs_what_a_page_of_five_costs(gql, brand_a):
    _fill(brand_a, 50)
    client = gql(brand_a, make_user(brand_a, role=Role.AFFILIATE))

    five, _ = _count_queries(client, 5)
    fifty, data = _count_queries(client, 50)

    nodes = [edge["node"] for edge in data["marketplace"]["edges"]]
    assert len(nodes) == 50
    assert all(len(node["images"]) == 2 and len(node["categories"]) == 2 for node in nodes)
    assert fifty == five
    # the host's brand (search path, domain, search path), the session and the user (every signed-in
    # request reads them now: per-user rate limit, two-factor guard), count, page, brand domain,
    # images, categories, merchants, their profiles, ratings
    assert fifty <= 13


def test_the_product_page_has_its_seo_data(gql, brand_a):
    with tenant_context(brand_a):
        merchant = make_merchant(brand_a)
        product = make_product(
            merchant,
            title="Sunset cruise",
            description_html="<p>Two hours <strong>on the river</strong>, drinks included. "
            + "Lovely. " * 30
            + "</p>",
            expires_at=timezone.now() + dt.timedelta(days=3),
        )
        image = add_image(merchant, product, image_bytes(), alt_text="Boat")
    domain = brand_a.domains.get().domain
    query = """
    query($slug: String!) { product(slug: $slug) {
      title isAvailable isExpired merchant { displayName }
      images { url altText }
      seo { title description canonicalUrl openGraphImage jsonLd }
    } }
    """

    page = gql(brand_a).data(query, {"slug": product.slug})["product"]

    seo = page["seo"]
    assert seo["title"] == f"Sunset cruise | {brand_a.name}"
    assert seo["canonicalUrl"] == f"https://{domain}/deals/{product.slug}"
    # The link-preview card: the first image in 1200 x 630 (tests/webapp/test_head.py fetches it).
    assert seo["openGraphImage"] == f"https://{domain}/media/{image.file_key.rsplit('.', 1)[0]}_og.jpg"
    assert seo["description"].startswith("Two hours on the river, drinks included.")
    assert len(seo["description"]) <= 160
    assert seo["description"].endswith("…")
    assert seo["jsonLd"]["@type"] == "Product"
    assert seo["jsonLd"]["offers"]["price"] == "49.90"
    assert seo["jsonLd"]["offers"]["priceCurrency"] == "EUR"
    assert page["images"] == [{"url": f"https://{domain}/media/{image.file_key}", "altText": "Boat"}]
    assert seo["jsonLd"]["image"] == [page["images"][0]["url"]]
    assert page["isAvailable"] is True
    assert page["isExpired"] is False


def test_drafts_are_shown_to_their_merchant_and_admins_only(gql, brand_a):
    merchant = make_merchant(brand_a)
    with tenant_context(brand_a):
        draft = make_product(merchant, active=False, title="Secret deal")
    query = "query($slug: String!) { product(slug: $slug) { title status } }"

    anonymous = gql(brand_a).data(query, {"slug": draft.slug})
    other = gql(brand_a, make_merchant(brand_a)).data(query, {"slug": draft.slug})
    owner = gql(brand_a, merchant).data(query, {"slug": draft.slug})
    admin = gql(brand_a, make_user(brand_a, role=Role.BRAND_ADMIN)).data(query, {"slug": draft.slug})

    assert anonymous["product"] is None
    assert other["product"] is None
    assert owner["product"] == {"title": "Secret deal", "status": "DRAFT"} == admin["product"]


def test_my_products_lists_every_status_of_mine(gql, brand_a):
    merchant, other = make_merchant(brand_a), make_merchant(brand_a)
    with tenant_context(brand_a):
        live = make_product(merchant)
        draft = make_product(merchant, active=False)
        make_product(other)
    query = "query($s: ProductStatus) { myProducts(status: $s) { totalCount edges { node { id } } } }"

    mine = gql(brand_a, merchant).data(query)["myProducts"]
    drafts = gql(brand_a, merchant).data(query, {"s": "DRAFT"})["myProducts"]
    everyone = gql(brand_a, make_user(brand_a, role=Role.BRAND_ADMIN)).data(query)["myProducts"]
    affiliate = gql(brand_a, make_user(brand_a, role=Role.AFFILIATE)).execute(query)

    assert [edge["node"]["id"] for edge in mine["edges"]] == [str(draft.pk), str(live.pk)]
    assert drafts["totalCount"] == 1
    assert everyone["totalCount"] == 3
    assert affiliate["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_the_category_tree_counts_live_deals_with_their_subcategories(gql, brand_a, catalog):
    tree = gql(brand_a).data(
        "{ categories { slug productCount url children { slug productCount ancestors { slug } } } }"
    )["categories"]

    domain = brand_a.domains.get().domain
    assert tree == [
        {
            "slug": "food",
            "productCount": 2,
            "url": f"https://{domain}/deals/category/food",
            "children": [{"slug": "pizza", "productCount": 1, "ancestors": [{"slug": "food"}]}],
        },
        {"slug": "spa", "productCount": 2, "url": f"https://{domain}/deals/category/spa", "children": []},
    ]


def test_the_sitemap_lists_live_deals_and_categories_on_the_brands_domain(client, brand_a, catalog):
    domain = brand_a.domains.get().domain

    response = client.get("/sitemap.xml", HTTP_HOST=domain)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    root = ET.fromstring(response.content)
    namespace = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locations = [element.text for element in root.findall("s:url/s:loc", namespace)]
    assert locations[0] == f"https://{domain}/"
    assert sorted(locations[1:4]) == [
        f"https://{domain}/deals/category/{slug}" for slug in ("food", "pizza", "spa")
    ]
    assert sorted(locations[4:]) == sorted(f"https://{domain}/deals/{slug}" for slug in catalog.values())
    assert not any("draft" in loc or "paused" in loc or "expired" in loc for loc in locations)
    lastmods = root.findall("s:url/s:lastmod", namespace)
    assert len(lastmods) == 5
    assert all(dt.date.fromisoformat(element.text) for element in lastmods)


def test_robots_txt_points_to_the_sitemap(client, brand_a):
    domain = brand_a.domains.get().domain

    response = client.get("/robots.txt", HTTP_HOST=domain)

    assert response.status_code == 200
    assert f"Sitemap: https://{domain}/sitemap.xml" in response.content.decode()
    assert "Disallow: /graphql/" in response.content.decode()


def test_search_results_page_by_relevance(gql, brand_a, catalog):
    client = gql(brand_a)

    first = client.data(PAGE, {"filter": {"search": "massage"}, "first": 1})["marketplace"]
    rest = client.data(
        PAGE, {"filter": {"search": "massage"}, "first": 1, "after": first["pageInfo"]["endCursor"]}
    )["marketplace"]

    assert [edge["node"]["slug"] for edge in first["edges"] + rest["edges"]] == [
        catalog["massage"],
        catalog["hammam"],
    ]
    assert first["pageInfo"]["hasNextPage"] is True
    assert rest["pageInfo"]["hasNextPage"] is False


def test_the_merchants_lists_cost_a_constant_number_of_queries(gql, brand_a):
    from affiliation.models import Affiliate
    from marketplace.services import affiliation_request_create
    from tests.engine import make_program

    merchant = make_merchant(brand_a)
    with tenant_context(brand_a):
        program = make_program(cascade_rates=[])
        products = [make_product(merchant, program=program) for _ in range(12)]
        for product in products:
            add_image(merchant, product, image_bytes("JPEG", (32, 32)))
    for product in products:
        affiliate = make_user(brand_a, role=Role.AFFILIATE)
        with tenant_context(brand_a):
            Affiliate.objects.create(
                user=affiliate,
                program=program,
                tier=program.tiers.get(is_default=True),
                referral_code=f"R{product.pk}",
                status="approved",
            )
            affiliation_request_create(user=affiliate, product=product, message="hi")
    client = gql(brand_a, merchant)
    query = """
    query($first: Int!) {
      myProducts(first: $first) { edges { node { title images { url } categories { slug } merchant { slug } } } }
      productAffiliationRequests(first: $first) { edges { node { affiliateEmail product { title images { url } } } } }
    }
    """

    counts = []
    for first in (2, 12):
        with CaptureQueriesContext(connection) as queries:
            data = client.data(query, {"first": first})
        assert len(data["productAffiliationRequests"]["edges"]) == first
        counts.append(len(queries))

    assert counts[0] == counts[1]
