from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.file_uploads import Upload

from accounts.models import Role, User
from affiliation.models import Link as LinkModel
from affiliation.models import Program
from core.errors import field_error
from graphql_schema.access import parse_id
from graphql_schema.affiliation.builders import links_with_stats
from graphql_schema.affiliation.types import LinkPayload
from graphql_schema.context import Info
from graphql_schema.errors import handle_user_errors, keep_on_error
from graphql_schema.marketplace.access import (
    category_or_error,
    managed_image_or_error,
    managed_product_or_error,
    managed_request_or_error,
    visible_product_or_error,
)
from graphql_schema.marketplace.types import (
    AffiliationRequestPayload,
    AffiliationRequestType,
    CategoryDeletePayload,
    CategoryInput,
    CategoryPayload,
    CategoryType,
    CommissionRule,
    MerchantProfileInput,
    MerchantProfilePayload,
    MerchantType,
    ProductCommissionKind,
    ProductCommissionRulePayload,
    ProductCreateInput,
    ProductImageDeletePayload,
    ProductImagePayload,
    ProductImagesPayload,
    ProductImageType,
    ProductInput,
    ProductPayload,
    ProductStatusEnum,
    ProductType,
    ReviewPayload,
    ReviewType,
)
from graphql_schema.permissions import IsAuthenticated, IsBrandAdmin, IsMerchantOrBrandAdmin
from marketplace import services
from marketplace.error_codes import CatalogErrorCode as Code
from marketplace.models import Category, Product

# Input fields whose service name differs.
_RENAMED = {"program_id": "program", "category_ids": "category_ids"}


def _product_values(input: ProductInput) -> dict[str, Any]:
    """What the client set (UNSET fields are left out; null is kept: it clears)."""
    values: dict[str, Any] = {}
    for field in dataclasses.fields(ProductInput):
        value = getattr(input, field.name)
        if value is strawberry.UNSET:
            continue
        if field.name == "program_id":
            program = Program.objects.filter(pk=parse_id(value)).first() if value is not None else None
            if value is not None and program is None:
                raise field_error("programId", "Unknown program.", Code.NOT_FOUND)
            value = program
        elif field.name == "category_ids":
            value = [parse_id(pk) for pk in value or []]
        elif field.name == "faq":
            value = [{"question": entry.question, "answer": entry.answer} for entry in value or []]
        values[_RENAMED.get(field.name, field.name)] = value
    return values


def _merchant_for(info: Info, merchant_id: Any) -> User:
    """Merchants act for themselves; brand admins name the merchant."""
    user: User = info.context.user
    if user.role == Role.MERCHANT:
        return user
    if merchant_id is None:
        raise field_error("merchantId", "Choose the merchant.", Code.REQUIRED)
    merchant = User.objects.filter(pk=parse_id(merchant_id), role=Role.MERCHANT).first()
    if merchant is None:
        raise field_error("merchantId", "Unknown merchant.", Code.NOT_FOUND)
    return merchant


def _product_payload(product: Product) -> ProductPayload:
    return ProductPayload(product=ProductType.from_model(product), errors=[])


