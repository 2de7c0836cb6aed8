"""Who may reach which catalog object. Another merchant's product, another brand's object and
a missing one all answer the same NOT_FOUND."""

from __future__ import annotations

from typing import Any

from graphql_schema.access import not_found, parse_id
from graphql_schema.context import Info
from marketplace.models import AffiliationRequest, Category, Product, ProductImage
from marketplace.selectors import can_manage_product, managed_product, product_by_id


def managed_product_or_error(info: Info, product_id: Any) -> Product:
    product = managed_product(parse_id(product_id), info.context.user)
    if product is None:
        raise not_found("Product")
    return product


def visible_product_or_error(info: Info, product_id: Any) -> Product:
    user = info.context.user if info.context.is_authenticated else None
    product = product_by_id(parse_id(product_id), user)
    if product is None:
        raise not_found("Product")
    return product


def managed_image_or_error(info: Info, image_id: Any) -> ProductImage:
    image = ProductImage.objects.select_related("product").filter(pk=parse_id(image_id)).first()
    if image is None or not can_manage_product(info.context.user, image.product):
        raise not_found("Image")
    return image


def category_or_error(category_id: Any) -> Category:
    category = Category.objects.filter(pk=parse_id(category_id)).first()
    if category is None:
        raise not_found("Category")
    return category


def managed_request_or_error(info: Info, request_id: Any) -> AffiliationRequest:
    request = (
        AffiliationRequest.objects.select_related("product", "affiliate__user")
        .filter(pk=parse_id(request_id))
        .first()
    )
    if request is None or not can_manage_product(info.context.user, request.product):
        raise not_found("Request")
    return request
