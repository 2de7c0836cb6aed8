"""Named brand themes: design tokens as JSON data, validated against ``schema.json``.

The same tokens feed the web app (as CSS variables), emails and PDFs.
"""

from __future__ import annotations

import copy
import json
import logging
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

logger = logging.getLogger(__name__)

THEMES_DIR = Path(__file__).resolve().parent
DEFAULT_THEME = "default"


@cache
def _schema() -> dict[str, Any]:
    return json.loads((THEMES_DIR / "schema.json").read_text())


@cache
def available_themes() -> dict[str, dict[str, Any]]:
    """Every theme shipped in this folder, by name, each validated against the schema."""
    themes: dict[str, dict[str, Any]] = {}
    for path in sorted(THEMES_DIR.glob("*.json")):
        if path.name == "schema.json":
            continue
        tokens = json.loads(path.read_text())
        jsonschema.validate(tokens, _schema())
        if tokens["name"] != path.stem:
            raise ValueError(f"theme {path.name} declares the name {tokens['name']!r}")
        themes[tokens["name"]] = tokens
    return themes


def get_theme(name: str) -> dict[str, Any]:
    """The tokens of a theme; an unknown name falls back to the default theme."""
    themes = available_themes()
    return themes.get(name, themes[DEFAULT_THEME])


def css_variables(tokens: dict[str, Any], *, dark: bool = False) -> dict[str, str]:
    """Tokens as CSS custom properties (``--color-primary`` …)."""
    palette = tokens["darkColors"] if dark else tokens["colors"]
    variables = {f"--color-{_kebab(key)}": value for key, value in palette.items()}
    variables["--font-family"] = tokens["typography"]["fontFamily"]
    variables["--font-family-heading"] = tokens["typography"]["headingFontFamily"]
    variables["--font-size-base"] = tokens["typography"]["baseSize"]
    variables["--radius"] = tokens["radius"]
    variables["--spacing"] = tokens["spacing"]
    return variables


def _kebab(name: str) -> str:
    return "".join(f"-{char.lower()}" if char.isupper() else char for char in name)


# --- Per-brand overrides -------------------------------------------------------------------------
# A brand keeps its named theme and may override a subset of the tokens. The overrides are stored
# as a partial token tree (``{"colors": {"primary": "#112233"}, "radius": "4px"}``) and merged at
# read time, so a later change to the named theme still reaches every token the brand left alone.

PALETTE_KEYS = ("primary", "onPrimary", "background", "surface", "text", "mutedText", "accent", "border")
FONT_KEYS = ("fontFamily", "headingFontFamily")
LENGTH_KEYS = ("radius", "spacing")
MINIMUM_TEXT_CONTRAST = 4.5
# (foreground, background) pairs that carry text and must stay readable (WCAG AA, normal text).
CONTRAST_PAIRS = (("text", "background"), ("text", "surface"), ("onPrimary", "primary"))

# The one rule for token values, at save (override_problems) and in every page that inlines
# them (css_variable_is_valid): a #rrggbb colour, a px/rem length, or a font stack. A font stack is
# comma-separated families, each either a quoted name ('Helvetica Neue', "Noto Sans JP") or
# words of letters, digits, - and _ (Georgia, Source Sans 3, -apple-system, sans-serif). The
# grammar keeps quotes balanced and leaves out every character that could end the declaration
# or the <style> element (; { } < > \\ /* and the like), so a value that passes is safe as is.
_HEX = re.compile(r"#[0-9a-fA-F]{6}")
_LENGTH = re.compile(r"(?:[0-9]{1,3}(?:\.[0-9]{1,3})?)(?:px|rem)")
_FONT_WORDS = r"[\w-]+(?: [\w-]+)*"
_FONT_QUOTED_NAME = r"[\w.-]+(?: [\w.-]+)*"
_FONT_FAMILY = rf"(?:{_FONT_WORDS}|'{_FONT_QUOTED_NAME}'|\"{_FONT_QUOTED_NAME}\")"
_FONT_STACK = re.compile(rf"{_FONT_FAMILY}(?: ?, ?{_FONT_FAMILY})*")
FONT_MAX_LENGTH = 200
UNKNOWN_TOKEN_MESSAGE = "This token cannot be overridden."


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2 contrast ratio of two #rrggbb colours (1 to 21)."""
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def merge_overrides(tokens: dict[str, Any], overrides: dict[str, Any] | None) -> dict[str, Any]:
    """The tokens with a brand's (already validated) overrides applied; ``tokens`` is not changed."""
    merged = copy.deepcopy(tokens)
    for section in ("colors", "darkColors", "typography"):
        for key, value in ((overrides or {}).get(section) or {}).items():
            merged[section][key] = value
    for key in LENGTH_KEYS:
        if (overrides or {}).get(key):
            merged[key] = overrides[key]  # type: ignore[index]
    return merged


@dataclass(frozen=True)
class OverrideProblem:
    """One mistake in a set of overrides, at a dotted token path such as ``colors.primary``."""

    path: str
    code: str
    message: str


