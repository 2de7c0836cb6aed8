"""Product images: GraphQL multipart uploads checked by content, cleaned, thumbnailed, stored
under the brand's prefix in S3 (moto) and served through short-lived signed links."""

from __future__ import annotations

import io
import json
import struct
import time
import zlib
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import override_settings
from django_tenants.utils import tenant_context
from PIL import Image

from accounts.models import Role
from marketplace.models import ProductImage
from marketplace.services import product_image_delete, product_image_upload
from marketplace.services.images import product_image_process
from tests.conftest import make_user
from tests.marketplace.builders import UPLOAD, image_bytes, make_merchant, make_product, upload


@pytest.fixture
def owned(gql, brand_a):
    merchant = make_merchant(brand_a)
    with tenant_context(brand_a):
        product = make_product(merchant)
    return gql(brand_a, merchant), product, merchant


def _stored(key: str) -> bytes:
    with default_storage.open(key, "rb") as handle:
        data: bytes = handle.read()
    return data


def test_an_upload_is_stored_under_the_brand_with_a_thumbnail(owned, brand_a, client):
    merchant_client, product, _ = owned

    result = upload(merchant_client, product.pk, image_bytes("JPEG", (1600, 900)), alt_text="The pool")

    assert result["data"]["productImageUpload"]["errors"] == []
    image = result["data"]["productImageUpload"]["image"]
    assert (image["width"], image["height"], image["contentType"]) == (1600, 900, "image/jpeg")
    assert image["altText"] == "The pool"
    assert image["url"].startswith(f"https://{brand_a.domains.get().domain}/media/products/{product.pk}/")
    with tenant_context(brand_a):
        row = ProductImage.objects.get()
        assert row.file_key.startswith(f"products/{product.pk}/")
        assert row.file_key.endswith(".jpg")
        assert row.thumbnail_key.endswith("_480.webp")
        thumbnail = Image.open(io.BytesIO(_stored(row.thumbnail_key)))
        assert (thumbnail.format, thumbnail.size) == ("WEBP", (480, 270))
        signed = default_storage.url(row.file_key)
    assert f"/{brand_a.schema_name}/products/{product.pk}/" in signed
    assert httpx.get(signed).status_code == 200


def test_a_file_is_judged_by_its_content_not_its_name_or_type(owned, brand_a):
    merchant_client, product, _ = owned
    gif = image_bytes("GIF", (20, 20))
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    png_named_txt = image_bytes("PNG", (30, 20))

    as_jpeg = upload(merchant_client, product.pk, gif, name="cat.jpg", content_type="image/jpeg")
    script = upload(merchant_client, product.pk, svg, name="x.jpg", content_type="image/jpeg")
    text = upload(merchant_client, product.pk, b"just text", name="photo.jpg")
    png = upload(merchant_client, product.pk, png_named_txt, name="notes.txt", content_type="text/plain")

    for refused in (as_jpeg, script, text):
        assert refused["data"]["productImageUpload"] == {
            "image": None,
            "errors": [
                {"field": "file", "code": "UNSUPPORTED_IMAGE", "message": "Upload a JPEG, PNG or WebP image."}
            ],
        }
    assert png["data"]["productImageUpload"]["image"]["contentType"] == "image/png"
    with tenant_context(brand_a):
        assert ProductImage.objects.count() == 1


