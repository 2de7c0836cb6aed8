"""Brand emails: the plain text a task writes, plus an HTML alternative in the brand's theme.

The HTML part is rendered from one template (``email/base.html``) with the brand's merged
theme tokens (named theme plus overrides), as inline styles only: email clients drop
``<style>`` blocks and CSS variables.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from core.tenancy import tenant_connection
from themes import brand_theme


def brand_email_html(
    *, tenant: Any, subject: str, text: str, action_url: str = "", action_label: str = ""
) -> str:
    """The HTML body: a header band in the primary colour, the text's paragraphs, an optional
    button, on the theme's background and surface with its text colours and font."""
    tokens = brand_theme(tenant)
    return render_to_string(
        "email/base.html",
        {
            "brand": tenant.name,
            "subject": subject,
            "paragraphs": [part for part in text.strip().split("\n\n") if part.strip()],
            "action_url": action_url,
            "action_label": action_label,
            "colors": tokens["colors"],
            "font_family": tokens["typography"]["fontFamily"],
            "heading_font_family": tokens["typography"]["headingFontFamily"],
            "radius": tokens["radius"],
            "language": getattr(tenant, "language", "en"),
        },
    )


def send_brand_email(
    to: Sequence[str],
    subject: str,
    text: str,
    html_body_context: dict[str, str] | None = None,
    attachments: Sequence[tuple[str, bytes, str]] = (),
) -> None:
    """Send ``text`` with its themed HTML alternative, from the current brand (the task's schema).

    ``html_body_context`` may carry ``action_url`` / ``action_label`` for a button; a paragraph
    equal to the action URL is left out of the HTML (the button carries it).
    """
    tenant = tenant_connection().tenant
    context = html_body_context or {}
    action_url = context.get("action_url", "").strip()
    html_text = "\n\n".join(
        part for part in text.split("\n\n") if not action_url or part.strip() != action_url
    )
    message = EmailMultiAlternatives(
        subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=list(to)
    )
    message.attach_alternative(
        brand_email_html(
            tenant=tenant,
            subject=subject,
            text=html_text,
            action_url=context.get("action_url", ""),
            action_label=context.get("action_label", ""),
        ),
        "text/html",
    )
    for filename, content, mimetype in attachments:
        message.attach(filename, content, mimetype)
    message.send()
