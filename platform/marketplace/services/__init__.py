"""Writes of the marketplace, by entity. The catalog's and categories' are re-exported here; checkout
(``marketplace.services.orders``) and refunds (``marketplace.services.refunds``) are imported
from their own modules."""

from marketplace.error_codes import CatalogErrorCode
from marketplace.services.catalog import (
    merchant_profile_ensure,
    merchant_profile_update,
    product_commission_rule_set,
    product_create,
    product_promotion_set,
    product_status_set,
    product_update,
)
from marketplace.services.categories import category_create, category_delete, category_update
from marketplace.services.images import (
    product_image_delete,
    product_image_update,
    product_image_upload,
    product_images_reorder,
)
from marketplace.services.requests import (
    affiliation_request_create,
    affiliation_request_decide,
    product_link_create,
)
from marketplace.services.reviews import review_create

__all__ = [
    "CatalogErrorCode",
    "affiliation_request_create",
    "affiliation_request_decide",
    "category_create",
    "category_delete",
    "category_update",
    "merchant_profile_ensure",
    "merchant_profile_update",
    "product_commission_rule_set",
    "product_create",
    "product_image_delete",
    "product_image_update",
    "product_image_upload",
    "product_images_reorder",
    "product_link_create",
    "product_promotion_set",
    "product_status_set",
    "product_update",
    "review_create",
]
