"""KYC document files: what they are is judged by their bytes, never by their name or the
Content-Type the client sent. Only JPEG, PNG, WebP and PDF pass, up to
``KYC_DOCUMENT_MAX_BYTES``. Images are decoded (pixel count capped from the header first: a
small file may declare a huge canvas) and re-encoded: the EXIF orientation is applied to the
pixels and every metadata block (EXIF with its GPS position, XMP, comments) is dropped. PDFs are
kept as sent (they are checked for their header and end-of-file marker)."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from PIL import Image, ImageOps, UnidentifiedImageError

from kyc.error_codes import KycErrorCode as Code

IMAGE_FORMATS = {"JPEG": ("jpg", "image/jpeg"), "PNG": ("png", "image/png"), "WEBP": ("webp", "image/webp")}


@dataclass(frozen=True)
class CleanFile:
    content: bytes
    extension: str
    content_type: str


def max_bytes() -> int:
    return int(settings.KYC_DOCUMENT_MAX_BYTES)


def _unsupported() -> ValidationError:
    return ValidationError("Upload a JPEG, PNG or WebP image, or a PDF.", code=Code.UNSUPPORTED_FILE)


def _too_large() -> ValidationError:
    return ValidationError(
        f"Documents are limited to {max_bytes() // (1024 * 1024)} MB.", code=Code.FILE_TOO_LARGE
    )


def read_capped(file: IO[bytes] | Any) -> bytes:
    """At most one byte more than the cap: a bigger file is refused without reading it all."""
    size = getattr(file, "size", None)
    if size is not None and size > max_bytes():
        raise _too_large()
    data: bytes = file.read(max_bytes() + 1)
    if len(data) > max_bytes():
        raise _too_large()
    return data


def sniff(data: bytes) -> str:
    """The file's type from its first bytes: "JPEG", "PNG", "WEBP", "PDF", or "" when none."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data.startswith(b"%PDF-"):
        return "PDF"
    return ""


def clean_document(data: bytes) -> CleanFile:
    """Check and clean an uploaded document; raise a ``ValidationError`` with a code if refused."""
    if len(data) > max_bytes():
        raise _too_large()
    kind = sniff(data)
    if kind == "PDF":
        if b"%%EOF" not in data[-2048:]:
            raise ValidationError("This PDF is damaged (no end of file).", code=Code.UNSUPPORTED_FILE)
        return CleanFile(content=data, extension="pdf", content_type="application/pdf")
    if kind not in IMAGE_FORMATS:
        raise _unsupported()
    return _reencode(data, kind)


def _reencode(data: bytes, kind: str) -> CleanFile:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format != kind:
                raise _unsupported()
            width, height = image.size
            if width * height > int(settings.KYC_DOCUMENT_MAX_PIXELS):
                raise ValidationError("This image has too many pixels.", code=Code.FILE_TOO_LARGE)
            image.seek(0)
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ValidationError("This image has too many pixels.", code=Code.FILE_TOO_LARGE) from error
    except UnidentifiedImageError as error:
        raise _unsupported() from error
    except (OSError, ValueError, SyntaxError, EOFError) as error:
        raise ValidationError("This image is damaged.", code=Code.UNSUPPORTED_FILE) from error
    upright = ImageOps.exif_transpose(image)
    if upright.mode not in ("RGB", "RGBA", "L", "LA"):
        upright = upright.convert("RGBA" if "A" in upright.getbands() else "RGB")
    upright.info = {}  # EXIF, XMP, comments, colour profile: none of it is written back
    options: dict[str, Any] = {}
    if kind == "JPEG":
        if upright.mode not in ("RGB", "L"):
            upright = upright.convert("RGB")
        options.update(quality=90)
    elif kind == "WEBP":
        if upright.mode not in ("RGB", "RGBA"):
            upright = upright.convert("RGBA" if "A" in upright.getbands() else "RGB")
        options.update(quality=90)
    output = io.BytesIO()
    upright.save(output, kind, **options)
    extension, content_type = IMAGE_FORMATS[kind]
    return CleanFile(content=output.getvalue(), extension=extension, content_type=content_type)
