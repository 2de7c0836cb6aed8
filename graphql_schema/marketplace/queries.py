from __future__ import annotations

import strawberry
from graphql import GraphQLError

from accounts.models import Role
from graphql_schema.access import parse_id
from graphql_schema.context import Info
from graphql_schema.marketplace.access import visible_product_or_error
from graphql_schema.marketplace.loaders import category_tree
from graphql_schema.marketplace.types import (
    AffiliationRequestStatusEnum,
    AffiliationRequestType,
    CategoryType,
    MarketplaceFilter,
    MarketplaceSort,
    MerchantType,
    ProductStatusEnum,
    ProductType,
    ReviewType,
)
from graphql_schema.pagination import Connection, paginate, paginate_keyset
from graphql_schema.permissions import IsAuthenticated, IsMerchantOrBrandAdmin
from marketplace import selectors

MAX_EXPIRING_WITHIN_HOURS = 24 * 365


def _criteria(filter: MarketplaceFilter | None) -> selectors.MarketplaceFilter:
    if filter is None:
        return selectors.MarketplaceFilter()
    hours = filter.expiring_within_hours
    if hours is not None and not 1 <= hours <= MAX_EXPIRING_WITHIN_HOURS:
        raise GraphQLError(
            f"`expiringWithinHours` must be between 1 and {MAX_EXPIRING_WITHIN_HOURS}.",
            extensions={"code": "INVALID_FILTER"},
        )
    return selectors.MarketplaceFilter(
        category_slug=filter.category_slug or "",
        merchant_slug=filter.merchant_slug or "",
        min_price=filter.min_price,
        max_price=filter.max_price,
        min_discount=filter.min_discount,
        featured=filter.featured,
        deal_of_the_day=filter.deal_of_the_day,
        expiring_within_hours=hours,
        location=filter.location or "",
        search=filter.search or "",
    )


def _viewer(info: Info) -> object | None:
    return info.context.user if info.context.is_authenticated else None


@strawberry.type
class MarketplaceQuery:
    @strawberry.field(
        description=(
            "Live deals (active, not expired), filtered and sorted, by cursor pages. RELEVANCE ranks "
            "full-text matches when `search` is given, else puts featured deals first."
        )
    )
    def marketplace(
        self,
        filter: MarketplaceFilter | None = None,
        sort: MarketplaceSort = MarketplaceSort.RELEVANCE,
        first: int = 24,
        after: str | None = None,
    ) -> Connection[ProductType]:
        products = selectors.marketplace_products(_criteria(filter), sort=sort.value)
        return paginate_keyset(
            products,
            sort=sort.value,
            keys=selectors.SORT_KEYS[sort.value],
            first=first,
            after=after,
            to_nodes=ProductType.from_models,
        )

    @strawberry.field(
        description=(
            "A product page by slug (or id). Active products are public, an expired one shows as ended; "
            "drafts, paused and archived ones only to their merchant and brand admins."
        )
    )
    def product(
        self, info: Info, slug: str | None = None, id: strawberry.ID | None = None
    ) -> ProductType | None:
        if slug:
            product = selectors.product_by_slug(slug, _viewer(info))
        elif id is not None:
            product = selectors.product_by_id(parse_id(id), _viewer(info))
        else:
            raise GraphQLError("Give a slug or an id.", extensions={"code": "INVALID_ARGUMENTS"})
        return ProductType.from_model(product) if product is not None else None

    @strawberry.field(description="The category tree: the roots, each with its `children`.")
    def categories(self, info: Info) -> list[CategoryType]:
        return [CategoryType.from_model(category) for category in category_tree(info).children.get(None, [])]

    @strawberry.field(description="A category by slug.")
    def category(self, info: Info, slug: str) -> CategoryType | None:
        found = next((c for c in category_tree(info).by_id.values() if c.slug == slug), None)
        return CategoryType.from_model(found) if found is not None else None

    @strawberry.field(description="A merchant's public profile.")
    def merchant(self, slug: str) -> MerchantType | None:
        profile = selectors.merchant_by_slug(slug)
        return MerchantType.from_user(profile.user) if profile is not None else None

    @strawberry.field(
        permission_classes=[IsMerchantOrBrandAdmin],
        description="My products in every status, newest first (brand admins: every merchant's).",
    )
    def my_products(
        self, info: Info, status: ProductStatusEnum | None = None, first: int = 50, after: str | None = None
    ) -> Connection[ProductType]:
        products = selectors.products_managed_by(info.context.user, status=status.value if status else None)
        return paginate(products, first=first, after=after, to_nodes=ProductType.from_models, descending=True)

    @strawberry.field(
        permission_classes=[IsMerchantOrBrandAdmin], description="My merchant profile (null until created)."
    )
    def my_merchant_profile(self, info: Info) -> MerchantType | None:
        user = info.context.user
        if user.role != Role.MERCHANT:
            return None
        profile = selectors.merchant_profile_of(user)
        return MerchantType.from_user(profile.user) if profile is not None else None

    @strawberry.field(description="A product's reviews, newest first.")
    def product_reviews(
        self, info: Info, product_id: strawberry.ID, first: int = 20, after: str | None = None
    ) -> Connection[ReviewType]:
        product = visible_product_or_error(info, product_id)
        return paginate(
            selectors.reviews_of(product),
            first=first,
            after=after,
            to_node=ReviewType.from_model,
            descending=True,
        )

    @strawberry.field(
        permission_classes=[IsMerchantOrBrandAdmin],
        description="Requests to promote my products, newest first (brand admins: every product's).",
    )
    def product_affiliation_requests(
        self,
        info: Info,
        status: AffiliationRequestStatusEnum | None = None,
        product_id: strawberry.ID | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> Connection[AffiliationRequestType]:
        requests = selectors.affiliation_requests_inbox(
            info.context.user,
            status=status.value if status else None,
            product_id=parse_id(product_id) if product_id is not None else None,
        )
        return paginate(
            requests, first=first, after=after, to_nodes=AffiliationRequestType.from_models, descending=True
        )

    @strawberry.field(
        permission_classes=[IsAuthenticated], description="My requests to promote products, newest first."
    )
    def my_product_affiliation_requests(
        self,
        info: Info,
        status: AffiliationRequestStatusEnum | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> Connection[AffiliationRequestType]:
        requests = selectors.affiliation_requests_of(
            info.context.user, status=status.value if status else None
        )
        return paginate(
            requests, first=first, after=after, to_nodes=AffiliationRequestType.from_models, descending=True
        )