def test_a_truncated_image_is_refused(owned):
    """Its header is whole, so the request takes it; decoding (in the worker) refuses it."""
    merchant_client, product, _ = owned
    data = image_bytes("JPEG", (400, 300))

    result = upload(merchant_client, product.pk, data[: len(data) // 2])
    gallery = merchant_client.data(
        "query($id: ID!) { product(id: $id) { images(includeUnready: true) { status processingError { field code message } } } }",
        {"id": str(product.pk)},
    )

    assert result["data"]["productImageUpload"]["errors"] == []
    assert result["data"]["productImageUpload"]["image"]["status"] == "PENDING"
    assert gallery["product"]["images"] == [
        {
            "status": "FAILED",
            "processingError": {
                "field": "file",
                "code": "UNSUPPORTED_IMAGE",
                "message": "This image is damaged.",
            },
        }
    ]


def test_an_oversized_upload_is_refused_and_nothing_is_stored(owned, brand_a, s3_server):
    merchant_client, product, _ = owned
    big = image_bytes("PNG", (300, 300))

    with override_settings(MARKETPLACE_IMAGE_MAX_BYTES=len(big) - 1):
        result = upload(merchant_client, product.pk, big, name="big.png")

    assert result["data"]["productImageUpload"]["errors"] == [
        {"field": "file", "code": "IMAGE_TOO_LARGE", "message": "Images are limited to 0 MB."}
    ]
    with tenant_context(brand_a):
        assert not ProductImage.objects.exists()
        assert default_storage.listdir(f"products/{product.pk}") == ([], [])


def _png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG that declares a huge canvas (a decompression bomb's header)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("size", [(10_000, 10_000), (20_000, 20_000)])
def test_a_decompression_bomb_is_refused_before_decoding(owned, size):
    merchant_client, product, _ = owned

    result = upload(merchant_client, product.pk, _png_header_only(*size), name="bomb.png")

    assert result["data"]["productImageUpload"]["errors"][0]["code"] == "IMAGE_TOO_MANY_PIXELS"


def test_exif_orientation_is_applied_and_metadata_stripped(owned, brand_a):
    merchant_client, product, _ = owned
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    exif[0x010F] = "SecretCam"
    exif[0x8825] = {2: (48.0, 51.0, 24.0)}  # GPS latitude
    data = image_bytes("JPEG", (400, 200), exif=exif, comment=b"shot at home")

    result = upload(merchant_client, product.pk, data)

    image = result["data"]["productImageUpload"]["image"]
    assert (image["width"], image["height"]) == (400, 200)  # the header's, until processed
    with tenant_context(brand_a):
        row = ProductImage.objects.get()
        stored = _stored(row.file_key)
    assert (row.width, row.height) == (200, 400)
    cleaned = Image.open(io.BytesIO(stored))
    assert dict(cleaned.getexif()) == {}
    assert b"SecretCam" not in stored
    assert b"shot at home" not in stored
    assert cleaned.size == (200, 400)


def test_webp_uploads_are_kept_as_webp(owned):
    merchant_client, product, _ = owned

    result = upload(merchant_client, product.pk, image_bytes("WEBP", (640, 480)), name="a.webp")

    assert result["data"]["productImageUpload"]["image"]["contentType"] == "image/webp"


def test_reorder_and_delete_with_files_removed_on_commit(owned, brand_a, django_capture_on_commit_callbacks):
    merchant_client, product, merchant = owned
    ids = [
        upload(merchant_client, product.pk, image_bytes("JPEG", (100, 100), color=color))["data"][
            "productImageUpload"
        ]["image"]["id"]
        for color in ("red", "green", "blue")
    ]
    reorder = (
        "mutation($p: ID!, $ids: [ID!]!) { productImagesReorder(productId: $p, imageIds: $ids) "
        "{ images { id position } errors { field code } } }"
    )

    partial = merchant_client.data(reorder, {"p": str(product.pk), "ids": ids[:2]})["productImagesReorder"]
    twice = merchant_client.data(reorder, {"p": str(product.pk), "ids": [ids[0], ids[0], ids[1]]})
    done = merchant_client.data(reorder, {"p": str(product.pk), "ids": list(reversed(ids))})[
        "productImagesReorder"
    ]
    gallery = merchant_client.data(
        "query($id: ID!) { product(id: $id) { images { id } } }", {"id": str(product.pk)}
    )

    assert partial["errors"] == [{"field": "imageIds", "code": "INVALID_ORDER"}]
    assert twice["productImagesReorder"]["errors"] == [{"field": "imageIds", "code": "INVALID_ORDER"}]
    assert [image["id"] for image in done["images"]] == list(reversed(ids))
    assert [image["id"] for image in gallery["product"]["images"]] == list(reversed(ids))

    with tenant_context(brand_a):
        image = ProductImage.objects.get(pk=ids[0])
        keys = [image.file_key, image.thumbnail_key]
        with django_capture_on_commit_callbacks() as callbacks:
            product_image_delete(actor=merchant, image=image)
            assert all(default_storage.exists(key) for key in keys)  # not before the commit
        assert len(callbacks) == 1
    # The callback runs outside any tenant_context, as after a real commit.
    callbacks[0]()
    with tenant_context(brand_a):
        assert not any(default_storage.exists(key) for key in keys)
        assert ProductImage.objects.filter(product=product).count() == 2


def test_a_gallery_is_capped(owned, brand_a, monkeypatch):
    from marketplace.services import images

    merchant_client, product, _merchant = owned
    monkeypatch.setattr(images, "MAX_IMAGES_PER_PRODUCT", 1)
    upload(merchant_client, product.pk, image_bytes("JPEG", (50, 50)))

    result = upload(merchant_client, product.pk, image_bytes("JPEG", (50, 50)))

    assert result["data"]["productImageUpload"]["errors"][0]["code"] == "TOO_MANY_IMAGES"


def test_only_the_products_merchant_or_an_admin_uploads(gql, brand_a):
    owner = make_merchant(brand_a)
    with tenant_context(brand_a):
        product = make_product(owner)
    other = gql(brand_a, make_merchant(brand_a))
    affiliate = gql(brand_a, make_user(brand_a, role=Role.AFFILIATE))
    admin = gql(brand_a, make_user(brand_a, role=Role.BRAND_ADMIN))

    by_other = upload(other, product.pk, image_bytes())
    by_affiliate = upload(affiliate, product.pk, image_bytes())
    by_admin = upload(admin, product.pk, image_bytes())

    assert by_other["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert by_affiliate["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert by_admin["data"]["productImageUpload"]["errors"] == []


def _lifetime(signed_url: str) -> float:
    """Seconds a presigned URL stays valid (signature version 4, or 2's absolute expiry)."""
    query = parse_qs(urlparse(signed_url).query)
    if "X-Amz-Expires" in query:
        assert "X-Amz-Signature" in query
        return int(query["X-Amz-Expires"][0])
    assert "Signature" in query
    return int(query["Expires"][0]) - time.time()


def test_the_stable_image_address_redirects_to_a_signed_link(owned, brand_a, client):
    merchant_client, product, _merchant = owned
    upload(merchant_client, product.pk, image_bytes("JPEG", (300, 200)))
    with tenant_context(brand_a):
        image = ProductImage.objects.get()
    host = brand_a.domains.get().domain

    response = client.get(f"/media/{image.file_key}", HTTP_HOST=host)
    thumbnail = client.get(f"/media/{image.thumbnail_key}", HTTP_HOST=host)
    unknown = client.get(f"/media/products/{product.pk}/nope.jpg", HTTP_HOST=host)

    assert response.status_code == 302
    location = response["Location"]
    assert f"/{brand_a.schema_name}/{image.file_key}?" in location
    assert _lifetime(location) <= settings.AWS_QUERYSTRING_EXPIRE
    fetched = httpx.get(location)
    assert fetched.status_code == 200
    assert Image.open(io.BytesIO(fetched.content)).size == (300, 200)
    assert thumbnail.status_code == 302
    assert unknown.status_code == 404


def test_images_of_a_draft_are_shown_to_its_merchant_only(gql, brand_a, client):
    merchant = make_merchant(brand_a)
    with tenant_context(brand_a):
        draft = make_product(merchant, active=False)
        image = product_image_upload(actor=merchant, product=draft, file=ContentFile(image_bytes()))
        image = product_image_process(image_id=image.pk)
    host = brand_a.domains.get().domain

    anonymous = client.get(f"/media/{image.file_key}", HTTP_HOST=host)
    client.force_login(merchant)
    owner = client.get(f"/media/{image.file_key}", HTTP_HOST=host)

    assert anonymous.status_code == 404
    assert owner.status_code == 302


@pytest.mark.live
def test_a_browser_multipart_upload_needs_the_csrf_token(live_brands, live_client):
    brand, _ = live_brands
    merchant = make_merchant(brand)
    with tenant_context(brand):
        product = make_product(merchant)
    browser = live_client(brand)
    browser.login(merchant.email)

    def post(headers):
        operations = {"query": UPLOAD, "variables": {"p": str(product.pk), "f": None, "a": ""}}
        return browser.http.post(
            "/graphql/",
            data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.f"]})},
            files={"0": ("photo.jpg", image_bytes(), "image/jpeg")},
            headers=headers,
        )

    without = post({})
    with_token = post({"X-CSRFToken": browser.http.cookies["csrftoken"]})

    assert without.status_code == 403
    assert without.json()["errors"][0]["extensions"]["code"] == "CSRF_FAILED"
    assert with_token.status_code == 200, with_token.text
    assert with_token.json()["data"]["productImageUpload"]["errors"] == []


def test_on_local_disk_the_stable_address_serves_the_file(gql, brand_a, client, tmp_path):
    """`make run` without S3 keeps files under MEDIA_ROOT/<schema>/; the view streams them."""
    storages = {**settings.STORAGES, "default": {"BACKEND": "core.storage.TenantFileSystemStorage"}}
    merchant = make_merchant(brand_a)
    with override_settings(STORAGES=storages, MEDIA_ROOT=str(tmp_path)):
        with tenant_context(brand_a):
            product = make_product(merchant)
            image = product_image_upload(
                actor=merchant, product=product, file=ContentFile(image_bytes("PNG"))
            )
            image = product_image_process(image_id=image.pk)

        response = client.get(f"/media/{image.thumbnail_key}", HTTP_HOST=brand_a.domains.get().domain)

        assert response.status_code == 200
        assert response["Content-Type"] == "image/webp"
        assert Image.open(io.BytesIO(b"".join(response.streaming_content))).size == (480, 360)
        assert (tmp_path / brand_a.schema_name / image.thumbnail_key).exists()
