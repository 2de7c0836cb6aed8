"""The web app's HTML: the built ``index.html`` with the brand's first data inlined.

Vite builds ``frontend/dist/app/index.html`` (and ``boot.graphql`` beside it). Each page view
inlines the brand's theme as CSS variables (light, and dark under ``data-mode="dark"``), its
language, and the result of the boot document (brand and signed-in user), so the very first
paint is themed, in the right language, and needs no request before it shows the page.
"""

from __future__ import annotations

import html
import json
import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings

from themes import css_variable_is_valid, css_variables, get_theme

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BuiltApp:
    index_html: str
    boot_document: str


def dist_dir() -> Path:
    return Path(getattr(settings, "WEBAPP_DIST_DIR", settings.PROJECT_ROOT / "frontend" / "dist" / "app"))


def built_app() -> BuiltApp | None:
    """The build output, re-read when it changes (a rebuild needs no restart); None if absent."""
    index = dist_dir() / "index.html"
    boot = dist_dir() / "boot.graphql"
    try:
        stamp = (index.stat().st_mtime_ns, boot.stat().st_mtime_ns)
    except FileNotFoundError:
        return None
    return _read_built_app(str(index), str(boot), stamp)


@lru_cache(maxsize=4)
def _read_built_app(index: str, boot: str, stamp: tuple[int, int]) -> BuiltApp:
    return BuiltApp(index_html=Path(index).read_text(), boot_document=Path(boot).read_text())


def theme_style(tokens: dict[str, Any]) -> str:
    """``:root{…}`` for the light palette, ``:root[data-mode="dark"]{…}`` for the dark one.

    A token value ends up inside a <style> element, so each one must pass the rule that
    ``brandUpdate`` applies at save (``themes.css_variable_is_valid``). One that does not (the
    caller passed tokens that were never validated) is replaced by the named theme's value:
    the page degrades, it never fails.
    """

    def block(selector: str, variables: dict[str, str], fallback: dict[str, str]) -> str:
        declarations = []
        for name, value in variables.items():
            if not css_variable_is_valid(name, value):
                logger.error("unsafe CSS value for %s replaced by the theme's: %r", name, value)
                value = fallback[name]
                if not css_variable_is_valid(name, value):  # a shipped theme breaks the rule: a bug
                    raise ValueError(f"unsafe CSS value for {name} in theme {tokens['name']}: {value!r}")
            declarations.append(f"{name}:{value}")
        return f"{selector}{{{';'.join(declarations)}}}"

    named = get_theme(tokens["name"])
    return block(":root", css_variables(tokens), css_variables(named)) + block(
        ':root[data-mode="dark"]', css_variables(tokens, dark=True), css_variables(named, dark=True)
    )


def json_for_script(data: Any) -> str:
    """JSON safe inside a <script> element (no ``</script>``, no ``<!--``)."""
    return (
        json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


@dataclass(frozen=True)
class PageContext:
    language: str
    host_kind: str  # "brand" or "root"
    title: str
    tokens: dict[str, Any]
    boot: dict[str, Any] | None
    # The request's Content-Security-Policy nonce: every <script> and <style> element of the
    # page carries it (the policy allows no other inline script or style).
    nonce: str = ""
    # Tags for <head> from webapp.head (description, canonical, Open Graph, JSON-LD...),
    # and the page's first screen for <div id="root"> (empty: the app renders it).
    head: str = ""
    root: str = ""


_INLINE_TAG = re.compile(r"<(script|style)\b(?![^>]*\bnonce=)", re.IGNORECASE)


def render_index(template: str, page: PageContext) -> str:
    """``template`` (Vite's index.html) with the page's language, theme and first data."""
    background = page.tokens["colors"]["background"]
    attributes = (
        f'<html lang="{html.escape(page.language)}" data-host="{html.escape(page.host_kind)}" '
        f'data-theme="{html.escape(page.tokens["name"])}">'
    )
    result, replaced = re.subn(r"<html[^>]*>", attributes, template, count=1)
    if not replaced:
        raise ValueError("index.html has no <html> element")
    # Replacements by function: a title is a merchant's text, and a backslash in it must stay text.
    title = f"<title>{html.escape(page.title)}</title>"
    result = re.sub(r"<title>.*?</title>", lambda _: title, result, count=1)
    result = re.sub(
        r'<meta name="theme-color" content="[^"]*"\s*/?>',
        f'<meta name="theme-color" content="{html.escape(background)}" />',
        result,
        count=1,
    )
    if page.nonce:
        result = _INLINE_TAG.sub(lambda match: f'<{match.group(1)} nonce="{html.escape(page.nonce)}"', result)
    nonce = f' nonce="{html.escape(page.nonce)}"' if page.nonce else ""
    if page.root:
        root = f'<div id="root" data-prerendered="">{page.root}</div>'
        result, replaced = re.subn(r'<div id="root"></div>', lambda _: root, result, count=1)
        if not replaced:
            raise ValueError('index.html has no empty <div id="root"></div>')
    head = page.head + f'<style id="brand-theme"{nonce}>{theme_style(page.tokens)}</style>'
    if page.boot is not None:
        head += f'<script id="boot-data" type="application/json"{nonce}>{json_for_script(page.boot)}</script>'
    position = result.find("</head>")
    if position < 0:
        raise ValueError("index.html has no </head>")
    return result[:position] + head + result[position:]
