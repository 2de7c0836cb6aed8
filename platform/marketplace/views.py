"""The marketplace on a brand's host outside GraphQL: ``/sitemap.xml``, ``/robots.txt`` and
the stable addresses of product images (and of their Open Graph variants).

Images live in a private bucket (invoices share it), so nobody reaches a file without a
signature. A page, an Open Graph tag or a crawler needs an address that does not expire,
though: ``/media/products/<id>/<file>`` on the brand's host is one. It finds the image in
the brand's own schema (another brand's key is simply not there), checks that the visitor
may see its product, and answers with a redirect to a signed link valid for
``AWS_QUERYSTRING_EXPIRE`` seconds (or streams the file from local disk in development).
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
)
from django.views.decorators.http import require_safe

from core.storage import TenantFileSystemStorage
from marketplace.selectors import sitemap_entries, viewable_image, viewable_image_of_og_key
from marketplace.seo import OG_IMAGE_CONTENT_TYPE
from marketplace.services.images import product_image_og_variant
from tenants.selectors import brand_base_url

SITEMAP_NAMESPACE = "http://www.sitemaps.org/schemas/sitemap/0.9"


@require_safe
def sitemap_view(request: HttpRequest) -> HttpResponse:
    base_url = brand_base_url(request.tenant)  # type: ignore[attr-defined]
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<urlset xmlns="{SITEMAP_NAMESPACE}">']
    for entry in sitemap_entries(base_url):
        lastmod = (
            f"<lastmod>{entry.last_modified.date().isoformat()}</lastmod>" if entry.last_modified else ""
        )
        lines.append(f"<url><loc>{escape(entry.location)}</loc>{lastmod}</url>")
    lines.append("</urlset>")
    response = HttpResponse("\n".join(lines) + "\n", content_type="application/xml; charset=utf-8")
    response["Cache-Control"] = "public, max-age=3600"
    return response


@require_safe
def robots_view(request: HttpRequest) -> HttpResponse:
    base_url = brand_base_url(request.tenant)  # type: ignore[attr-defined]
    body = "\n".join(
        [
            "User-agent: *",
            "Disallow: /graphql/",
            "Disallow: /r/",
            "Disallow: /postback/",
            "Allow: /",
            f"Sitemap: {base_url}/sitemap.xml",
            "",
        ]
    )
    return HttpResponse(body, content_type="text/plain; charset=utf-8")


@require_safe
def product_image_view(request: HttpRequest, key: str) -> HttpResponseBase:
    image = viewable_image(key, request.user)
    if image is None:
        raise Http404("No such image.")
    return _serve(key, image.content_type if key == image.file_key else "image/webp")


@require_safe
def product_image_og_view(request: HttpRequest, key: str) -> HttpResponseBase:
    """``/media/<stem>_og.jpg``: the image's 1200 x 630 Open Graph variant (link previews),
    made on first request (``product_image_og_variant``). Looked up in the brand's own schema
    and stored under its own prefix, like the original: another brand's key is not there."""
    image = viewable_image_of_og_key(key, request.user)
    if image is None:
        raise Http404("No such image.")
    return _serve(product_image_og_variant(image=image), OG_IMAGE_CONTENT_TYPE)


def _serve(key: str, content_type: str) -> HttpResponseBase:
    if isinstance(default_storage, TenantFileSystemStorage):
        return FileResponse(default_storage.open(key, "rb"), content_type=content_type)
    response = HttpResponseRedirect(default_storage.url(key))
    # Browsers may reuse the redirect (and its signed link) while the signature still holds.
    response["Cache-Control"] = f"private, max-age={max(0, settings.AWS_QUERYSTRING_EXPIRE - 60)}"
    return response
