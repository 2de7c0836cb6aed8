"""Builders for catalog tests: merchants, products through the services, images, paid orders,
and GraphQL multipart uploads."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_tenants.utils import tenant_context
from PIL import Image

from accounts.models import Role, User
from marketplace.models import Order, OrderLine, OrderStatus, Product, ProductImage
from marketplace.services import product_create, product_status_set
from marketplace.services.images import product_image_process, product_image_upload
from tenants.models import Domain
from tests.conftest import make_user
from tests.graphql_client import GraphQLClient

_numbers = itertools.count(1)

UPLOAD = """
mutation($p: ID!, $f: Upload!, $a: String!) {
  productImageUpload(productId: $p, file: $f, altText: $a) {
    image { id status url thumbnailUrl width height contentType sizeBytes altText position }
    errors { field code message }
  }
}
"""


def make_merchant(brand: Any) -> User:
    return make_user(brand, role=Role.MERCHANT)


def make_product(merchant: User, *, active: bool = True, **fields: Any) -> Product:
    """A product through the catalog service (draft, then active unless told)."""
    number = next(_numbers)
    fields.setdefault("title", f"Spa day {number}")
    fields.setdefault("original_price", Decimal("80.00"))
    fields.setdefault("price", Decimal("49.90"))
    product = product_create(actor=merchant, merchant=merchant, **fields)
    if active:
        product = product_status_set(actor=merchant, product=product, status="active")
    return product


def image_bytes(
    image_format: str = "JPEG",
    size: tuple[int, int] = (800, 600),
    color: str = "teal",
    exif: Image.Exif | None = None,
    **options: Any,
) -> bytes:
    mode = "RGBA" if image_format == "PNG" else "RGB"
    image = Image.new(mode, size, color)
    output = io.BytesIO()
    if exif is not None:
        options["exif"] = exif.tobytes()
    image.save(output, image_format, **options)
    return output.getvalue()


def make_paid_order(customer: User, product: Product, *, status: str = OrderStatus.PAID) -> Order:
    number = next(_numbers)
    now = timezone.now()
    order = Order.objects.create(
        number=f"T-{number}-{customer.pk}",
        customer=customer,
        email=customer.email,
        status=status,
        currency=product.currency,
        total=product.price,
        payment_provider="stripe",
        reserved_until=now + dt.timedelta(minutes=30),
        paid_at=now if status != OrderStatus.PENDING_PAYMENT else None,
    )
    OrderLine.objects.create(
        order=order,
        product=product,
        merchant=product.merchant,
        title=product.title,
        unit_price=product.price,
        quantity=1,
        line_total=product.price,
    )
    return order


def add_image(merchant: User, product: Product, data: bytes, *, alt_text: str = "") -> ProductImage:
    """An image through the upload service, then processed as the Celery task would (a test's
    transaction never commits, so nothing is queued). In the current tenant."""
    image = product_image_upload(actor=merchant, product=product, file=ContentFile(data), alt_text=alt_text)
    processed = product_image_process(image_id=image.pk)
    assert processed is not None
    return processed


def upload(
    client: GraphQLClient,
    product_id: Any,
    data: bytes,
    *,
    name: str = "photo.jpg",
    content_type: str = "image/jpeg",
    alt_text: str = "",
    process: bool = True,
) -> dict[str, Any]:
    """productImageUpload as a GraphQL multipart request (the spec's operations / map / file).

    The answer is what the request said (the image PENDING); with ``process`` the image is then
    processed as the Celery task would (a test's transaction never commits, so nothing is queued).
    """
    operations = {"query": UPLOAD, "variables": {"p": str(product_id), "f": None, "a": alt_text}}
    response = client.client.post(
        "/graphql/",
        data={
            "operations": json.dumps(operations),
            "map": json.dumps({"0": ["variables.f"]}),
            "0": SimpleUploadedFile(name, data, content_type=content_type),
        },
        HTTP_HOST=client.host,
    )
    assert response.status_code == 200, response.content
    body: dict[str, Any] = response.json()
    image = ((body.get("data") or {}).get("productImageUpload") or {}).get("image")
    if process and image:
        tenant = Domain.objects.get(domain=client.host).tenant
        with tenant_context(tenant):
            product_image_process(image_id=int(image["id"]))
    return body
