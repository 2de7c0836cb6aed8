"""Reads of the catalog: what the public may browse, what a merchant manages, and the URLs of
product and category pages on the brand's own host.

Selectors return querysets, so the API layer pages them and loads relations in bulk.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    F,
    FloatField,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from accounts.models import Role, User
from accounts.selectors import is_brand_admin
from affiliation.offers import OfferOwner
from marketplace.models import (
    AffiliationRequest,
    Category,
    MerchantProfile,
    Order,
    OrderLine,
    OrderStatus,
    Product,
    ProductImage,
    ProductImageStatus,
    ProductStatus,
    Review,
    Voucher,
    VoucherStatus,
)
from tenants.models import Tenant
from tenants.selectors import brand_base_url

# Full-text search uses PostgreSQL's 'simple' configuration: it lowercases and splits words
# without stemming or stop words. Brands write in English, French, Arabic, Darija and brand
# names; a language's stemmer would mangle the others (and product names), and the same
# configuration must build the vector and parse the query. The cost: no stemming, so
# "massages" does not find "massage".
SEARCH_CONFIG = "simple"
PRODUCT_PATH = "/deals/{slug}"
CATEGORY_PATH = "/deals/category/{slug}"
IMAGE_PATH = "/media/{key}"
SITEMAP_LIMIT = 50_000  # the sitemap protocol's maximum number of URLs per file
# Far in the future: products that never expire sort after every dated one.
NEVER = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)


def product_page_url(product: Product, base_url: str) -> str:
    return base_url + PRODUCT_PATH.format(slug=product.slug)


def category_page_url(category: Category, base_url: str) -> str:
    return base_url + CATEGORY_PATH.format(slug=category.slug)


def image_url(key: str, base_url: str) -> str:
    """A stable address on the brand's host; the view behind it answers with a short-lived
    signed link to the stored file (see marketplace.views.product_image_view)."""
    return base_url + IMAGE_PATH.format(key=key)


def current_base_url() -> str:
    """``https://<brand domain>`` of the brand whose schema the connection is on."""
    from core.tenancy import tenant_connection

    tenant = tenant_connection().tenant
    assert isinstance(tenant, Tenant)
    return brand_base_url(tenant)


# --- products --------------------------------------------------------------------------------


def live_products(now: dt.datetime | None = None) -> QuerySet[Product]:
    """What the public sees: active products whose offer has not expired."""
    now = now or timezone.now()
    return Product.objects.filter(status=ProductStatus.ACTIVE).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )


def product_for_sale(product_id: int) -> Product | None:
    """An active, unexpired product with its merchant and program, or None. Stock is the
    caller's to reserve (under a lock): a sold-out product is still returned."""
    return live_products().select_related("merchant", "program").filter(pk=product_id).first()


def can_manage_product(user: Any, product: Product) -> bool:
    role = getattr(user, "role", None)
    return role == Role.BRAND_ADMIN or (role == Role.MERCHANT and product.merchant_id == user.pk)


def product_visible_to(product: Product, user: Any) -> bool:
    """Active products are public (an expired one still shows, as ended); the others only to
    their merchant and brand admins."""
    return product.status == ProductStatus.ACTIVE or can_manage_product(user, product)


def product_by_slug(slug: str, user: Any) -> Product | None:
    product = Product.objects.select_related("merchant").filter(slug=slug).first()
    return product if product is not None and product_visible_to(product, user) else None


def product_by_id(product_id: int, user: Any) -> Product | None:
    product = Product.objects.select_related("merchant").filter(pk=product_id).first()
    return product if product is not None and product_visible_to(product, user) else None


def managed_product(product_id: int, user: Any) -> Product | None:
    """A product the user may edit (their own, or any for a brand admin), else None."""
    product = Product.objects.select_related("merchant", "program").filter(pk=product_id).first()
    return product if product is not None and can_manage_product(user, product) else None


