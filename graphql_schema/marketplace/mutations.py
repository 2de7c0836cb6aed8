from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import strawberry
from django.core.exceptions import ValidationError
from strawberry.file_uploads import Upload
from strawberry.types import Info

from accounts.models import Role, User
from affiliation.models import Link as LinkModel
from affiliation.models import Program
from core.errors import field_error
from graphql_schema.access import parse_id
from graphql_schema.affiliation.builders import links_with_stats
from graphql_schema.affiliation.types import LinkPayload
from graphql_schema.errors import user_errors
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
from marketplace.models import Category, Product
from marketplace.services.catalog import CatalogErrorCode as Code

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
    def merchant_profile_update(
        self, info: Info, input: MerchantProfileInput, merchant_id: strawberry.ID | None = None
    ) -> MerchantProfilePayload:
        try:
            merchant = _merchant_for(info, merchant_id)
            profile = services.merchant_profile_update(
                actor=info.context.user,
                merchant=merchant,
                display_name=input.display_name,
                slug=input.slug,
                description=input.description,
                website=input.website,
            )
        except ValidationError as error:
            return MerchantProfilePayload(merchant=None, errors=user_errors(error))
        return MerchantProfilePayload(merchant=MerchantType.from_user(profile.user), errors=[])

    @strawberry.mutation(
        permission_classes=[IsMerchantOrBrandAdmin],
        description="Create a product as a draft (the plan's product quota applies).",
    )
    def product_create(self, info: Info, input: ProductCreateInput) -> ProductPayload:
        try:
            merchant = _merchant_for(info, input.merchant_id)
            product = services.product_create(
                actor=info.context.user, merchant=merchant, **_product_values(input)
            )
        except ValidationError as error:
            return ProductPayload(product=None, errors=user_errors(error))
        return _product_payload(product)

    @strawberry.mutation(permission_classes=[IsMerchantOrBrandAdmin], description="Edit a product.")
    def product_update(self, info: Info, id: strawberry.ID, input: ProductInput) -> ProductPayload:
        product = managed_product_or_error(info, id)
        try:
            product = services.product_update(
                actor=info.context.user, product=product, **_product_values(input)
            )
        except ValidationError as error:
            return ProductPayload(product=ProductType.from_model(product), errors=user_errors(error))
        return _product_payload(product)

    @strawberry.mutation(
        permission_classes=[IsMerchantOrBrandAdmin],
        description="Publish, pause, archive or restore (as a draft) a product.",
    )
    def product_status_set(self, info: Info, id: strawberry.ID, status: ProductStatusEnum) -> ProductPayload:
        product = managed_product_or_error(info, id)
        try:
            product = services.product_status_set(
                actor=info.context.user, product=product, status=status.value
            )
        except ValidationError as error:
            return ProductPayload(product=ProductType.from_model(product), errors=user_errors(error))
        return _product_payload(product)

    @strawberry.mutation(
        permission_classes=[IsBrandAdmin],
        description="Feature a product, or make it the deal of the day (the previous one stops being it).",
    )
    def product_promotion_set(
        self,
        info: Info,
        id: strawberry.ID,
        featured: bool | None = None,
        deal_of_the_day: bool | None = None,
    ) -> ProductPayload:
        product = managed_product_or_error(info, id)
        try:
            product = services.product_promotion_set(
                actor=info.context.user, product=product, featured=featured, deal_of_the_day=deal_of_the_day
            )
        except ValidationError as error:
            return ProductPayload(product=ProductType.from_model(product), errors=user_errors(error))
        return _product_payload(product)

    @strawberry.mutation(
        permission_classes=[IsMerchantOrBrandAdmin],
        description="Set the product's own commission in its program; a null kind restores the program's.",
    )
    def product_commission_rule_set(
        self,
        info: Info,
        product_id: strawberry.ID,
        kind: ProductCommissionKind | None,
        rate: Decimal | None = None,
        flat_amount: Decimal | None = None,
    ) -> ProductCommissionRulePayload:
        product = managed_product_or_error(info, product_id)
        try:
            rule = services.product_commission_rule_set(
                actor=info.context.user,
                product=product,
                kind=kind.value if kind is not None else None,
                rate=rate,
                flat_amount=flat_amount,
            )
        except ValidationError as error:
            return ProductCommissionRulePayload(
                product=ProductType.from_model(product), rule=None, errors=user_errors(error)
            )
        return ProductCommissionRulePayload(
            product=ProductType.from_model(product),
            rule=CommissionRule.from_model(rule, product.currency) if rule is not None else None,
            errors=[],
        )

    # --- categories --------------------------------------------------------------------------

    @strawberry.mutation(permission_classes=[IsBrandAdmin], description="Add a category (under a parent).")
    def category_create(self, info: Info, input: CategoryInput) -> CategoryPayload:
        try:
            parent = _parent(input.parent_id)
            category = services.category_create(
                actor=info.context.user,
                name=input.name if isinstance(input.name, str) else "",
                slug=input.slug if isinstance(input.slug, str) else "",
                parent=parent,
                position=input.position if isinstance(input.position, int) else 0,
            )
        except ValidationError as error:
            return CategoryPayload(category=None, errors=user_errors(error))
        return CategoryPayload(category=CategoryType.from_model(category), errors=[])

    @strawberry.mutation(
        permission_classes=[IsBrandAdmin],
        description="Rename, reorder or move a category (never under itself or its descendants).",
    )
    def category_update(self, info: Info, id: strawberry.ID, input: CategoryInput) -> CategoryPayload:
        category = category_or_error(id)
        try:
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
        except ValidationError as error:
            return CategoryPayload(category=CategoryType.from_model(category), errors=user_errors(error))
        return CategoryPayload(category=CategoryType.from_model(category), errors=[])

    @strawberry.mutation(
        permission_classes=[IsBrandAdmin], description="Delete a category without subcategories."
    )
    def category_delete(self, info: Info, id: strawberry.ID) -> CategoryDeletePayload:
        category = category_or_error(id)
        try:
            services.category_delete(actor=info.context.user, category=category)
        except ValidationError as error:
            return CategoryDeletePayload(deleted_id=None, errors=user_errors(error))
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
    def product_image_upload(
        self, info: Info, product_id: strawberry.ID, file: Upload, alt_text: str = ""
    ) -> ProductImagePayload:
        product = managed_product_or_error(info, product_id)
        try:
            image = services.product_image_upload(
                actor=info.context.user, product=product, file=file, alt_text=alt_text
            )
        except ValidationError as error:
            return ProductImagePayload(image=None, errors=user_errors(error))
        return ProductImagePayload(image=ProductImageType.from_model(image), errors=[])

    @strawberry.mutation(
        permission_classes=[IsMerchantOrBrandAdmin], description="Change an image's alt text."
    )
    def product_image_update(self, info: Info, id: strawberry.ID, alt_text: str) -> ProductImagePayload:
        image = managed_image_or_error(info, id)
        try:
            image = services.product_image_update(actor=info.context.user, image=image, alt_text=alt_text)
        except ValidationError as error:
            return ProductImagePayload(image=ProductImageType.from_model(image), errors=user_errors(error))
        return ProductImagePayload(image=ProductImageType.from_model(image), errors=[])

    @strawberry.mutation(
        permission_classes=[IsMerchantOrBrandAdmin],
        description="Put a product's gallery in this order (every image id, once).",
    )
    def product_images_reorder(
        self, info: Info, product_id: strawberry.ID, image_ids: list[strawberry.ID]
    ) -> ProductImagesPayload:
        product = managed_product_or_error(info, product_id)
        try:
            images = services.product_images_reorder(
                actor=info.context.user, product=product, image_ids=[parse_id(pk) for pk in image_ids]
            )
        except ValidationError as error:
            return ProductImagesPayload(images=[], errors=user_errors(error))
        return ProductImagesPayload(
            images=[ProductImageType.from_model(image) for image in images], errors=[]
        )

    @strawberry.mutation(
        permission_classes=[IsMerchantOrBrandAdmin],
        description="Remove an image; its files are deleted once that is committed.",
    )
    def product_image_delete(self, info: Info, id: strawberry.ID) -> ProductImageDeletePayload:
        image = managed_image_or_error(info, id)
        services.product_image_delete(actor=info.context.user, image=image)
        return ProductImageDeletePayload(deleted_id=id, errors=[])

    # --- reviews -----------------------------------------------------------------------------

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Rate a product you bought (1 to 5 stars), once.",
    )
    def review_create(
        self, info: Info, product_id: strawberry.ID, rating: int, title: str = "", body: str = ""
    ) -> ReviewPayload:
        product = visible_product_or_error(info, product_id)
        try:
            review = services.review_create(
                author=info.context.user, product=product, rating=rating, title=title, body=body
            )
        except ValidationError as error:
            return ReviewPayload(review=None, errors=user_errors(error))
        return ReviewPayload(review=ReviewType.from_model(review), errors=[])

    # --- affiliation requests ----------------------------------------------------------------

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Ask to promote a product (approved affiliates of its program).",
    )
    def product_affiliation_request(
        self, info: Info, product_id: strawberry.ID, message: str = ""
    ) -> AffiliationRequestPayload:
        product = visible_product_or_error(info, product_id)
        try:
            request = services.affiliation_request_create(
                user=info.context.user, product=product, message=message
            )
        except ValidationError as error:
            return AffiliationRequestPayload(request=None, errors=user_errors(error))
        return AffiliationRequestPayload(request=AffiliationRequestType.from_models([request])[0], errors=[])

    @strawberry.mutation(
        permission_classes=[IsMerchantOrBrandAdmin],
        description="Approve or reject a pending request to promote one of my products, with a note.",
    )
    def product_affiliation_decide(
        self, info: Info, request_id: strawberry.ID, approve: bool, note: str = ""
    ) -> AffiliationRequestPayload:
        request = managed_request_or_error(info, request_id)
        try:
            request = services.affiliation_request_decide(
                actor=info.context.user, request=request, approve=approve, note=note
            )
        except ValidationError as error:
            return AffiliationRequestPayload(
                request=AffiliationRequestType.from_models([request])[0], errors=user_errors(error)
            )
        return AffiliationRequestPayload(request=AffiliationRequestType.from_models([request])[0], errors=[])

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description=(
            "A tracked link to a product page, once the merchant approved my request to promote it "
            "(NOT_APPROVED_FOR_PRODUCT otherwise)."
        ),
    )
    def product_link_create(
        self,
        info: Info,
        product_id: strawberry.ID,
        title: str = "",
        sub_ids: strawberry.scalars.JSON | None = None,
        utm: strawberry.scalars.JSON | None = None,
    ) -> LinkPayload:
        product = visible_product_or_error(info, product_id)
        try:
            link = services.product_link_create(
                user=info.context.user,
                product=product,
                title=title,
                sub_ids=sub_ids if isinstance(sub_ids, dict) else None,
                utm=utm if isinstance(utm, dict) else None,
            )
        except ValidationError as error:
            return LinkPayload(link=None, errors=user_errors(error))
        link = LinkModel.objects.select_related("program").get(pk=link.pk)
        return LinkPayload(link=links_with_stats([link])[0], errors=[])


def _parent(parent_id: Any) -> Category | None:
    if parent_id is None or parent_id is strawberry.UNSET:
        return None
    parent = Category.objects.filter(pk=parse_id(parent_id)).first()
    if parent is None:
        raise field_error("parentId", "Unknown category.", Code.NOT_FOUND)
    return parent