def override_problems(tokens: dict[str, Any], overrides: Any) -> list[OverrideProblem]:
    """Every mistake in ``overrides`` for a brand on the theme ``tokens``: unknown keys, bad
    values, and text colours that the override makes unreadable (under WCAG AA 4.5:1)."""
    if not isinstance(overrides, dict):
        return [OverrideProblem("", "INVALID", "Overrides are an object of design tokens.")]
    problems: list[OverrideProblem] = []
    sections: dict[str, tuple[str, ...]] = {"colors": PALETTE_KEYS, "darkColors": PALETTE_KEYS}
    sections["typography"] = FONT_KEYS
    for key, value in overrides.items():
        if key in sections:
            if not isinstance(value, dict):
                problems.append(OverrideProblem(key, "INVALID", "Expected an object of tokens."))
                continue
            for sub_key, sub_value in value.items():
                path = f"{key}.{sub_key}"
                if sub_key not in sections[key]:
                    problems.append(
                        OverrideProblem(path, "UNKNOWN_TOKEN", "This token cannot be overridden.")
                    )
                elif key == "typography":
                    problems.extend(_font_problems(path, sub_value))
                elif not is_colour(sub_value):
                    problems.append(OverrideProblem(path, "INVALID_COLOR", "Use a colour like #1a2b3c."))
        elif key in LENGTH_KEYS:
            if not is_length(value):
                problems.append(OverrideProblem(key, "INVALID_LENGTH", "Use a length like 4px or 0.5rem."))
        else:
            problems.append(OverrideProblem(key, "UNKNOWN_TOKEN", UNKNOWN_TOKEN_MESSAGE))
    if problems:
        return problems
    merged = merge_overrides(tokens, overrides)
    for section in ("colors", "darkColors"):
        changed = set((overrides.get(section) or {}).keys())
        for foreground, background in CONTRAST_PAIRS:
            if not changed & {foreground, background}:
                continue  # the named theme's own pairs are checked by the theme tests
            ratio = contrast_ratio(merged[section][foreground], merged[section][background])
            if ratio < MINIMUM_TEXT_CONTRAST:
                at = f"{section}.{foreground if foreground in changed else background}"
                if any(problem.path == at for problem in problems):
                    continue  # one sentence per token is enough
                problems.append(
                    OverrideProblem(
                        at,
                        "LOW_CONTRAST",
                        f"{foreground} on {background} has a contrast of {ratio:.2f}:1;"
                        f" use at least {MINIMUM_TEXT_CONTRAST}:1.",
                    )
                )
    return problems


def is_colour(value: Any) -> bool:
    return isinstance(value, str) and _HEX.fullmatch(value) is not None


def is_length(value: Any) -> bool:
    return isinstance(value, str) and _LENGTH.fullmatch(value) is not None


def is_font_stack(value: Any) -> bool:
    return (
        isinstance(value, str) and len(value) <= FONT_MAX_LENGTH and _FONT_STACK.fullmatch(value) is not None
    )


def css_variable_is_valid(name: str, value: str) -> bool:
    """Whether a CSS variable of ``css_variables`` may be inlined in a page's <style>: the same
    rule as at save, by the kind of token the variable carries."""
    if name.startswith("--color-"):
        return is_colour(value)
    if name.startswith("--font-family"):
        return is_font_stack(value)
    return is_length(value)


def _font_problems(path: str, value: Any) -> list[OverrideProblem]:
    if not isinstance(value, str) or not value.strip():
        return [OverrideProblem(path, "INVALID_FONT", "Name at least one font family.")]
    if len(value) > FONT_MAX_LENGTH:
        return [OverrideProblem(path, "TOO_LONG", f"Use at most {FONT_MAX_LENGTH} characters.")]
    if not is_font_stack(value):
        return [
            OverrideProblem(
                path,
                "INVALID_FONT",
                "List font families separated by commas, e.g. 'Helvetica Neue', Arial, sans-serif"
                " (letters, digits, spaces, - and _; quote names with other characters).",
            )
        ]
    return []


def prune_overrides(overrides: dict[str, Any]) -> dict[str, Any]:
    """Drop empty sections so that ``{}`` means "the named theme as is"."""
    return {key: value for key, value in overrides.items() if value not in ({}, None, "")}


def usable_overrides(tokens: dict[str, Any], overrides: Any) -> dict[str, Any]:
    """The stored overrides without those that fail today's rules (saved under an older, looser
    rule, or written around the service): each such token falls back to the named theme's
    value, so one bad token never breaks a brand's pages, emails or PDFs."""
    if not isinstance(overrides, dict):
        return {}
    kept = overrides
    while problems := override_problems(tokens, kept):
        paths = {problem.path for problem in problems}
        logger.warning("theme overrides ignored (they break the rules): %s", ", ".join(sorted(paths)))
        if "" in paths:
            return {}
        kept = {
            key: (
                {name: item for name, item in value.items() if f"{key}.{name}" not in paths}
                if isinstance(value, dict)
                else value
            )
            for key, value in kept.items()
            if key not in paths
        }
    return kept


def brand_theme(tenant: Any) -> dict[str, Any]:
    """A brand's effective tokens: its named theme plus its overrides (web app, emails, PDFs)."""
    tokens = get_theme(tenant.theme)
    return merge_overrides(tokens, usable_overrides(tokens, getattr(tenant, "theme_overrides", None)))
