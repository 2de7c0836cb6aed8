"""Product galleries: uploads checked by their content, cleaned, thumbnailed and stored under
the brand's prefix (``<schema>/products/<product id>/<uuid>.<ext>``, see core.storage).

Nothing the client says about a file is trusted: not its name, not its Content-Type. Pillow
reads the bytes; only JPEG, PNG and WebP pass. The size is capped before decoding and the
pixel count is read from the header before any pixel is decoded (a small file can declare
a huge canvas: a decompression bomb). The image is then re-encoded: the EXIF orientation is
applied to the pixels and every metadata block (EXIF with its GPS position, XMP, comments)
is dropped; only the colour profile stays, as it changes how the picture looks.

**Two steps.** Decoding is the expensive part: measured in an outside attack run, a 150 kB
PNG of 6300 x 6300 pixels took 6.6 s and ~160 MB in the web process, so a few parallel
uploads would tie up every web worker. The request does only what reading the header costs
(type, dimensions, pixel cap, byte cap), stores the original as sent and answers with a
``pending`` image; ``product_image_process`` (the Celery task ``product_image_process_task``)
decodes, cleans and thumbnails it, and marks it ``ready`` (or ``failed`` with the reason).
Nothing of a pending image is served: the original keeps its metadata until it is cleaned.
A merchant has at most ``MARKETPLACE_IMAGE_MAX_PENDING`` images waiting at a time, so one
merchant cannot fill the queue.
"""

from __future__ import annotations

import datetime as dt
import io
import uuid
import warnings
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django_tenants.utils import schema_context
from PIL import Image, ImageOps, UnidentifiedImageError

from accounts.models import User
from core.audit import audit_log
from core.errors import field_error
from core.tasks import enqueue_on_commit
from core.tenancy import current_schema
from marketplace.error_codes import CatalogErrorCode as Code
from marketplace.models import Product, ProductImage, ProductImageStatus
from marketplace.seo import OG_IMAGE_HEIGHT, OG_IMAGE_WIDTH, og_image_key

FORMATS = {"JPEG": ("jpg", "image/jpeg"), "PNG": ("png", "image/png"), "WEBP": ("webp", "image/webp")}
THUMBNAIL_WIDTH = 480
MAX_IMAGES_PER_PRODUCT = 20
MAX_ALT_TEXT_LENGTH = 200


def max_bytes() -> int:
    return int(settings.MARKETPLACE_IMAGE_MAX_BYTES)


def max_pixels() -> int:
    return int(settings.MARKETPLACE_IMAGE_MAX_PIXELS)


def max_pending_uploads() -> int:
    return int(settings.MARKETPLACE_IMAGE_MAX_PENDING)


@dataclass(frozen=True)
class ProcessedImage:
    content: bytes
    extension: str
    content_type: str
    width: int
    height: int
    thumbnail: bytes


@dataclass(frozen=True)
class ImageHeader:
    """What an image's header says, read without decoding a pixel."""

    image_format: str
    width: int
    height: int

    @property
    def extension(self) -> str:
        return FORMATS[self.image_format][0]

    @property
    def content_type(self) -> str:
        return FORMATS[self.image_format][1]


def _unsupported() -> ValidationError:
    return field_error("file", "Upload a JPEG, PNG or WebP image.", Code.UNSUPPORTED_IMAGE)


def _too_large() -> ValidationError:
    return field_error(
        "file", f"Images are limited to {max_bytes() // (1024 * 1024)} MB.", Code.IMAGE_TOO_LARGE
    )


def _too_many_pixels() -> ValidationError:
    return field_error(
        "file", f"Images are limited to {max_pixels() // 1_000_000} megapixels.", Code.IMAGE_TOO_MANY_PIXELS
    )


