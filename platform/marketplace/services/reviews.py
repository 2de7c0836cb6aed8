"""Reviews by verified buyers, and the rating they give a product."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Avg, Count

from accounts.models import User
from core.audit import audit_log
from core.errors import field_error
from marketplace.error_codes import CatalogErrorCode as Code
from marketplace.models import Product, Review
from marketplace.selectors import verified_order

MAX_TITLE_LENGTH = 120
MAX_BODY_LENGTH = 5000


def review_create(*, author: User, product: Product, rating: Any, title: str = "", body: str = "") -> Review:
    """One review per buyer and product, from a customer whose paid, unrefunded order holds
    the product. The product's count and average are recomputed from its reviews while its
    row is locked, so concurrent reviews queue there and none is lost from the average."""
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise field_error("rating", "Rate from 1 to 5 stars.", Code.OUT_OF_RANGE)
    title, body = (title or "").strip(), (body or "").strip()
    if len(title) > MAX_TITLE_LENGTH:
        raise field_error("title", f"At most {MAX_TITLE_LENGTH} characters.", Code.TOO_LONG)
    if len(body) > MAX_BODY_LENGTH:
        raise field_error("body", f"At most {MAX_BODY_LENGTH} characters.", Code.TOO_LONG)
    order = verified_order(author, product)
    if order is None:
        raise field_error("productId", "Only customers who bought this deal can review it.", Code.NOT_A_BUYER)
    with transaction.atomic():
        Product.objects.select_for_update().filter(pk=product.pk).first()
        try:
            with transaction.atomic():
                review = Review.objects.create(
                    product=product, author=author, order=order, rating=rating, title=title, body=body
                )
        except IntegrityError as error:
            raise field_error(
                "productId", "You have already reviewed this deal.", Code.ALREADY_REVIEWED
            ) from error
        totals = Review.objects.filter(product=product).aggregate(count=Count("id"), average=Avg("rating"))
        average = Decimal(str(totals["average"] or 0)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        Product.objects.filter(pk=product.pk).update(rating_count=totals["count"], rating_average=average)
        audit_log(actor=author, action="review.created", target=review, product=product.pk, rating=rating)
    product.rating_count, product.rating_average = totals["count"], average
    return review