def products_managed_by(user: User, *, status: str | None = None) -> QuerySet[Product]:
    """A merchant's own products in every status; every merchant's for a brand admin."""
    products = Product.objects.all()
    if user.role != Role.BRAND_ADMIN:
        products = products.filter(merchant=user)
    if status:
        products = products.filter(status=status)
    return products


@dataclass(frozen=True)
class MarketplaceFilter:
    category_slug: str = ""
    merchant_slug: str = ""
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    min_discount: Decimal | None = None
    featured: bool | None = None
    deal_of_the_day: bool | None = None
    expiring_within_hours: int | None = None
    location: str = ""
    search: str = ""


# Sort orders as keyset keys: (annotated column, descending). The primary key ends every
# order, so that a cursor names exactly one position.
SORT_KEYS: dict[str, tuple[tuple[str, bool], ...]] = {
    "RELEVANCE": (("sort_rank", True), ("id", True)),
    "NEWEST": (("id", True),),
    "PRICE_ASC": (("price", False), ("id", False)),
    "PRICE_DESC": (("price", True), ("id", True)),
    "DISCOUNT": (("discount_percent", True), ("id", True)),
    "EXPIRING_SOON": (("sort_expiry", False), ("id", False)),
    "POPULAR": (("sold_count", True), ("id", True)),
    "RATING": (("rating_average", True), ("rating_count", True), ("id", True)),
}


