"""Named brand themes: design tokens as JSON data, validated against ``schema.json``.

The same tokens feed the web app (as CSS variables), emails and PDFs.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

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
