"""Merchants' rich descriptions, cleaned on write with an explicit allow-list (nh3, the Rust
``ammonia`` sanitizer).

Only formatting survives: no script or style (their content is dropped, not just the tags),
no ``on*`` handlers or ``style``/``class`` attributes (nothing outside the list below), no
``javascript:`` or ``data:`` URLs, no images (a gallery is uploaded, never hot-linked), and
every link gets ``rel="noopener noreferrer"`` so a merchant's page cannot reach back into
``window.opener``.
"""

from __future__ import annotations

import html
import re

import nh3

ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "strong",
        "b",
        "em",
        "i",
        "u",
        "s",
        "ul",
        "ol",
        "li",
        "h2",
        "h3",
        "h4",
        "blockquote",
        "a",
        "hr",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    }
)
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"colspan", "rowspan"}, "td": {"colspan", "rowspan"}}
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
LINK_REL = "noopener noreferrer"
BLOCK_BOUNDARY = re.compile(r"</?(?:p|div|br|li|ul|ol|h[1-6]|tr|td|th|table|blockquote|hr)\b", re.IGNORECASE)
# Tags whose whole content goes, not only the tag (the text of a script is not a description).
DROPPED_WITH_CONTENT = frozenset({"script", "style"})


def sanitize_html(value: str) -> str:
    return nh3.clean(
        value,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    ).strip()


def html_to_text(value: str) -> str:
    """The words of a (sanitized) description, for search and meta descriptions."""
    spaced = BLOCK_BOUNDARY.sub(r" \g<0>", value)  # "<p>a</p><p>b</p>" reads "a b", not "ab"
    text = nh3.clean(spaced, tags=set(), clean_content_tags=set(DROPPED_WITH_CONTENT))
    return " ".join(html.unescape(text).split())
