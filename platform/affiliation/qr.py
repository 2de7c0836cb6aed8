"""QR codes of tracked links, rendered with segno (pure Python, no imaging library).

A QR code encodes the link's public short URL (``<scheme>://<brand domain>[:port]/r/<code>``),
with error correction level M (15 % of the symbol may be damaged or covered) and the
standard quiet zone of four modules. Light modules are always white, so the code stays
readable when printed on the brand's own (possibly dark) background; the dark modules may
take the brand's primary colour when it contrasts enough with white to scan reliably.
"""

from __future__ import annotations

import io
import re
from typing import Any, Literal

import segno
from django.urls import reverse

from accounts.tasks import brand_base_url
from affiliation.models import Link
from core.tenancy import tenant_connection
from themes import get_theme

ERROR_CORRECTION = "m"
QUIET_ZONE_MODULES = 4  # the quiet zone ISO/IEC 18004 asks for around a QR code
DEFAULT_SCALE = 8  # pixels (PNG) or user units (SVG) per module
MAX_SCALE = 32
DARK = "#000000"
LIGHT = "#ffffff"
# Dark modules must stand out from the white light modules for phone cameras. 4.5:1 is the
# WCAG contrast for text; a paler brand colour (gold, pastel) falls back to black.
MINIMUM_CONTRAST = 4.5
_HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")

QrFormat = Literal["svg", "png"]


def link_public_url(link: Link, *, tenant: Any = None) -> str:
    """The short URL people scan or click: ``<scheme>://<brand primary domain>[:port]/r/<code>``.

    ``tenant`` is the link's brand, the current schema's by default. The brand's primary
    domain is read from ``tenant.domains``: pass a tenant with its domains prefetched to
    build many URLs for one query.
    """
    tenant = tenant if tenant is not None else tenant_connection().tenant
    return f"{brand_base_url(tenant)}/r/{link.code}"


def link_qr_path(link: Link, image_format: QrFormat) -> str:
    """Where the brand host serves the link's QR code (``/links/<code>/qr.svg`` or ``.png``):
    a path on the brand's own host, for its owner and brand admins only."""
    return reverse(f"link-qr-{image_format}", kwargs={"code": link.code})


def _qr(url: str) -> segno.QRCode:
    return segno.make(url, error=ERROR_CORRECTION, micro=False, boost_error=False)


def _check_colour(colour: str) -> str:
    if not _HEX_COLOUR.match(colour):
        raise ValueError(f"use a #rrggbb colour, not {colour!r}")
    return colour.lower()


def link_qr_svg(url: str, *, dark: str = DARK, scale: int = DEFAULT_SCALE) -> str:
    """The QR code of ``url`` as a standalone SVG document (no XML declaration), with its
    quiet zone and a white background."""
    buffer = io.BytesIO()
    _qr(url).save(
        buffer,
        kind="svg",
        dark=_check_colour(dark),
        light=LIGHT,
        border=QUIET_ZONE_MODULES,
        scale=scale,
        xmldecl=False,
        svgclass=None,
        lineclass=None,
        title=url,
    )
    return buffer.getvalue().decode("utf-8")


def link_qr_png(url: str, *, scale: int = DEFAULT_SCALE, dark: str = DARK) -> bytes:
    """The QR code of ``url`` as a PNG, ``scale`` pixels per module, quiet zone included."""
    if not 1 <= scale <= MAX_SCALE:
        raise ValueError(f"scale must be 1 to {MAX_SCALE} pixels per module")
    buffer = io.BytesIO()
    _qr(url).save(
        buffer, kind="png", dark=_check_colour(dark), light=LIGHT, border=QUIET_ZONE_MODULES, scale=scale
    )
    return buffer.getvalue()


def _relative_luminance(colour: str) -> float:
    def channel(value: int) -> float:
        srgb = value / 255
        return srgb / 12.92 if srgb <= 0.04045 else ((srgb + 0.055) / 1.055) ** 2.4

    red, green, blue = (int(colour[index : index + 2], 16) for index in (1, 3, 5))
    return 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)


def contrast_with_white(colour: str) -> float:
    """WCAG contrast ratio of ``colour`` against white (1 to 21)."""
    return 1.05 / (_relative_luminance(_check_colour(colour)) + 0.05)


def brand_qr_colour(tenant: Any) -> str:
    """The brand theme's primary colour for the dark modules, or black when it is too pale to
    scan on white (e.g. a gold primary)."""
    primary = str(get_theme(getattr(tenant, "theme", "")).get("colors", {}).get("primary", DARK))
    if not _HEX_COLOUR.match(primary) or contrast_with_white(primary) < MINIMUM_CONTRAST:
        return DARK
    return primary.lower()
