from __future__ import annotations

import pytest

from themes import available_themes, css_variable_is_valid, css_variables, get_theme


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[index : index + 2], 16) / 255 for index in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: str, background: str) -> float:
    lighter, darker = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_at_least_three_themes_ship_and_validate():
    assert {"default", "aurum", "vivid"} <= set(available_themes())


@pytest.mark.parametrize("name", sorted(available_themes()))
@pytest.mark.parametrize("mode", ["colors", "darkColors"])
def test_text_is_readable_in_every_theme(name, mode):
    """WCAG AA: 4.5:1 for body and muted text, and for text on the primary colour."""
    palette = get_theme(name)[mode]
    for text, background in [
        ("text", "background"),
        ("text", "surface"),
        ("mutedText", "background"),
        ("mutedText", "surface"),
        ("onPrimary", "primary"),
    ]:
        ratio = contrast(palette[text], palette[background])
        assert ratio >= 4.5, f"{name}/{mode}: {text} on {background} is {ratio:.2f}:1"


@pytest.mark.parametrize("name", sorted(available_themes()))
@pytest.mark.parametrize("mode", ["colors", "darkColors"])
def test_focus_rings_stand_out_in_every_theme(name, mode):
    """WCAG 1.4.11: a focus ring (``--focus-ring``, the primary colour, drawn opaque by the
    stylesheets) keeps 3:1 against the page and the cards it is drawn on."""
    palette = get_theme(name)[mode]
    for background in ("background", "surface"):
        ratio = contrast(palette["primary"], palette[background])
        assert ratio >= 3, f"{name}/{mode}: the focus ring on {background} is {ratio:.2f}:1"


def test_aurum_is_gold_on_black():
    aurum = get_theme("aurum")["colors"]
    assert aurum["primary"] == "#d4af37"
    assert _luminance(aurum["background"]) < 0.01


def test_css_variables():
    variables = css_variables(get_theme("aurum"))
    assert variables["--color-primary"] == "#d4af37"
    assert variables["--color-on-primary"] == "#0b0b0b"
    assert variables["--radius"] == "2px"


def test_an_unknown_theme_falls_back_to_default():
    assert get_theme("nope")["name"] == "default"


def test_every_shipped_theme_passes_the_rule_its_brands_are_held_to():
    for name, tokens in available_themes().items():
        for dark in (False, True):
            for variable, value in css_variables(tokens, dark=dark).items():
                assert css_variable_is_valid(variable, value), (name, variable, value)