def image_header_check(data: bytes) -> ImageHeader:
    """The cheap checks, fit for a web request: size, type by content, pixel count from the
    header. Raise a field error on ``file`` if the image is refused."""
    if len(data) > max_bytes():
        raise _too_large()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))  # reads the header only
            if image.format not in FORMATS:
                raise _unsupported()
            width, height = image.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise _too_many_pixels() from error
    except UnidentifiedImageError as error:
        raise _unsupported() from error
    except (OSError, ValueError, SyntaxError, EOFError) as error:
        raise field_error("file", "This image is damaged.", Code.UNSUPPORTED_IMAGE) from error
    if width * height > max_pixels():
        raise _too_many_pixels()
    return ImageHeader(image_format=str(image.format), width=width, height=height)


def image_process(data: bytes) -> ProcessedImage:
    """Check, decode and clean one uploaded image (the expensive step: run it in a worker);
    raise a field error on ``file`` if it is refused."""
    image_header_check(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            source_format = str(image.format)
            image.seek(0)  # animated WebP/PNG: the first frame
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise _too_many_pixels() from error
    except UnidentifiedImageError as error:
        raise _unsupported() from error
    except (OSError, ValueError, SyntaxError, EOFError) as error:  # truncated or corrupt data
        raise field_error("file", "This image is damaged.", Code.UNSUPPORTED_IMAGE) from error
    icc_profile = image.info.get("icc_profile")
    upright = ImageOps.exif_transpose(image)
    if upright.mode not in ("RGB", "RGBA", "L", "LA"):
        has_alpha = "A" in upright.getbands() or "transparency" in upright.info
        upright = upright.convert("RGBA" if has_alpha else "RGB")
    upright.info = {}  # EXIF, XMP, comments: none of it is written back
    extension, content_type = FORMATS[source_format]
    content = _encode(upright, source_format, icc_profile)
    thumbnail = upright.copy()
    if thumbnail.width > THUMBNAIL_WIDTH:
        height = max(1, round(thumbnail.height * THUMBNAIL_WIDTH / thumbnail.width))
        thumbnail = thumbnail.resize((THUMBNAIL_WIDTH, height), Image.Resampling.LANCZOS)
    return ProcessedImage(
        content=content,
        extension=extension,
        content_type=content_type,
        width=upright.width,
        height=upright.height,
        thumbnail=_encode(thumbnail, "WEBP", icc_profile, quality=80),
    )


def _encode(image: Image.Image, image_format: str, icc_profile: bytes | None, *, quality: int = 88) -> bytes:
    options: dict[str, Any] = {}
    if icc_profile:
        options["icc_profile"] = icc_profile
    if image_format == "JPEG":
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        options.update(quality=quality, optimize=True, progressive=True)
    elif image_format == "WEBP":
        if image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
        options.update(quality=quality, method=4)
    else:
        options.update(optimize=True)
    output = io.BytesIO()
    image.save(output, image_format, **options)
    return output.getvalue()


def _read_capped(file: IO[bytes] | Any) -> bytes:
    """At most one byte more than the cap: a bigger file is refused without reading it all."""
    size = getattr(file, "size", None)
    if size is not None and size > max_bytes():
        raise _too_large()
    data: bytes = file.read(max_bytes() + 1)
    return data


def _delete_files_on_commit(keys: list[str]) -> None:
    """Remove stored files once the rows that named them are gone for good. The schema is read
    now: by commit time a tenant_context may have exited."""
    schema_name = current_schema()

    def delete() -> None:
        with schema_context(schema_name):
            for key in keys:
                default_storage.delete(key)

    transaction.on_commit(delete)


# A pending image older than this no longer counts against the merchant's cap: one the worker
# never finished (a crash on it) must not block their uploads for good.
PENDING_WINDOW = dt.timedelta(minutes=10)


def _pending_uploads_of(merchant_id: int) -> int:
    return ProductImage.objects.filter(
        product__merchant_id=merchant_id,
        status=ProductImageStatus.PENDING,
        created_at__gte=timezone.now() - PENDING_WINDOW,
    ).count()


def _queue_full() -> ValidationError:
    return field_error(
        "file",
        f"{max_pending_uploads()} of your images are still being processed: try again in a moment.",
        Code.IMAGE_QUEUE_FULL,
    )


def product_image_upload(
    *, actor: User | None, product: Product, file: Any, alt_text: str = ""
) -> ProductImage:
    """Add an image at the end of the product's gallery, ``pending`` until
    ``product_image_process_task`` has cleaned and thumbnailed it (enqueued after commit)."""
    alt_text = (alt_text or "").strip()
    if len(alt_text) > MAX_ALT_TEXT_LENGTH:
        raise field_error("altText", f"At most {MAX_ALT_TEXT_LENGTH} characters.", Code.TOO_LONG)
    if ProductImage.objects.filter(product=product).count() >= MAX_IMAGES_PER_PRODUCT:
        raise field_error(
            "file", f"A gallery holds at most {MAX_IMAGES_PER_PRODUCT} images.", Code.TOO_MANY_IMAGES
        )
    if _pending_uploads_of(product.merchant_id) >= max_pending_uploads():
        raise _queue_full()
    data = _read_capped(file)
    header = image_header_check(data)
    stem = f"products/{product.pk}/{uuid.uuid4().hex}"
    # No image extension: the original (metadata and all) is never served, only read by the task.
    upload_key = default_storage.save(f"{stem}.upload", ContentFile(data))
    try:
        with transaction.atomic():
            Product.objects.select_for_update().filter(pk=product.pk).first()
            images = ProductImage.objects.filter(product=product)
            if images.count() >= MAX_IMAGES_PER_PRODUCT:
                raise field_error(
                    "file", f"A gallery holds at most {MAX_IMAGES_PER_PRODUCT} images.", Code.TOO_MANY_IMAGES
                )
            # Counted again under the product's lock: uploads to one product queue here; across
            # a merchant's products the cap may be passed by a few parallel requests, no more.
            if _pending_uploads_of(product.merchant_id) >= max_pending_uploads():
                raise _queue_full()
            last = images.aggregate(last=Max("position"))["last"]
            image = ProductImage.objects.create(
                product=product,
                position=0 if last is None else last + 1,
                status=ProductImageStatus.PENDING,
                upload_key=upload_key,
                file_key=f"{stem}.{header.extension}",
                thumbnail_key=f"{stem}_{THUMBNAIL_WIDTH}.webp",
                content_type=header.content_type,
                width=header.width,
                height=header.height,
                size_bytes=len(data),
                alt_text=alt_text,
            )
            audit_log(actor=actor, action="product.image_added", target=image, product=product.pk)
            from marketplace.tasks import product_image_process_task

            enqueue_on_commit(product_image_process_task, image.pk)
    except BaseException:
        # No row names the file: it goes now (the row, had it been written, is rolled back).
        default_storage.delete(upload_key)
        raise
    return image


def product_image_process(*, image_id: int) -> ProductImage | None:
    """Decode, clean and thumbnail a pending image, then mark it ``ready``; an image Pillow
    refuses is marked ``failed`` with the reason. Idempotent: an image no longer pending (done,
    or deleted meanwhile) is left alone, and files written for a row deleted meanwhile go."""
    image = ProductImage.objects.filter(pk=image_id, status=ProductImageStatus.PENDING).first()
    if image is None:
        return None
    with default_storage.open(image.upload_key, "rb") as handle:
        data = handle.read(max_bytes() + 1)
    try:
        processed = image_process(data)
    except ValidationError as error:
        [failure] = error.error_dict["file"]
        ProductImage.objects.filter(pk=image.pk, status=ProductImageStatus.PENDING).update(
            status=ProductImageStatus.FAILED,
            failure_code=str(failure.code),
            failure_message=str(failure.message)[:200],
            upload_key="",
        )
        default_storage.delete(image.upload_key)
        image.refresh_from_db()
        return image
    file_key = default_storage.save(image.file_key, ContentFile(processed.content))
    thumbnail_key = default_storage.save(image.thumbnail_key, ContentFile(processed.thumbnail))
    marked = ProductImage.objects.filter(pk=image.pk, status=ProductImageStatus.PENDING).update(
        status=ProductImageStatus.READY,
        file_key=file_key,
        thumbnail_key=thumbnail_key,
        content_type=processed.content_type,
        width=processed.width,
        height=processed.height,
        size_bytes=len(processed.content),
        upload_key="",
    )
    if not marked:  # deleted (or processed by another worker) while this one worked
        if not ProductImage.objects.filter(file_key=file_key).exists():
            default_storage.delete(file_key)
            default_storage.delete(thumbnail_key)
        return None
    default_storage.delete(image.upload_key)
    image.refresh_from_db()
    return image


def product_image_update(*, actor: User | None, image: ProductImage, alt_text: str) -> ProductImage:
    alt_text = (alt_text or "").strip()
    if len(alt_text) > MAX_ALT_TEXT_LENGTH:
        raise field_error("altText", f"At most {MAX_ALT_TEXT_LENGTH} characters.", Code.TOO_LONG)
    with transaction.atomic():
        image.alt_text = alt_text
        image.save(update_fields=["alt_text"])
        audit_log(actor=actor, action="product.image_updated", target=image)
    return image


def product_images_reorder(
    *, actor: User | None, product: Product, image_ids: list[int]
) -> list[ProductImage]:
    """Put the gallery in the given order; every image of the product, each once."""
    with transaction.atomic():
        Product.objects.select_for_update().filter(pk=product.pk).first()
        images = {image.pk: image for image in ProductImage.objects.filter(product=product)}
        if len(image_ids) != len(set(image_ids)) or set(image_ids) != set(images):
            raise field_error("imageIds", "List every image of the product exactly once.", Code.INVALID_ORDER)
        ordered = [images[pk] for pk in image_ids]
        for position, image in enumerate(ordered):
            image.position = position
        ProductImage.objects.bulk_update(ordered, ["position"])
        audit_log(actor=actor, action="product.images_reordered", target=product, order=image_ids)
    return ordered


def product_image_delete(*, actor: User | None, image: ProductImage) -> None:
    """Delete the row now and its files once that is committed (a rollback keeps both)."""
    with transaction.atomic():
        keys = [key for key in (image.file_key, image.thumbnail_key, image.upload_key) if key]
        if image.status == ProductImageStatus.READY:
            keys.append(og_image_key(image.file_key))  # made on first request: may not exist
        audit_log(actor=actor, action="product.image_deleted", target=image, product=image.product_id)
        image.delete()
        _delete_files_on_commit(keys)


def product_image_og_variant(*, image: ProductImage) -> str:
    """The storage key of the ready ``image``'s Open Graph variant: 1200 x 630, cropped to the
    centre (the card's 1.91:1 frame), JPEG, made on first request and kept beside the original
    in the brand's prefix. The original was cleaned and capped in pixels when it was
    processed, so decoding it here costs what a thumbnail costs.

    Two first requests at once both make it; the second write finds the key taken and drops
    its copy, so every request answers with the one stored file."""
    key = og_image_key(image.file_key)
    if default_storage.exists(key):
        return key
    with default_storage.open(image.file_key, "rb") as handle:
        source: Image.Image = Image.open(io.BytesIO(handle.read()))
        source.load()
    icc_profile = source.info.get("icc_profile")
    if source.mode in ("RGBA", "LA", "P"):
        rgba = source.convert("RGBA")
        flattened = Image.new("RGB", rgba.size, (255, 255, 255))
        flattened.paste(rgba, mask=rgba.getchannel("A"))
        source = flattened
    card = ImageOps.fit(source.convert("RGB"), (OG_IMAGE_WIDTH, OG_IMAGE_HEIGHT), Image.Resampling.LANCZOS)
    saved = default_storage.save(key, ContentFile(_encode(card, "JPEG", icc_profile, quality=85)))
    if saved != key:  # written meanwhile by a parallel request: keep that one
        default_storage.delete(saved)
    return key
