"""The marketplace between brands: brand B never sees nor touches brand A's products, images,
categories or affiliation requests, its sitemap lists none of A's pages, and files are kept
under each brand's own prefix."""

from __future__ import annotations

import boto3
import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django_tenants.utils import tenant_context

from accounts.models import Role
from marketplace.models import AffiliationRequest, Category, Product, ProductImage
from marketplace.services import affiliation_request_create, category_create
from tests.conftest import make_user
from tests.engine import make_affiliate, make_program
from tests.marketplace.builders import image_bytes, make_merchant, make_product, upload


@pytest.fixture
def alpha(gql, brand_a):
    """Brand A's catalog: a category, a live deal with an image, a draft and a request."""
    merchant = make_merchant(brand_a)
    with tenant_context(brand_a):
        category = category_create(actor=None, name="Alpha only")
        program = make_program(cascade_rates=[])
        product = make_product(
            merchant, title="Alpha secret deal", program=program, category_ids=[category.pk]
        )
        draft = make_product(merchant, active=False, title="Alpha draft")
        affiliate = make_affiliate(brand_a, program)
        request = affiliation_request_create(user=affiliate.user, product=product, message="from A")
    upload(gql(brand_a, merchant), product.pk, image_bytes("JPEG", (120, 90)))
    with tenant_context(brand_a):
        image = ProductImage.objects.get(product=product)
    return {"product": product, "draft": draft, "category": category, "request": request, "image": image}


def test_brand_b_sees_none_of_brand_as_catalog(gql, brand_b, alpha):
    admin_b = make_user(brand_b, role=Role.BRAND_ADMIN)
    client = gql(brand_b, admin_b)
    product = alpha["product"]

    listed = client.data('{ marketplace(filter: {search: "alpha"}) { totalCount } }')
    everything = client.data("{ marketplace { totalCount } myProducts { totalCount } categories { slug } }")
    by_slug = client.data("query($s: String!) { product(slug: $s) { id } }", {"s": product.slug})
    by_id = client.data("query($id: ID!) { product(id: $id) { id } }", {"id": str(product.pk)})
    draft = client.data("query($s: String!) { product(slug: $s) { id } }", {"s": alpha["draft"].slug})
    category = client.data('{ category(slug: "alpha-only") { id } }')
    reviews = client.execute(
        "query($id: ID!) { productReviews(productId: $id) { totalCount } }", {"id": str(product.pk)}
    )

    assert listed["marketplace"]["totalCount"] == 0
    assert everything == {"marketplace": {"totalCount": 0}, "myProducts": {"totalCount": 0}, "categories": []}
    assert by_slug["product"] is None
    assert by_id["product"] is None
    assert draft["product"] is None
    assert category["category"] is None
    assert reviews["errors"][0]["extensions"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    ("mutation", "variables"),
    [
        ('mutation($id: ID!) { productUpdate(id: $id, input: {title: "Hacked"}) { errors { code } } }', {}),
        ("mutation($id: ID!) { productStatusSet(id: $id, status: ARCHIVED) { errors { code } } }", {}),
        ("mutation($id: ID!) { productPromotionSet(id: $id, featured: true) { errors { code } } }", {}),
        (
            "mutation($id: ID!) { productCommissionRuleSet(productId: $id, kind: PERCENTAGE, rate: 5) "
            "{ errors { code } } }",
            {},
        ),
        ("mutation($id: ID!) { productImagesReorder(productId: $id, imageIds: []) { errors { code } } }", {}),
    ],
)
def test_brand_b_cannot_edit_brand_as_products(gql, brand_a, brand_b, alpha, mutation, variables):
    admin_b = make_user(brand_b, role=Role.BRAND_ADMIN)
    product = alpha["product"]

    body = gql(brand_b, admin_b).execute(mutation, {"id": str(product.pk), **variables})

    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    with tenant_context(brand_a):
        row = Product.objects.get(pk=product.pk)
        assert (row.title, row.status, row.is_featured) == ("Alpha secret deal", "active", False)


