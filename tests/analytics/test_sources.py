"""The referrer-source classifier: a small documented list, checked in order."""

from __future__ import annotations

import pytest

from analytics.sources import classify_referrer_host


@pytest.mark.parametrize(
    ("host", "source"),
    [
        ("", "direct"),
        ("www.google.com", "search"),
        ("google.fr", "search"),
        ("www.bing.com", "search"),
        ("duckduckgo.com", "search"),
        ("search.brave.com", "search"),
        ("fr.search.yahoo.com", "search"),
        ("mail.google.com", "email"),
        ("outlook.live.com", "email"),
        ("mail.yahoo.com", "email"),
        ("webmail.example.net", "email"),
        ("com.google.android.gm", "email"),
        ("l.facebook.com", "social"),
        ("m.facebook.com", "social"),
        ("t.co", "social"),
        ("x.com", "social"),
        ("www.instagram.com", "social"),
        ("lnkd.in", "social"),
        ("www.youtube.com", "social"),
        ("WWW.REDDIT.COM.", "social"),
        ("news.example.org", "other"),
        ("notgoogle.com", "other"),
        ("fakefacebook.com", "other"),
        ("t.com", "other"),
    ],
)
def test_a_referrer_host_falls_in_one_source(host: str, source: str) -> None:
    assert classify_referrer_host(host) == source
