"""The local mail inbox of `make run`: every email the platform sends (sign-in links,
invitations, invoices) is written to ``DEV_MAIL_DIR`` as an ``.eml`` file, and
``/_dev/mail/`` on any host lists them, shows one with its HTML and text (links clickable) and
lists its attachments.

Development only: ``DEV_MAIL_DIR`` is set in ``config.settings.local`` alone; without it the
views answer 404 and the backend refuses to start, so production and tests never expose it.
"""

from __future__ import annotations

import email
import email.policy
import re
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage as ParsedMessage
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.html import escape, format_html, format_html_join, urlize

FILE_NAME = re.compile(r"^[0-9]+-[0-9a-f]{32}\.eml$")
HREF = re.compile(r"""href=["']([^"']+)["']""")
URL = re.compile(r"https?://[^\s<>\"']+")


def mail_dir() -> Path | None:
    directory = getattr(settings, "DEV_MAIL_DIR", None)
    return Path(directory) if directory else None


class DevMailBackend(BaseEmailBackend):
    """Writes each message, as sent, to ``DEV_MAIL_DIR/<time>-<id>.eml``."""

    def __init__(self, fail_silently: bool = False, **kwargs: Any) -> None:
        super().__init__(fail_silently=fail_silently, **kwargs)
        directory = mail_dir()
        if directory is None:
            raise ImproperlyConfigured("DevMailBackend needs DEV_MAIL_DIR (local settings only).")
        self.directory = directory

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        self.directory.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            path = self.directory / f"{time.time_ns()}-{uuid.uuid4().hex}.eml"
            path.write_bytes(message.message().as_bytes())
        return len(email_messages)


@dataclass
class StoredMail:
    name: str
    subject: str
    to: str
    sender: str
    date: str
    text: str = ""
    html: str = ""
    attachments: list[tuple[str, str, int]] = field(default_factory=list)  # name, type, bytes

    @property
    def links(self) -> list[str]:
        found = HREF.findall(self.html) + URL.findall(self.text)
        return list(dict.fromkeys(link.replace("&amp;", "&") for link in found))


def _read(path: Path) -> StoredMail:
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(parsed, ParsedMessage)
    mail = StoredMail(
        name=path.name,
        subject=str(parsed.get("Subject", "")),
        to=str(parsed.get("To", "")),
        sender=str(parsed.get("From", "")),
        date=str(parsed.get("Date", "")),
    )
    for part in parsed.walk():
        if part.is_multipart():
            continue
        filename = part.get_filename()
        content_type = part.get_content_type()
        if filename or part.get_content_disposition() == "attachment":
            payload = part.get_payload(decode=True) or b""
            mail.attachments.append((filename or "(unnamed)", content_type, len(payload)))
        elif content_type == "text/plain" and not mail.text:
            mail.text = str(part.get_content())
        elif content_type == "text/html" and not mail.html:
            mail.html = str(part.get_content())
    return mail


def stored_mails() -> list[Path]:
    directory = mail_dir()
    if directory is None:
        raise Http404("No development mail inbox here.")
    if not directory.is_dir():
        return []
    return sorted((p for p in directory.iterdir() if FILE_NAME.match(p.name)), reverse=True)


PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font:14px system-ui,sans-serif;margin:2rem;max-width:960px}}
td,th{{padding:.3rem .6rem;text-align:left;border-bottom:1px solid #ddd}}
iframe{{width:100%;height:480px;border:1px solid #ccc}}pre{{white-space:pre-wrap}}</style>
</head><body><h1>{title}</h1>{body}</body></html>"""


def _links_in_new_tabs(html: str) -> str:
    base = '<base target="_blank">'
    return html.replace("<head>", "<head>" + base, 1) if "<head>" in html else base + html


def dev_mail_list_view(request: HttpRequest) -> HttpResponse:
    paths = stored_mails()
    mails = [_read(path) for path in paths[:200]]
    rows = format_html_join(
        "",
        '<tr><td>{}</td><td>{}</td><td><a href="{}/">{}</a></td></tr>',
        ((mail.date, mail.to, mail.name, mail.subject or "(no subject)") for mail in mails),
    )
    body = (
        format_html(
            "<p>{} message(s), newest first, in <code>{}</code>.</p>"
            "<table><tr><th>Date</th><th>To</th><th>Subject</th></tr>{}</table>",
            len(paths),
            str(mail_dir()),
            rows,
        )
        if mails
        else "<p>No mail yet: sign up, ask for a login link or send an invitation.</p>"
    )
    return HttpResponse(PAGE.format(title="Development mail", body=body))


def dev_mail_message_view(request: HttpRequest, name: str) -> HttpResponse:
    paths = {path.name: path for path in stored_mails()}
    if not FILE_NAME.match(name) or name not in paths:
        raise Http404("No such message.")
    mail = _read(paths[name])
    # The HTML part in a sandboxed frame: no scripts, links open in a new tab.
    html = (
        format_html(
            '<h2>HTML</h2><iframe sandbox="allow-popups allow-popups-to-escape-sandbox" '
            'srcdoc="{}"></iframe>',
            _links_in_new_tabs(mail.html),
        )
        if mail.html
        else ""
    )
    body = format_html(
        '<p><a href="../">← all mail</a></p><table>'
        "<tr><th>From</th><td>{}</td></tr><tr><th>To</th><td>{}</td></tr>"
        "<tr><th>Date</th><td>{}</td></tr><tr><th>Subject</th><td>{}</td></tr></table>"
        "<h2>Links</h2><ul>{}</ul>{}<h2>Text</h2><pre>{}</pre><h2>Attachments</h2><ul>{}</ul>",
        mail.sender,
        mail.to,
        mail.date,
        mail.subject,
        format_html_join("", '<li><a href="{}" target="_blank">{}</a></li>', ((u, u) for u in mail.links)),
        html,
        urlize(mail.text, autoescape=True) if mail.text else "",
        format_html_join("", "<li>{} ({}, {} bytes)</li>", mail.attachments) or "none",
    )
    return HttpResponse(PAGE.format(title=escape(mail.subject or "Message"), body=body))
