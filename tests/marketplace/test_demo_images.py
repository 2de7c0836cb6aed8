"""The demo catalog's images (walkthrough finding 20): every letter of every demo title has a
glyph in the font they are drawn with (no tofu in "Week-end à Chefchaouen"), and the title stays
inside the safe area that the 3:2 cards and the row thumbnails leave visible."""

from __future__ import annotations

import io

import pytest
from fontTools.ttLib import TTFont
from PIL import Image, ImageChops

from marketplace import demo


def _titles() -> list[str]:
    return [deal.title for language in ("en", "fr") for deal in demo._deals(language, "EUR")]


def test_every_character_of_the_demo_titles_has_a_glyph_in_the_demo_font():
    cmap = TTFont(demo.DEMO_FONT_PATH).getBestCmap()
    missing = {(title, char) for title in _titles() for char in title if ord(char) not in cmap}
    assert missing == set()


@pytest.mark.parametrize("title", [*_titles(), "Anticonstitutionnellement extraordinaire gastronomique"])
def test_the_title_is_drawn_inside_the_safe_area(title):
    with_text = Image.open(io.BytesIO(demo.demo_image(title, (120, 90, 160), 0))).convert("L")
    without = Image.open(io.BytesIO(demo.demo_image("", (120, 90, 160), 0))).convert("L")
    # JPEG smears an edge over its 8 x 8 block: look for real ink, a block away from the box.
    ink = ImageChops.difference(with_text, without).point(lambda value: 255 if value > 80 else 0)
    left, top, right, bottom = demo.SAFE_AREA
    box = ink.getbbox()

    assert box is not None, "the title is drawn"
    assert box[0] >= left - 8
    assert box[1] >= top - 8
    assert box[2] <= right + 8
    assert box[3] <= bottom + 8


def test_the_safe_area_is_what_a_three_by_two_card_shows():
    width, height = demo.IMAGE_SIZE
    visible = height * 3 / 2
    left, _, right, _ = demo.SAFE_AREA
    assert left >= (width - visible) / 2
    assert right <= width - (width - visible) / 2