def test_brand_b_cannot_reach_brand_as_images(gql, client, brand_a, brand_b, alpha):
    admin_b = make_user(brand_b, role=Role.BRAND_ADMIN)
    image = alpha["image"]
    domain_b = brand_b.domains.get().domain

    deleted = gql(brand_b, admin_b).execute(
        "mutation($id: ID!) { productImageDelete(id: $id) { deletedId } }", {"id": str(image.pk)}
    )
    uploaded = upload(gql(brand_b, admin_b), alpha["product"].pk, image_bytes())
    by_url = client.get(f"/media/{image.file_key}", HTTP_HOST=domain_b)
    with tenant_context(brand_b):
        stored_in_b = default_storage.exists(image.file_key)

    assert deleted["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert uploaded["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert by_url.status_code == 404
    assert stored_in_b is False
    with tenant_context(brand_a):
        assert ProductImage.objects.filter(pk=image.pk).exists()
        assert default_storage.exists(image.file_key)


def test_image_keys_carry_the_brand_and_each_brand_links_to_its_own(gql, client, brand_a, brand_b, alpha):
    merchant_b = make_merchant(brand_b)
    with tenant_context(brand_b):
        product_b = make_product(merchant_b, title="Beta deal")
    upload(gql(brand_b, merchant_b), product_b.pk, image_bytes("PNG", (60, 40)), name="b.png")
    with tenant_context(brand_b):
        image_b = ProductImage.objects.get()
    query = "query($s: String!) { product(slug: $s) { images { url thumbnailUrl } seo { openGraphImage } } }"

    page_b = gql(brand_b).data(query, {"s": product_b.slug})["product"]
    redirect_b = client.get(f"/media/{image_b.file_key}", HTTP_HOST=brand_b.domains.get().domain)

    s3 = boto3.client(
        "s3",
        endpoint_url=settings.AWS_S3_ENDPOINT_URL,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=settings.AWS_STORAGE_BUCKET_NAME)["Contents"]]
    image_a = alpha["image"]
    assert f"{brand_a.schema_name}/{image_a.file_key}" in keys
    assert f"{brand_a.schema_name}/{image_a.thumbnail_key}" in keys
    assert f"{brand_b.schema_name}/{image_b.file_key}" in keys
    assert f"{brand_b.schema_name}/{image_b.thumbnail_key}" in keys
    urls = [page_b["images"][0]["url"], page_b["images"][0]["thumbnailUrl"], page_b["seo"]["openGraphImage"]]
    assert all(url.startswith(f"https://{brand_b.domains.get().domain}/media/") for url in urls)
    assert not any(image_a.file_key in url or image_a.thumbnail_key in url for url in urls)
    assert f"/{brand_b.schema_name}/{image_b.file_key}?" in redirect_b["Location"]
    assert brand_a.schema_name not in redirect_b["Location"]


def test_brand_b_cannot_touch_brand_as_categories(gql, brand_a, brand_b, alpha):
    admin_b = make_user(brand_b, role=Role.BRAND_ADMIN)
    with tenant_context(brand_b):
        category_b = category_create(actor=None, name="Beta root")
    category = alpha["category"]
    client = gql(brand_b, admin_b)

    renamed = client.execute(
        'mutation($id: ID!) { categoryUpdate(id: $id, input: {name: "Mine"}) { errors { code } } }',
        {"id": str(category.pk + 1000)},
    )
    moved = client.data(
        "mutation($id: ID!, $p: ID) { categoryUpdate(id: $id, input: {parentId: $p}) { errors { field code } } }",
        {"id": str(category_b.pk), "p": str(category.pk + 1000)},
    )
    tagged = client.data(
        'mutation($c: [ID!]) { productCreate(input: {title: "x", originalPrice: "2", price: "1", '
        f'categoryIds: $c, merchantId: "{make_merchant(brand_b).pk}"}}) {{ errors {{ field code }} }} }}',
        {"c": [str(category.pk + 1000)]},
    )

    assert renamed["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert moved["categoryUpdate"]["errors"] == [{"field": "parentId", "code": "NOT_FOUND"}]
    assert tagged["productCreate"]["errors"] == [{"field": "categoryIds", "code": "NOT_FOUND"}]
    with tenant_context(brand_a):
        assert Category.objects.get(pk=category.pk).name == "Alpha only"


def test_brand_b_cannot_see_or_decide_brand_as_requests(gql, brand_a, brand_b, alpha):
    admin_b = make_user(brand_b, role=Role.BRAND_ADMIN)
    request = alpha["request"]
    client = gql(brand_b, admin_b)

    inbox = client.data(
        "{ productAffiliationRequests { totalCount } myProductAffiliationRequests { totalCount } }"
    )
    decided = client.execute(
        'mutation($r: ID!) { productAffiliationDecide(requestId: $r, approve: true, note: "") { errors { code } } }',
        {"r": str(request.pk)},
    )
    asked = client.execute(
        'mutation($p: ID!) { productAffiliationRequest(productId: $p, message: "") { errors { code } } }',
        {"p": str(alpha["product"].pk)},
    )
    linked = client.execute(
        "mutation($p: ID!) { productLinkCreate(productId: $p) { errors { code } } }",
        {"p": str(alpha["product"].pk)},
    )

    assert inbox == {
        "productAffiliationRequests": {"totalCount": 0},
        "myProductAffiliationRequests": {"totalCount": 0},
    }
    for body in (decided, asked, linked):
        assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    with tenant_context(brand_a):
        assert AffiliationRequest.objects.get(pk=request.pk).status == "pending"


def test_brand_bs_sitemap_lists_none_of_brand_as_pages(client, brand_a, brand_b, alpha):
    with tenant_context(brand_b):
        beta = make_product(make_merchant(brand_b), title="Beta deal")

    sitemap_b = client.get("/sitemap.xml", HTTP_HOST=brand_b.domains.get().domain).content.decode()
    sitemap_a = client.get("/sitemap.xml", HTTP_HOST=brand_a.domains.get().domain).content.decode()

    assert alpha["product"].slug not in sitemap_b
    assert "alpha-only" not in sitemap_b
    assert f"https://{brand_b.domains.get().domain}/deals/{beta.slug}" in sitemap_b
    assert brand_a.domains.get().domain not in sitemap_b
    assert alpha["product"].slug in sitemap_a
    assert beta.slug not in sitemap_a