@strawberry.type
class MarketplaceMutation:
    # --- merchants and products --------------------------------------------------------------

    @strawberry.mutation(
        permission_classes=[IsMerchantOrBrandAdmin],
        description="Create or edit a merchant's public profile (mine; brand admins name the merchant).",
    )
    @handle_user_errors
    def merchant_profile_update(
        self, info: Info, input: MerchantProfileInput, merchant_id: strawberry.ID | None = None
    ) -> MerchantProfilePayload:
        merchant = _merchant_for(info, merchant_id)
        profile = services.merchant_profile_update(
            actor=info.context.user,
            merchant=merchant,
            display_name=input.display_name,
            slug=input.slug,
            description=input.description,
            website=input.website,
        )
        return MerchantProfilePayload(merchant=MerchantType.from_user(profile.user), errors=[])

    @strawberry.mutation(
        permission_classes=[IsMerchantOrBrandAdmin],
        description="Create a product as a draft (the plan's product quota applies).",
    )
    @handle_user_errors
    def product_create(self, info: Info, input: ProductCreateInput) -> ProductPayload:
        merchant = _merchant_for(info, input.merchant_id)
        product = services.product_create(
            actor=info.context.user, merchant=merchant, **_product_values(input)
        )
        return _product_payload(product)

    @strawberry.mutation(permission_classes=[IsMerchantOrBrandAdmin], description="Edit a product.")
    @handle_user_errors
    def product_update(self, info: Info, id: strawberry.ID, input: ProductInput) -> ProductPayload:
        product = managed_product_or_error(info, id)
        keep_on_error(product=lambda: ProductType.from_model(product))
        product = services.product_update(actor=info.context.user, product=product, **_product_values(input))
        return _product_payload(product)

    @strawberry.mutation(
        permission_classes=[IsMerchantOrBrandAdmin],
        description="Publish, pause, archive or restore (as a draft) a product.",
    )
    @handle_user_errors
    def product_status_set(self, info: Info, id: strawberry.ID, status: ProductStatusEnum) -> ProductPayload:
        product = managed_product_or_error(info, id)
        keep_on_error(product=lambda: ProductType.from_model(product))
        product = services.product_status_set(actor=info.context.user, product=product, status=status.value)
        return _product_payload(product)

    @strawberry.mutation(
        permission_classes=[IsBrandAdmin],
        description="Feature a product, or make it the deal of the day (the previous one stops being it).",
    )
    @handle_user_errors
    def product_promotion_set(
        self,
        info: Info,
        id: strawberry.ID,
        featured: bool | None = None,
        deal_of_the_day: bool | None = None,
    ) -> ProductPayload:
        product = managed_product_or_error(info, id)
        keep_on_error(product=lambda: ProductType.from_model(product))
        product = services.product_promotion_set(
            actor=info.context.user, product=product, featured=featured, deal_of_the_day=deal_of_the_day
        )
        return _product_payload(product)

    @strawberry.mutation(
        permission_classes=[IsMerchantOrBrandAdmin],
        description="Set the product's own commission in its program; a null kind restores the program's.",
    )
    @handle_user_errors
    def product_commission_rule_set(
        self,
        info: Info,
        product_id: strawberry.ID,
        kind: ProductCommissionKind | None,
        rate: Decimal | None = None,
        flat_amount: Decimal | None = None,
    ) -> ProductCommissionRulePayload:
        product = managed_product_or_error(info, product_id)
        keep_on_error(product=lambda: ProductType.from_model(product))
        rule = services.product_commission_rule_set(
            actor=info.context.user,
            product=product,
            kind=kind.value if kind is not None else None,
            rate=rate,
            flat_amount=flat_amount,
        )
        return ProductCommissionRulePayload(
            product=ProductType.from_model(product),
            rule=CommissionRule.from_model(rule, product.currency) if rule is not None else None,
            errors=[],
        )

    # --- categories --------------------------------------------------------------------------

    @strawberry.mutation(permission_classes=[IsBrandAdmin], description="Add a category (under a parent).")
    @handle_user_errors
    def category_create(self, info: Info, input: CategoryInput) -> CategoryPayload:
        parent = _parent(input.parent_id)
        category = services.category_create(
            actor=info.context.user,
            name=input.name if isinstance(input.name, str) else "",
            slug=input.slug if isinstance(input.slug, str) else "",
            parent=parent,
            position=input.position if isinstance(input.position, int) else 0,
        )
        return CategoryPayload(category=CategoryType.from_model(category), errors=[])

    @strawberry.mutation(
        permission_classes=[IsBrandAdmin],
        description="Rename, reorder or move a category (never under itself or its descendants).",
    )
    @handle_user_errors
    def category_update(self, info: Info, id: strawberry.ID, input: CategoryInput) -> CategoryPayload:
        category = category_or_error(id)
        keep_on_error(category=lambda: CategoryType.from_model(category))
        move = input.parent_id is not strawberry.UNSET
        category = services.category_update(
            actor=info.context.user,
            category=category,
            name=input.name if isinstance(input.name, str) else None,
            slug=input.slug if isinstance(input.slug, str) else None,
            position=input.position if isinstance(input.position, int) else None,
            move=move,
            parent=_parent(input.parent_id) if move else None,
        )
        return CategoryPayload(category=CategoryType.from_model(category), errors=[])

    @strawberry.mutation(
        permission_classes=[IsBrandAdmin], description="Delete a category without subcategories."
    )
    @handle_user_errors
    def category_delete(self, info: Info, id: strawberry.ID) -> CategoryDeletePayload:
        category = category_or_error(id)
        services.category_delete(actor=info.context.user, category=category)
        return CategoryDeletePayload(deleted_id=id, errors=[])

    # --- images ------------------------------------------------------------------------------

    @strawberry.mutation(
        permission_classes=[IsMerchantOrBrandAdmin],
        description=(
            "Add an image to a product's gallery (GraphQL multipart request). JPEG, PNG or WebP, "
            "recognised by content; size and pixel count capped (from the header). The image comes "
            "back PENDING: within seconds a worker strips its metadata, makes a thumbnail and marks "
            "it READY (or FAILED, see processingError). A merchant has a few images pending at most "
            "(IMAGE_QUEUE_FULL)."
        ),
    )
    @handle_user_errors
    def product_image_upload(
        self, info: Info, product_id: strawberry.ID, file: Upload, alt_text: str = ""
    ) -> ProductImagePayload:
        product = managed_product_or_error(info, product_id)
        image = services.product_image_upload(
            actor=info.context.user, product=product, file=file, alt_text=alt_text
        )
        return ProductImagePayload(image=ProductImageType.from_model(image), errors=[])

    @strawberry.mutation(
        permission_classes=[IsMerchantOrBrandAdmin], description="Change an image's alt text."
    )
    @handle_user_errors
    def product_image_update(self, info: Info, id: strawberry.ID, alt_text: str) -> ProductImagePayload:
        image = managed_image_or_error(info, id)
        keep_on_error(image=lambda: ProductImageType.from_model(image))
        image = services.product_image_update(actor=info.context.user, image=image, alt_text=alt_text)
        return ProductImagePayload(image=ProductImageType.from_model(image), errors=[])

    @strawberry.mutation(
        permission_classes=[IsMerchantOrBrandAdmin],
        description="Put a product's gallery in this order (every image id, once).",
    )
    @handle_user_errors(images=[])
    def product_images_reorder(
        self, info: Info, product_id: strawberry.ID, image_ids: list[strawberry.ID]
    ) -> ProductImagesPayload:
        product = managed_product_or_error(info, product_id)
        images = services.product_images_reorder(
            actor=info.context.user, product=product, image_ids=[parse_id(pk) for pk in image_ids]
        )
        return ProductImagesPayload(
            images=[ProductImageType.from_model(image) for image in images], errors=[]
        )

    @strawberry.mutation(
        permission_classes=[IsMerchantOrBrandAdmin],
        description="Remove an image; its files are deleted once that is committed.",
    )
    @handle_user_errors
    def product_image_delete(self, info: Info, id: strawberry.ID) -> ProductImageDeletePayload:
        image = managed_image_or_error(info, id)
        services.product_image_delete(actor=info.context.user, image=image)
        return ProductImageDeletePayload(deleted_id=id, errors=[])

    # --- reviews -----------------------------------------------------------------------------

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Rate a product you bought (1 to 5 stars), once.",
    )
    @handle_user_errors
    def review_create(
        self, info: Info, product_id: strawberry.ID, rating: int, title: str = "", body: str = ""
    ) -> ReviewPayload:
        product = visible_product_or_error(info, product_id)
        review = services.review_create(
            author=info.context.user, product=product, rating=rating, title=title, body=body
        )
        return ReviewPayload(review=ReviewType.from_model(review), errors=[])

    # --- affiliation requests ----------------------------------------------------------------

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Ask to promote a product (approved affiliates of its program).",
    )
    @handle_user_errors
    def product_affiliation_request(
        self, info: Info, product_id: strawberry.ID, message: str = ""
    ) -> AffiliationRequestPayload:
        product = visible_product_or_error(info, product_id)
        request = services.affiliation_request_create(
            user=info.context.user, product=product, message=message
        )
        return AffiliationRequestPayload(request=AffiliationRequestType.from_models([request])[0], errors=[])

    @strawberry.mutation(
        permission_classes=[IsMerchantOrBrandAdmin],
        description="Approve or reject a pending request to promote one of my products, with a note.",
    )
    @handle_user_errors
    def product_affiliation_decide(
        self, info: Info, request_id: strawberry.ID, approve: bool, note: str = ""
    ) -> AffiliationRequestPayload:
        request = managed_request_or_error(info, request_id)
        keep_on_error(request=lambda: AffiliationRequestType.from_models([request])[0])
        request = services.affiliation_request_decide(
            actor=info.context.user, request=request, approve=approve, note=note
        )
        return AffiliationRequestPayload(request=AffiliationRequestType.from_models([request])[0], errors=[])

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description=(
            "A tracked link to a product page, once the merchant approved my request to promote it "
            "(NOT_APPROVED_FOR_PRODUCT otherwise)."
        ),
    )
    @handle_user_errors
    def product_link_create(
        self,
        info: Info,
        product_id: strawberry.ID,
        title: str = "",
        sub_ids: strawberry.scalars.JSON | None = None,
        utm: strawberry.scalars.JSON | None = None,
    ) -> LinkPayload:
        product = visible_product_or_error(info, product_id)
        link = services.product_link_create(
            user=info.context.user,
            product=product,
            title=title,
            sub_ids=sub_ids if isinstance(sub_ids, dict) else None,
            utm=utm if isinstance(utm, dict) else None,
        )
        link = LinkModel.objects.select_related("program").get(pk=link.pk)
        return LinkPayload(link=links_with_stats([link])[0], errors=[])


def _parent(parent_id: Any) -> Category | None:
    if parent_id is None or parent_id is strawberry.UNSET:
        return None
    parent = Category.objects.filter(pk=parse_id(parent_id)).first()
    if parent is None:
        raise field_error("parentId", "Unknown category.", Code.NOT_FOUND)
    return parent
