"""What a deal page tells search engines and link previews: title, description, canonical URL,
the Open Graph picture and schema.org Product data.

One place computes it for both readers: the API's ``Product.seo`` field and the server-rendered
``<head>`` of ``/deals/<slug>`` (webapp.head), which crawlers that run no JavaScript (WhatsApp,
Telegram, Facebook, X, LinkedIn) read.

The Open Graph picture is the first image of the gallery in a 1200 x 630 JPEG (the 1.91:1 card
every one of those networks shows large), generated on first request and kept in the brand's
prefix of the storage beside the original (see ``marketplace.services.images.product_image_og_variant``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from core.money import quantize
from marketplace.models import Product, ProductImage, ProductStatus
from marketplace.sanitize import html_to_text
from marketplace.selectors import image_url, product_page_url

SEO_DESCRIPTION_LENGTH = 160
OG_IMAGE_WIDTH = 1200
OG_IMAGE_HEIGHT = 630
OG_IMAGE_SUFFIX = "_og.jpg"
OG_IMAGE_CONTENT_TYPE = "image/jpeg"


def product_is_expired(product: Product) -> bool:
    return product.expires_at is not None and product.expires_at <= timezone.now()


def product_is_available(product: Product) -> bool:
    """Can be bought now: active, not expired, not sold out."""
    return (
        product.status == ProductStatus.ACTIVE
        and not product_is_expired(product)
        and (product.stock is None or product.stock >= product.min_per_purchase)
    )


def og_image_key(file_key: str) -> str:
    """The storage key (and URL path) of an image's 1200 x 630 Open Graph variant."""
    return file_key.rsplit(".", 1)[0] + OG_IMAGE_SUFFIX


def seo_description(text: str) -> str:
    """At most 160 characters (what search results show), cut at a word with an ellipsis."""
    text = " ".join(text.split())
    if len(text) > SEO_DESCRIPTION_LENGTH:
        text = text[: SEO_DESCRIPTION_LENGTH - 1].rsplit(" ", 1)[0] + "…"
    return text


@dataclass(frozen=True)
class OpenGraphImage:
    url: str
    width: int
    height: int
    content_type: str
    alt: str


@dataclass(frozen=True)
class ProductSeo:
    title: str
    description: str
    canonical_url: str
    image: OpenGraphImage | None
    json_ld: dict[str, Any]


def product_seo(
    product: Product, *, brand_name: str, base_url: str, gallery: list[ProductImage]
) -> ProductSeo:
    """The deal page's SEO data; ``gallery`` is what the public sees of the product's images
    (ready ones, in order: ``marketplace.selectors.gallery_images``). No query."""
    canonical_url = product_page_url(product, base_url)
    description = seo_description(product.summary or html_to_text(product.description_html))
    first = gallery[0] if gallery else None
    image = (
        OpenGraphImage(
            url=image_url(og_image_key(first.file_key), base_url),
            width=OG_IMAGE_WIDTH,
            height=OG_IMAGE_HEIGHT,
            content_type=OG_IMAGE_CONTENT_TYPE,
            alt=first.alt_text or product.title,
        )
        if first is not None
        else None
    )
    originals = [image_url(item.file_key, base_url) for item in gallery[:3]]
    return ProductSeo(
        title=f"{product.title} | {brand_name}",
        description=description,
        canonical_url=canonical_url,
        image=image,
        json_ld=_json_ld(product, canonical_url, description, originals),
    )


def _json_ld(product: Product, url: str, description: str, images: list[str]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product.title,
        "description": description,
        "url": url,
        "offers": {
            "@type": "Offer",
            "url": url,
            "price": str(quantize(product.price, product.currency)),
            "priceCurrency": product.currency,
            "availability": "https://schema.org/InStock"
            if product_is_available(product)
            else "https://schema.org/OutOfStock",
        },
    }
    if product.expires_at is not None:
        data["offers"]["priceValidUntil"] = product.expires_at.date().isoformat()
    if images:
        data["image"] = images
    if product.rating_count:
        data["aggregateRating"] = {
            "@type": "AggregateRating",
            "ratingValue": str(product.rating_average),
            "reviewCount": product.rating_count,
        }
    return data
