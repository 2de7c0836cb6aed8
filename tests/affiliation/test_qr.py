"""QR codes of links: the URL they encode, the images read back module by module, and who may
fetch them.

No QR *decoder* is a dependency (the pure-Python ones are not mature enough to pin), so the
images are read back into their module matrix and compared with segno's own encoding of the
public URL at level M: what a scanner would read is then segno's business, tested upstream.
"""

from __future__ import annotations

import re
import struct
import zlib
from xml.etree import ElementTree

import pytest
import segno
from django.test import Client
from django_tenants.utils import tenant_context

from accounts.models import ApiTokenScope, Role
from accounts.services import api_token_create
from affiliation.qr import (
    QUIET_ZONE_MODULES,
    brand_qr_colour,
    contrast_with_white,
    link_public_url,
    link_qr_path,
    link_qr_png,
    link_qr_svg,
)
from affiliation.services import link_archive, link_create
from tests.conftest import domain_of, make_user
from tests.engine import make_affiliate, make_program

URL = "https://alpha.localhost/r/AbC1234"


def expected_matrix(url: str) -> list[list[bool]]:
    """segno's modules for ``url`` at level M, with the quiet zone, as booleans (True: dark)."""
    qr = segno.make(url, error="m", micro=False, boost_error=False)
    assert qr.error == "M"
    return [[bool(module) for module in row] for row in qr.matrix_iter(border=QUIET_ZONE_MODULES)]


def svg_matrix(svg: str) -> tuple[list[list[bool]], str, ElementTree.Element]:
    """Read back the dark modules from segno's SVG path: runs of ``h`` along rows, moved by
    ``m`` (relative) after an absolute ``M``; each run is a stroke of one module in height."""
    root = ElementTree.fromstring(svg)
    namespace = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{namespace}svg"
    group = root.find(f"{namespace}g")
    assert group is not None
    scale = float(re.fullmatch(r"scale\((\d+)\)", group.attrib["transform"]).group(1))  # type: ignore[union-attr]
    paths = group.findall(f"{namespace}path")
    background = next(path for path in paths if "fill" in path.attrib)
    modules = next(path for path in paths if "stroke" in path.attrib)
    size = int(re.match(r"M0 0h(\d+)", background.attrib["d"]).group(1))  # type: ignore[union-attr]
    assert float(root.attrib["width"]) == float(root.attrib["height"]) == size * scale
    matrix = [[False] * size for _ in range(size)]
    x = y = 0.0
    for command, first, second in re.findall(r"([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?", modules.attrib["d"]):
        if command == "M":
            x, y = float(first), float(second)
        elif command == "m":
            x, y = x + float(first), y + float(second)
        else:
            for column in range(int(x), int(x + float(first))):
                matrix[int(y)][column] = True
            x += float(first)
    return matrix, modules.attrib["stroke"], root