def category_descendant_ids(category_ids: Iterable[int]) -> set[int]:
    """The categories and everything under them (one query: trees are small)."""
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in Category.objects.values_list("id", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    found: set[int] = set()
    pending = list(category_ids)
    while pending:
        current = pending.pop()
        if current in found:
            continue
        found.add(current)
        pending.extend(children.get(current, []))
    return found


def marketplace_products(criteria: MarketplaceFilter, *, sort: str) -> QuerySet[Product]:
    """Live products matching ``criteria``, annotated with the columns of ``sort``'s keyset.

    ``search`` is parsed by ``websearch_to_tsquery`` (quotes, ``or``, ``-word``) and ranked
    with ``ts_rank`` over the weighted vector (title A, summary B, description C). Without a
    search, RELEVANCE puts featured products first, newest next.
    """
    now = timezone.now()
    products = live_products(now)
    if criteria.category_slug:
        root = Category.objects.filter(slug=criteria.category_slug).values_list("id", flat=True).first()
        if root is None:
            return products.none()
        products = products.filter(
            pk__in=Product.categories.through.objects.filter(
                category_id__in=category_descendant_ids([root])
            ).values("product_id")
        )
    if criteria.merchant_slug:
        products = products.filter(merchant__merchant_profile__slug=criteria.merchant_slug)
    if criteria.min_price is not None:
        products = products.filter(price__gte=criteria.min_price)
    if criteria.max_price is not None:
        products = products.filter(price__lte=criteria.max_price)
    if criteria.min_discount is not None:
        products = products.filter(discount_percent__gte=criteria.min_discount)
    if criteria.featured is not None:
        products = products.filter(is_featured=criteria.featured)
    if criteria.deal_of_the_day is not None:
        products = products.filter(is_deal_of_the_day=criteria.deal_of_the_day)
    if criteria.expiring_within_hours is not None:
        products = products.filter(
            expires_at__isnull=False,
            expires_at__lte=now + dt.timedelta(hours=criteria.expiring_within_hours),
        )
    if criteria.location.strip():
        products = products.filter(location_address__icontains=criteria.location.strip())
    search = criteria.search.strip()
    if search:
        query = SearchQuery(search, search_type="websearch", config=SEARCH_CONFIG)
        # ts_rank is a float4; as a double its exact value round-trips through a cursor (a
        # float4 printed and read back in Python is not equal to itself in SQL).
        products = products.filter(search_vector=query).annotate(
            sort_rank=Cast(SearchRank(F("search_vector"), query), output_field=FloatField())
        )
    elif sort == "RELEVANCE":
        products = products.annotate(
            sort_rank=Case(
                When(is_featured=True, then=Value(1)), default=Value(0), output_field=IntegerField()
            )
        )
    if sort == "EXPIRING_SOON":
        products = products.annotate(
            sort_expiry=Coalesce("expires_at", Value(NEVER), output_field=DateTimeField())
        )
    return products


# --- categories ------------------------------------------------------------------------------


def categories_all() -> list[Category]:
    return list(Category.objects.order_by("position", "name", "id"))


def category_live_counts() -> dict[int, int]:
    """Live products per category, counting each product once under every ancestor too."""
    categories = Category.objects.values_list("id", "parent_id")
    parent_of = dict(categories)
    members: dict[int, set[int]] = {}
    links = Product.categories.through.objects.filter(product__in=live_products()).values_list(
        "category_id", "product_id"
    )
    for category_id, product_id in links:
        current: int | None = category_id
        seen: set[int] = set()
        while current is not None and current not in seen:
            seen.add(current)
            members.setdefault(current, set()).add(product_id)
            current = parent_of.get(current)
    return {category_id: len(ids) for category_id, ids in members.items()}


# --- merchants, reviews, requests ------------------------------------------------------------


def merchant_by_slug(slug: str) -> MerchantProfile | None:
    return MerchantProfile.objects.select_related("user").filter(slug=slug).first()


def merchant_profile_of(user: User) -> MerchantProfile | None:
    return MerchantProfile.objects.select_related("user").filter(user=user).first()


def reviews_of(product: Product) -> QuerySet[Review]:
    return Review.objects.filter(product=product).select_related("author")


def rating_distribution(product_ids: Iterable[int]) -> dict[int, dict[int, int]]:
    """{product id: {stars: count}} for 1 to 5 stars, in one query."""
    result: dict[int, dict[int, int]] = {pk: dict.fromkeys(range(1, 6), 0) for pk in product_ids}
    rows = (
        Review.objects.filter(product_id__in=list(result))
        .values("product_id", "rating")
        .annotate(count=Count("id"))
    )
    for row in rows:
        result[row["product_id"]][row["rating"]] = row["count"]
    return result


def verified_order(user: Any, product: Product) -> Order | None:
    """The customer's latest paid order containing the product (refunded orders do not count)."""
    return (
        Order.objects.filter(customer=user, status=OrderStatus.PAID, lines__product=product)
        .order_by("-paid_at", "-id")
        .first()
    )


def affiliation_requests_inbox(
    user: User, *, status: str | None = None, product_id: int | None = None
) -> QuerySet[AffiliationRequest]:
    """Requests about a merchant's products (every product's for a brand admin)."""
    requests = AffiliationRequest.objects.select_related("product", "affiliate__user")
    if user.role != Role.BRAND_ADMIN:
        requests = requests.filter(product__merchant=user)
    if status:
        requests = requests.filter(status=status)
    if product_id is not None:
        requests = requests.filter(product_id=product_id)
    return requests


def affiliation_requests_of(user: User, *, status: str | None = None) -> QuerySet[AffiliationRequest]:
    """An affiliate's own requests, in every program."""
    requests = AffiliationRequest.objects.select_related("product", "affiliate__user").filter(
        affiliate__user=user
    )
    if status:
        requests = requests.filter(status=status)
    return requests


# --- sitemap ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SitemapEntry:
    location: str
    last_modified: dt.datetime | None


def sitemap_entries(base_url: str) -> list[SitemapEntry]:
    """The home page, every category and every live product, with absolute URLs on the
    brand's primary domain (three queries)."""
    entries = [SitemapEntry(base_url + "/", None)]
    for category in Category.objects.order_by("position", "name", "id"):
        entries.append(SitemapEntry(category_page_url(category, base_url), None))
    products = live_products().order_by("-updated_at", "-id").only("slug", "updated_at")
    for product in products[: SITEMAP_LIMIT - len(entries)]:
        entries.append(SitemapEntry(product_page_url(product, base_url), product.updated_at))
    return entries


def gallery_images(product: Product, user: Any, images: list[ProductImage]) -> list[ProductImage]:
    """Of ``images`` (the product's, prefetched), the ready ones; every one (pending, failed) when
    ``user`` is the product's merchant or a brand admin (``None``: the ready ones)."""
    ready = [image for image in images if image.status == ProductImageStatus.READY]
    if len(ready) == len(images):
        return images  # the usual case: no need to load the (lazy) user
    return images if user is not None and can_manage_product(user, product) else ready


def viewable_image(key: str, user: Any) -> ProductImage | None:
    """The ready image (or thumbnail) stored under ``key`` in this brand, if ``user`` may see its
    product: anyone for an active product, its merchant and brand admins otherwise."""
    image = (
        ProductImage.objects.select_related("product")
        .filter(Q(file_key=key) | Q(thumbnail_key=key), status=ProductImageStatus.READY)
        .first()
    )
    return image if image is not None and product_visible_to(image.product, user) else None


def viewable_image_of_og_key(key: str, user: Any) -> ProductImage | None:
    """The ready image whose Open Graph variant is stored under ``key`` (``<stem>_og.jpg``, see
    marketplace.seo.og_image_key), if ``user`` may see its product."""
    from marketplace.seo import OG_IMAGE_SUFFIX

    if not key.endswith(OG_IMAGE_SUFFIX):
        return None
    stem = key.removesuffix(OG_IMAGE_SUFFIX)
    candidates = ProductImage.objects.select_related("product").filter(
        file_key__startswith=f"{stem}.", status=ProductImageStatus.READY
    )
    image = next((item for item in candidates if item.file_key.rsplit(".", 1)[0] == stem), None)
    return image if image is not None and product_visible_to(image.product, user) else None


# --- orders, vouchers, sales ---------------------------------------------------------------------


def orders_visible_to(user: User, *, everyone: bool = False) -> QuerySet[Order]:
    """The user's orders; every order for a brand admin asking for ``everyone``."""
    orders = Order.objects.all()
    if not (everyone and is_brand_admin(user)):
        orders = orders.filter(customer=user)
    return orders


def order_visible_to(user: User, number: str) -> Order | None:
    """An order by number for its customer or a brand admin; None for anyone else."""
    order = Order.objects.filter(number=str(number).strip().upper()).first()
    if order is None or not (order.customer_id == user.pk or is_brand_admin(user)):
        return None
    return order


def vouchers_of(customer: User) -> QuerySet[Voucher]:
    return Voucher.objects.select_related("line__order").filter(line__order__customer=customer)


def sales_of(merchant: User, *, everyone: bool = False) -> QuerySet[OrderLine]:
    """Paid lines of the merchant (of every merchant for a brand admin asking for ``everyone``),
    with their voucher counts."""
    lines = OrderLine.objects.select_related("order").filter(order__paid_at__isnull=False)
    if not (everyone and is_brand_admin(merchant)):
        lines = lines.filter(merchant=merchant)
    return lines.annotate(
        redeemed=Count("vouchers", filter=Q(vouchers__status=VoucherStatus.REDEEMED)),
        valid=Count("vouchers", filter=Q(vouchers__status=VoucherStatus.VALID)),
    )


def product_offer_owner(product_id: str) -> OfferOwner | None:
    """The engine's ``product:<id>`` offer: sold by the product's merchant, paid by its program."""
    if not product_id.isdigit():
        return None
    row = Product.objects.filter(pk=int(product_id)).values_list("merchant_id", "program_id").first()
    return OfferOwner(merchant_id=row[0], program_id=row[1]) if row is not None else None


def products_used(merchant: User) -> int:
    """Products that count against the merchant's plan quota: every product not archived."""
    return Product.objects.filter(merchant=merchant).exclude(status=ProductStatus.ARCHIVED).count()
