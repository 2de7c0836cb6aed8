"""GraphQL types of the marketplace catalog. Other domains (checkout, billing) show products
with ``ProductType.from_model(product)``; lists use ``ProductType.from_models(products)`` so
that a page costs a constant number of queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from enum import Enum
from typing import Annotated

import strawberry

from accounts.models import User
from affiliation.models import OfferRule
from graphql_schema.context import Info
from graphql_schema.errors import UserError
from graphql_schema.marketplace.loaders import ProductBatch, base_url, category_counts, category_tree
from graphql_schema.money import Money, money, rate
from marketplace import models
from marketplace.selectors import category_page_url, gallery_images, image_url, product_page_url
from marketplace.seo import product_is_available, product_is_expired, product_seo


@strawberry.enum(name="ProductStatus")
class ProductStatusEnum(Enum):
    DRAFT = "draft"
    ACTIVE = "active"
    PAUSED = "paused"
    ARCHIVED = "archived"


@strawberry.enum(name="AffiliationRequestStatus")
class AffiliationRequestStatusEnum(Enum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


@strawberry.enum(
    name="ProductImageStatus",
    description="PENDING: uploaded, being cleaned and thumbnailed (seconds); READY: shown; "
    "FAILED: refused by the processing (see processingError), nothing is shown.",
)
class ProductImageStatusEnum(Enum):
    PENDING = "pending"
    READY = "ready"
    FAILED = "failed"


@strawberry.enum
class MarketplaceSort(Enum):
    RELEVANCE = "RELEVANCE"
    NEWEST = "NEWEST"
    PRICE_ASC = "PRICE_ASC"
    PRICE_DESC = "PRICE_DESC"
    DISCOUNT = "DISCOUNT"
    EXPIRING_SOON = "EXPIRING_SOON"
    POPULAR = "POPULAR"
    RATING = "RATING"


@strawberry.enum
class ProductCommissionKind(Enum):
    PERCENTAGE = "percentage"
    FLAT = "flat"


@strawberry.type
class FaqEntry:
    question: str
    answer: str


@strawberry.type(description="Where a local deal happens.")
class Location:
    address: str
    latitude: Decimal | None
    longitude: Decimal | None


@strawberry.type(name="Merchant", description="A merchant's public profile.")
class MerchantType:
    id: strawberry.ID
    display_name: str
    slug: str | None = strawberry.field(description="Null until the merchant has a profile.")
    description: str
    website: str

    @classmethod
    def from_user(cls, user: User) -> MerchantType:
        profile = getattr(user, "merchant_profile", None)
        if profile is None:
            return cls(
                id=strawberry.ID(str(user.pk)),
                display_name=user.full_name or "Merchant",
                slug=None,
                description="",
                website="",
            )
        return cls(
            id=strawberry.ID(str(user.pk)),
            display_name=profile.display_name,
            slug=profile.slug,
            description=profile.description,
            website=profile.website,
        )


@strawberry.type(name="Category", description="A node of the brand's category tree.")
class CategoryType:
    model: strawberry.Private[models.Category]
    id: strawberry.ID
    name: str
    slug: str
    parent_id: strawberry.ID | None
    position: int

    @classmethod
    def from_model(cls, category: models.Category) -> CategoryType:
        return cls(
            model=category,
            id=strawberry.ID(str(category.pk)),
            name=category.name,
            slug=category.slug,
            parent_id=strawberry.ID(str(category.parent_id)) if category.parent_id else None,
            position=category.position,
        )

    @strawberry.field(description="The category page on the brand's host.")
    def url(self, info: Info) -> str:
        return category_page_url(self.model, base_url(info))

    @strawberry.field(description="Subcategories, in order.")
    def children(self, info: Info) -> list[CategoryType]:
        return [
            CategoryType.from_model(child) for child in category_tree(info).children.get(self.model.pk, [])
        ]

    @strawberry.field(description="From the root down to the parent: breadcrumbs.")
    def ancestors(self, info: Info) -> list[CategoryType]:
        tree = category_tree(info)
        category = tree.by_id.get(self.model.pk, self.model)
        return [CategoryType.from_model(ancestor) for ancestor in tree.ancestors(category)]

    @strawberry.field(description="Live products in this category and its subcategories.")
    def product_count(self, info: Info) -> int:
        return category_counts(info).get(self.model.pk, 0)


@strawberry.type(name="ProductImage", description="An image of a product's gallery.")
class ProductImageType:
    model: strawberry.Private[models.ProductImage]
    id: strawberry.ID
    position: int
    width: int
    height: int
    content_type: str
    size_bytes: int
    alt_text: str
    status: ProductImageStatusEnum = strawberry.field(
        description="Whether the image is ready. Only the product's merchant and brand admins see "
        "images that are not ready; their url and thumbnailUrl answer 404 until then."
    )

    @classmethod
    def from_model(cls, image: models.ProductImage) -> ProductImageType:
        return cls(
            model=image,
            id=strawberry.ID(str(image.pk)),
            status=ProductImageStatusEnum(image.status),
            position=image.position,
            width=image.width,
            height=image.height,
            content_type=image.content_type,
            size_bytes=image.size_bytes,
            alt_text=image.alt_text,
        )

    @strawberry.field(
        description=(
            "A stable address on the brand's host; it redirects to a short-lived signed link to the file."
        )
    )
    def url(self, info: Info) -> str:
        return image_url(self.model.file_key, base_url(info))

    @strawberry.field(description="A 480-pixel-wide WebP version.")
    def thumbnail_url(self, info: Info) -> str:
        return image_url(self.model.thumbnail_key, base_url(info))

    @strawberry.field(description="Why the processing refused the image (status FAILED), else null.")
    def processing_error(self) -> UserError | None:
        image = self.model
        if image.status != models.ProductImageStatus.FAILED:
            return None
        return UserError(field="file", code=image.failure_code, message=image.failure_message)


@strawberry.type
class RatingCount:
    rating: int
    count: int


@strawberry.type(description="What customers think of a product.")
class ReviewSummary:
    product: strawberry.Private[models.Product]
    batch: strawberry.Private[ProductBatch]
    count: int
    average: Decimal = strawberry.field(description="1 to 5, two decimals; 0 without reviews.")

    @strawberry.field(description="How many reviews gave 1, 2, 3, 4 and 5 stars.")
    def distribution(self) -> list[RatingCount]:
        counts = self.batch.distribution(self.product)
        return [RatingCount(rating=stars, count=counts[stars]) for stars in range(1, 6)]


@strawberry.type(description="What a product page needs for search engines and link previews.")
class Seo:
    title: str
    description: str
    canonical_url: str
    open_graph_image: str | None
    json_ld: strawberry.scalars.JSON = strawberry.field(
        description="schema.org Product data for a <script type=application/ld+json> tag."
    )


@strawberry.type(description="The product's own commission, overriding its program's rule.")
class CommissionRule:
    kind: ProductCommissionKind
    rate: Decimal | None = strawberry.field(description="Percent of the sale, for PERCENTAGE.")
    flat_amount: Money | None

    @classmethod
    def from_model(cls, rule: OfferRule, currency: str) -> CommissionRule:
        return cls(
            kind=ProductCommissionKind(rule.commission_kind),
            rate=rate(rule.rate) if rule.rate is not None else None,
            flat_amount=money(rule.flat_amount, currency) if rule.flat_amount is not None else None,
        )


@strawberry.type(name="Product", description="A product or deal of the marketplace.")
class ProductType:
    model: strawberry.Private[models.Product]
    batch: strawberry.Private[ProductBatch]
    id: strawberry.ID
    slug: str
    title: str
    summary: str
    description_html: str = strawberry.field(description="Sanitized HTML (safe to render).")
    status: ProductStatusEnum
    currency: str
    price: Money = strawberry.field(description="What the customer pays.")
    original_price: Money = strawberry.field(description="The usual price, struck through.")
    discount_percent: Decimal = strawberry.field(description="The saving, rounded down to 0.01 %.")
    expires_at: dt.datetime | None
    highlights: list[str]
    included: list[str]
    how_it_works: list[str]
    conditions: str
    faq: list[FaqEntry]
    location: Location | None
    stock: int | None = strawberry.field(description="Units left; null when unlimited.")
    min_per_purchase: int
    max_per_purchase: int
    is_featured: bool
    is_deal_of_the_day: bool
    affiliation_auto_approve: bool
    sold_count: int
    program_id: strawberry.ID | None
    created_at: dt.datetime
    updated_at: dt.datetime
    published_at: dt.datetime | None

    @classmethod
    def from_model(cls, product: models.Product, batch: ProductBatch | None = None) -> ProductType:
        currency = product.currency
        has_location = bool(product.location_address or product.latitude is not None)
        return cls(
            model=product,
            batch=batch or ProductBatch([product]),
            id=strawberry.ID(str(product.pk)),
            slug=product.slug,
            title=product.title,
            summary=product.summary,
            description_html=product.description_html,
            status=ProductStatusEnum(product.status),
            currency=currency,
            price=money(product.price, currency),
            original_price=money(product.original_price, currency),
            discount_percent=rate(product.discount_percent),
            expires_at=product.expires_at,
            highlights=list(product.highlights),
            included=list(product.included),
            how_it_works=list(product.how_it_works),
            conditions=product.conditions,
            faq=[FaqEntry(question=entry["question"], answer=entry["answer"]) for entry in product.faq],
            location=Location(
                address=product.location_address, latitude=product.latitude, longitude=product.longitude
            )
            if has_location
            else None,
            stock=product.stock,
            min_per_purchase=product.min_per_purchase,
            max_per_purchase=product.max_per_purchase,
            is_featured=product.is_featured,
            is_deal_of_the_day=product.is_deal_of_the_day,
            affiliation_auto_approve=product.affiliation_auto_approve,
            sold_count=product.sold_count,
            program_id=strawberry.ID(str(product.program_id)) if product.program_id else None,
            created_at=product.created_at,
            updated_at=product.updated_at,
            published_at=product.published_at,
        )

    @classmethod
    def from_models(cls, products: Sequence[models.Product]) -> list[ProductType]:
        batch = ProductBatch(products)
        return [cls.from_model(product, batch) for product in products]

    @strawberry.field(description="Past its expiry date: no longer on sale.")
    def is_expired(self) -> bool:
        return product_is_expired(self.model)

    @strawberry.field(description="Can be bought now: active, not expired, not sold out.")
    def is_available(self) -> bool:
        return product_is_available(self.model)

    @strawberry.field(description="The product page on the brand's host.")
    def url(self, info: Info) -> str:
        return product_page_url(self.model, base_url(info))

    @strawberry.field(description="The gallery, in order: the images that are ready.")
    def images(
        self,
        info: Info,
        include_unready: Annotated[
            bool,
            strawberry.argument(
                description="Also the images being processed or refused (see ProductImage.status): "
                "for the product's merchant and brand admins; ignored for anyone else."
            ),
        ] = False,
    ) -> list[ProductImageType]:
        self.batch.prefetch("images")
        user = info.context.user if include_unready else None
        return [
            ProductImageType.from_model(image)
            for image in gallery_images(self.model, user, list(self.model.images.all()))
        ]

    @strawberry.field
    def categories(self) -> list[CategoryType]:
        self.batch.prefetch("categories")
        return [CategoryType.from_model(category) for category in self.model.categories.all()]

    @strawberry.field
    def merchant(self) -> MerchantType:
        self.batch.prefetch("merchant__merchant_profile")
        return MerchantType.from_user(self.model.merchant)

    @strawberry.field
    def review_summary(self) -> ReviewSummary:
        return ReviewSummary(
            product=self.model,
            batch=self.batch,
            count=self.model.rating_count,
            average=self.model.rating_average,
        )

    @strawberry.field(description="The product's own commission; null: the program's rule applies.")
    def commission_rule(self) -> CommissionRule | None:
        rule = self.batch.offer_rule(self.model)
        return CommissionRule.from_model(rule, self.model.currency) if rule is not None else None

    @strawberry.field
    def seo(self, info: Info) -> Seo:
        self.batch.prefetch("images")
        data = product_seo(
            self.model,
            brand_name=info.context.tenant.name,
            base_url=base_url(info),
            gallery=gallery_images(self.model, None, list(self.model.images.all())),
        )
        return Seo(
            title=data.title,
            description=data.description,
            canonical_url=data.canonical_url,
            open_graph_image=data.image.url if data.image else None,
            json_ld=strawberry.scalars.JSON(data.json_ld),
        )


@strawberry.type(name="Review", description="A verified buyer's review.")
class ReviewType:
    id: strawberry.ID
    product_id: strawberry.ID
    rating: int
    title: str
    body: str
    author_name: str = strawberry.field(description="First name and initial, or 'Verified buyer'.")
    created_at: dt.datetime

    @classmethod
    def from_model(cls, review: models.Review) -> ReviewType:
        return cls(
            id=strawberry.ID(str(review.pk)),
            product_id=strawberry.ID(str(review.product_id)),
            rating=review.rating,
            title=review.title,
            body=review.body,
            author_name=_short_name(review.author.full_name),
            created_at=review.created_at,
        )


def _short_name(full_name: str) -> str:
    parts = full_name.split()
    if not parts:
        return "Verified buyer"
    return parts[0] if len(parts) == 1 else f"{parts[0]} {parts[-1][0]}."


@strawberry.type(name="ProductAffiliationRequest", description="An affiliate's request to promote a product.")
class AffiliationRequestType:
    id: strawberry.ID
    product: ProductType
    affiliate_id: strawberry.ID
    affiliate_email: str
    affiliate_name: str
    message: str
    status: AffiliationRequestStatusEnum
    decision_note: str
    decided_at: dt.datetime | None
    created_at: dt.datetime

    @classmethod
    def from_models(cls, requests: Sequence[models.AffiliationRequest]) -> list[AffiliationRequestType]:
        products = ProductType.from_models([request.product for request in requests])
        return [
            cls(
                id=strawberry.ID(str(request.pk)),
                product=product,
                affiliate_id=strawberry.ID(str(request.affiliate_id)),
                affiliate_email=request.affiliate.user.email,
                affiliate_name=request.affiliate.user.full_name,
                message=request.message,
                status=AffiliationRequestStatusEnum(request.status),
                decision_note=request.decision_note,
                decided_at=request.decided_at,
                created_at=request.created_at,
            )
            for request, product in zip(requests, products, strict=True)
        ]


# --- inputs ----------------------------------------------------------------------------------


@strawberry.input
class FaqInput:
    question: str
    answer: str


@strawberry.input(description="Fields left out are unchanged (on update); null clears a nullable one.")
class ProductInput:
    title: str | None = strawberry.UNSET
    slug: str | None = strawberry.field(
        default=strawberry.UNSET, description="Generated from the title when left out on creation."
    )
    summary: str | None = strawberry.UNSET
    description_html: str | None = strawberry.field(
        default=strawberry.UNSET, description="Rich text; sanitized (an allow-list of tags) on write."
    )
    program_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="The partner program promoting it (default: the brand's first active program).",
    )
    currency: str | None = strawberry.field(
        default=strawberry.UNSET, description="Must be the program's (or the brand's) currency."
    )
    original_price: Decimal | None = strawberry.UNSET
    price: Decimal | None = strawberry.UNSET
    expires_at: dt.datetime | None = strawberry.UNSET
    highlights: list[str] | None = strawberry.UNSET
    included: list[str] | None = strawberry.UNSET
    how_it_works: list[str] | None = strawberry.UNSET
    conditions: str | None = strawberry.UNSET
    faq: list[FaqInput] | None = strawberry.UNSET
    location_address: str | None = strawberry.UNSET
    latitude: Decimal | None = strawberry.UNSET
    longitude: Decimal | None = strawberry.UNSET
    stock: int | None = strawberry.field(default=strawberry.UNSET, description="Null: unlimited.")
    min_per_purchase: int | None = strawberry.UNSET
    max_per_purchase: int | None = strawberry.UNSET
    category_ids: list[strawberry.ID] | None = strawberry.UNSET
    affiliation_auto_approve: bool | None = strawberry.UNSET


@strawberry.input
class ProductCreateInput(ProductInput):
    merchant_id: strawberry.ID | None = strawberry.field(
        default=None, description="Brand admins: the merchant the product belongs to."
    )


@strawberry.input
class CategoryInput:
    name: str | None = strawberry.UNSET
    slug: str | None = strawberry.UNSET
    position: int | None = strawberry.UNSET
    parent_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="Moves the category; null makes it a root."
    )


@strawberry.input
class MerchantProfileInput:
    display_name: str | None = None
    slug: str | None = None
    description: str | None = None
    website: str | None = None


@strawberry.input
class MarketplaceFilter:
    category_slug: str | None = strawberry.field(default=None, description="Includes its subcategories.")
    merchant_slug: str | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    min_discount: Decimal | None = strawberry.field(default=None, description="In percent, e.g. 30.")
    featured: bool | None = None
    deal_of_the_day: bool | None = None
    expiring_within_hours: int | None = None
    location: str | None = strawberry.field(default=None, description="Matched in the address.")
    search: str | None = strawberry.field(
        default=None, description='Full-text, web-search syntax: words, "a phrase", or, -word.'
    )


# --- payloads --------------------------------------------------------------------------------


@strawberry.type
class ProductPayload:
    product: ProductType | None
    errors: list[UserError]


@strawberry.type
class ProductCommissionRulePayload:
    product: ProductType | None
    rule: CommissionRule | None
    errors: list[UserError]


@strawberry.type
class CategoryPayload:
    category: CategoryType | None
    errors: list[UserError]


@strawberry.type
class CategoryDeletePayload:
    deleted_id: strawberry.ID | None
    errors: list[UserError]


@strawberry.type
class ProductImagePayload:
    image: ProductImageType | None
    errors: list[UserError]


@strawberry.type
class ProductImagesPayload:
    images: list[ProductImageType]
    errors: list[UserError]


@strawberry.type
class ProductImageDeletePayload:
    deleted_id: strawberry.ID | None
    errors: list[UserError]


@strawberry.type
class ReviewPayload:
    review: ReviewType | None
    errors: list[UserError]


@strawberry.type
class AffiliationRequestPayload:
    request: AffiliationRequestType | None
    errors: list[UserError]


@strawberry.type
class MerchantProfilePayload:
    merchant: MerchantType | None
    errors: list[UserError]
