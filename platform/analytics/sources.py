"""Traffic sources: a referrer's host grouped into direct, search, social, email or other.

A deliberately small, documented classifier (no third-party list): an empty referrer is
``direct``; a host is matched on its registrable part against the lists below, checked in
order (email before search, so that ``mail.google.com`` is email, not Google search). Anything
else is ``other``, including the brand's own pages. Extend the lists, not the logic.
"""

from __future__ import annotations

from functools import lru_cache

DIRECT = "direct"
SEARCH = "search"
SOCIAL = "social"
EMAIL = "email"
OTHER = "other"
SOURCES = (DIRECT, SEARCH, SOCIAL, EMAIL, OTHER)

# Webmail hosts (and the ``mail.`` / ``webmail.`` prefix of any host).
_EMAIL_HOSTS = (
    "mail.google.com",
    "outlook.live.com",
    "outlook.office.com",
    "outlook.office365.com",
    "mail.yahoo.com",
    "mail.proton.me",
    "mail.aol.com",
    "mail.zoho.com",
    "com.google.android.gm",  # the Gmail app (android-app://com.google.android.gm/)
)
_EMAIL_PREFIXES = ("mail.", "webmail.", "email.")
# Search engines by the label that names them (google.fr, www.bing.com, search.brave.com, ...).
_SEARCH_LABELS = frozenset(
    {"google", "bing", "duckduckgo", "yahoo", "baidu", "yandex", "ecosia", "qwant", "naver", "seznam"}
)
_SEARCH_HOSTS = ("search.brave.com", "startpage.com", "search.aol.com", "kagi.com")
# Social networks and messaging apps, by registrable domain (and its subdomains).
_SOCIAL_DOMAINS = (
    "facebook.com",
    "fb.com",
    "fb.me",
    "instagram.com",
    "t.co",
    "twitter.com",
    "x.com",
    "linkedin.com",
    "lnkd.in",
    "pinterest.com",
    "pin.it",
    "reddit.com",
    "tiktok.com",
    "youtube.com",
    "youtu.be",
    "snapchat.com",
    "threads.net",
    "whatsapp.com",
    "wa.me",
    "telegram.org",
    "t.me",
    "discord.com",
    "tumblr.com",
    "vk.com",
    "mastodon.social",
    "bsky.app",
    "quora.com",
    "messenger.com",
)


def _under(host: str, domain: str) -> bool:
    return host == domain or host.endswith("." + domain)


@lru_cache(maxsize=10_000)
def classify_referrer_host(host: str) -> str:
    """``direct`` / ``search`` / ``social`` / ``email`` / ``other`` for a referrer's host name."""
    host = host.strip().lower().rstrip(".")
    if not host:
        return DIRECT
    if host.startswith(_EMAIL_PREFIXES) or any(_under(host, domain) for domain in _EMAIL_HOSTS):
        return EMAIL
    if any(_under(host, domain) for domain in _SOCIAL_DOMAINS):
        return SOCIAL
    labels = host.split(".")
    if any(label in _SEARCH_LABELS for label in labels[:-1]) or any(
        _under(host, domain) for domain in _SEARCH_HOSTS
    ):
        return SEARCH
    return OTHER