def png_matrix(png: bytes, scale: int) -> tuple[list[list[bool]], int]:
    """Decode the PNG (chunks, zlib, scanline filters) and sample the centre of each module."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    position, chunks = 8, {}
    data = b""
    while position < len(png):
        (length,) = struct.unpack(">I", png[position : position + 4])
        kind = png[position + 4 : position + 8]
        content = png[position + 8 : position + 8 + length]
        (crc,) = struct.unpack(">I", png[position + 8 + length : position + 12 + length])
        assert zlib.crc32(kind + content) == crc
        if kind == b"IDAT":
            data += content
        else:
            chunks[kind] = content
        position += 12 + length
    assert b"IEND" in chunks
    width, height, depth, colour_type = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert width == height
    raw = zlib.decompress(data)
    # Greyscale or palette at 1, 2, 4 or 8 bits per pixel: enough for what segno writes.
    assert colour_type in (0, 3)
    assert depth in (1, 2, 4, 8)
    stride = (width * depth + 7) // 8
    rows: list[bytearray] = []
    previous = bytearray(stride)
    for row_index in range(height):
        start = row_index * (stride + 1)
        filter_type, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - 1] if i else 0
            up, up_left = previous[i], previous[i - 1] if i else 0
            if filter_type == 1:
                line[i] = (line[i] + left) & 0xFF
            elif filter_type == 2:
                line[i] = (line[i] + up) & 0xFF
            elif filter_type == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif filter_type == 4:
                estimate = left + up - up_left
                nearest = min(
                    (abs(estimate - left), 0, left),
                    (abs(estimate - up), 1, up),
                    (abs(estimate - up_left), 2, up_left),
                )
                line[i] = (line[i] + nearest[2]) & 0xFF
        rows.append(line)
        previous = line

    def pixel(x: int, y: int) -> int:
        bit = x * depth
        return (rows[y][bit // 8] >> (8 - depth - bit % 8)) & ((1 << depth) - 1)

    if colour_type == 3:
        palette = chunks[b"PLTE"]
        colours = [palette[i : i + 3] for i in range(0, len(palette), 3)]

        def is_dark(x: int, y: int) -> bool:
            return sum(colours[pixel(x, y)]) < 3 * 128
    else:

        def is_dark(x: int, y: int) -> bool:
            return pixel(x, y) < (1 << depth) // 2

    modules = width // scale
    assert modules * scale == width
    return [
        [is_dark(x * scale + scale // 2, y * scale + scale // 2) for x in range(modules)]
        for y in range(modules)
    ], width


# --- rendering -------------------------------------------------------------------------------


def test_the_svg_holds_the_url_at_level_m_with_a_quiet_zone():
    svg = link_qr_svg(URL, scale=4)

    matrix, stroke, root = svg_matrix(svg)

    assert matrix == expected_matrix(URL)
    assert stroke == "#000"  # segno writes the short form
    assert not any(matrix[0])  # the quiet zone is blank
    assert not any(row[0] for row in matrix)
    assert not any(any(row) for row in matrix[:QUIET_ZONE_MODULES])
    assert root.findtext("{http://www.w3.org/2000/svg}title") == URL
    assert not svg.startswith("<?xml")


def test_the_svg_takes_a_dark_colour():
    _, stroke, _ = svg_matrix(link_qr_svg(URL, dark="#2563EB"))

    assert stroke == "#2563eb"
    with pytest.raises(ValueError, match="colour"):
        link_qr_svg(URL, dark="red; onload=alert(1)")


@pytest.mark.parametrize("scale", [1, 8, 10])
def test_the_png_is_a_png_of_the_right_size_holding_the_same_modules(scale):
    png = link_qr_png(URL, scale=scale)

    matrix, width = png_matrix(png, scale)

    assert (
        width
        == segno.make(URL, error="m", micro=False).symbol_size(scale=scale, border=QUIET_ZONE_MODULES)[0]
    )
    assert matrix == expected_matrix(URL)


def test_a_brand_coloured_png_still_reads_back():
    matrix, _ = png_matrix(link_qr_png(URL, scale=4, dark="#c2185b"), 4)

    assert matrix == expected_matrix(URL)


def test_the_png_scale_is_bounded():
    with pytest.raises(ValueError, match="scale"):
        link_qr_png(URL, scale=0)
    with pytest.raises(ValueError, match="scale"):
        link_qr_png(URL, scale=33)


def test_a_pale_brand_colour_falls_back_to_black(brand_a, brand_b):
    """Alpha uses the default theme (blue), Beta the aurum one (gold: too pale on white)."""
    assert brand_qr_colour(brand_a) == "#2563eb"
    assert brand_qr_colour(brand_b) == "#000000"
    assert contrast_with_white("#ffffff") == pytest.approx(1)
    assert contrast_with_white("#000000") == pytest.approx(21)


# --- the link's public URL -------------------------------------------------------------------


@pytest.fixture
def owned_link(brand_a):
    with tenant_context(brand_a):
        program = make_program()
        owner = make_affiliate(brand_a, program)
        link = link_create(affiliate=owner)
    return owner, link


def test_the_public_url_is_the_short_url_on_the_brands_primary_domain(brand_a, owned_link, settings):
    _, link = owned_link
    settings.PUBLIC_URL_SCHEME, settings.PUBLIC_URL_PORT = "https", ""

    with tenant_context(brand_a):
        default = link_public_url(link)
    settings.PUBLIC_URL_SCHEME, settings.PUBLIC_URL_PORT = "http", "8000"
    with_port = link_public_url(link, tenant=brand_a)

    assert default == f"https://{domain_of(brand_a)}/r/{link.code}"
    assert with_port == f"http://{domain_of(brand_a)}:8000/r/{link.code}"
    assert link_qr_path(link, "svg") == f"/links/{link.code}/qr.svg"
    assert link_qr_path(link, "png") == f"/links/{link.code}/qr.png"


# --- the views -------------------------------------------------------------------------------


def browser(tenant, user=None) -> Client:
    client = Client(HTTP_HOST=domain_of(tenant))
    if user is not None:
        with tenant_context(tenant):
            client.force_login(user)
    return client


@pytest.mark.parametrize("image_format", ["svg", "png"])
def test_the_owner_gets_the_qr_of_their_link(brand_a, owned_link, settings, image_format):
    settings.PUBLIC_URL_SCHEME, settings.PUBLIC_URL_PORT = "https", ""
    owner, link = owned_link

    response = browser(brand_a, owner.user).get(f"/links/{link.code}/qr.{image_format}", {"scale": "4"})

    assert response.status_code == 200
    assert response["Content-Type"] == ("image/svg+xml" if image_format == "svg" else "image/png")
    assert "private" in response["Cache-Control"]
    url = f"https://{domain_of(brand_a)}/r/{link.code}"
    if image_format == "svg":
        assert svg_matrix(response.content.decode())[0] == expected_matrix(url)
    else:
        assert png_matrix(response.content, 4)[0] == expected_matrix(url)


def test_the_brand_colour_is_on_request(brand_a, owned_link):
    owner, link = owned_link

    plain = browser(brand_a, owner.user).get(f"/links/{link.code}/qr.svg")
    branded = browser(brand_a, owner.user).get(f"/links/{link.code}/qr.svg", {"color": "brand"})

    assert svg_matrix(plain.content.decode())[1] == "#000"
    assert svg_matrix(branded.content.decode())[1] == "#2563eb"


def test_a_brand_admin_gets_any_links_qr(brand_a, owned_link):
    _, link = owned_link
    admin = make_user(brand_a, role=Role.BRAND_ADMIN)

    assert browser(brand_a, admin).get(f"/links/{link.code}/qr.png").status_code == 200


def test_anyone_else_gets_the_404_of_a_missing_link(brand_a, owned_link):
    owner, link = owned_link
    with tenant_context(brand_a):
        other_affiliate = make_affiliate(brand_a, owner.program)
    merchant = make_user(brand_a, role=Role.MERCHANT)

    missing = browser(brand_a, owner.user).get("/links/NoSuch1/qr.svg")
    responses = [
        browser(brand_a).get(f"/links/{link.code}/qr.svg"),
        browser(brand_a, other_affiliate.user).get(f"/links/{link.code}/qr.svg"),
        browser(brand_a, merchant).get(f"/links/{link.code}/qr.png"),
    ]

    assert missing.status_code == 404
    assert [(r.status_code, r.content) for r in responses] == [(404, missing.content)] * 3


def _bearer(tenant, user, scopes=(ApiTokenScope.READ,)) -> dict[str, str]:
    with tenant_context(tenant):
        _, raw = api_token_create(user=user, name="qr", scopes=list(scopes))
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.mark.parametrize("image_format", ["svg", "png"])
def test_the_owner_gets_the_qr_with_an_api_token(brand_a, owned_link, image_format):
    owner, link = owned_link

    response = browser(brand_a).get(f"/links/{link.code}/qr.{image_format}", **_bearer(brand_a, owner.user))

    assert response.status_code == 200
    assert response["Content-Type"] == ("image/svg+xml" if image_format == "svg" else "image/png")
    assert "Authorization" in response["Vary"]


def test_a_token_gets_no_more_than_its_user_would(brand_a, brand_b, owned_link):
    owner, link = owned_link
    with tenant_context(brand_a):
        other_affiliate = make_affiliate(brand_a, owner.program)
    stranger_of_b = make_user(brand_b, role=Role.BRAND_ADMIN)

    other = browser(brand_a).get(f"/links/{link.code}/qr.svg", **_bearer(brand_a, other_affiliate.user))
    write_only = browser(brand_a).get(
        f"/links/{link.code}/qr.svg", **_bearer(brand_a, owner.user, scopes=(ApiTokenScope.WRITE,))
    )
    foreign = browser(brand_a).get(f"/links/{link.code}/qr.svg", **_bearer(brand_b, stranger_of_b))
    forged = browser(brand_a, owner.user).get(
        f"/links/{link.code}/qr.svg", HTTP_AUTHORIZATION="Bearer afp_00000000_forged"
    )

    assert other.status_code == 404
    assert (write_only.status_code, write_only.json()["error"]) == (
        403,
        {
            "code": "INSUFFICIENT_SCOPE",
            "message": "This API token has the WRITE scope; this needs READ.",
            "requiredScope": "READ",
        },
    )
    # A bad token is refused outright, never a fallback to the session.
    assert [(r.status_code, r.json()["error"]["code"]) for r in (foreign, forged)] == [
        (401, "INVALID_TOKEN")
    ] * 2


def test_an_archived_link_has_no_qr(brand_a, owned_link):
    owner, link = owned_link
    with tenant_context(brand_a):
        link_archive(actor=owner.user, link=link)

    assert browser(brand_a, owner.user).get(f"/links/{link.code}/qr.svg").status_code == 404


def test_the_qr_views_only_answer_get(brand_a, owned_link):
    owner, link = owned_link

    response = browser(brand_a, owner.user).post(f"/links/{link.code}/qr.svg")

    assert response.status_code == 405
