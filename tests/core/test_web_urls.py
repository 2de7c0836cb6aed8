"""Web addresses normalised as browsers read them (the WHATWG URL standard), so that the host we
check is the host people reach (issue 9, finding 10)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.web_urls import WebUrlError, normalise_host, normalise_web_url


@pytest.mark.parametrize(
    ("given", "normalised"),
    [
        ("https://shop.example.com", "https://shop.example.com/"),
        ("HTTPS://Shop.Example.COM/Deal?id=4#top", "https://shop.example.com/Deal?id=4#top"),
        ("http://shop.example.com:80/a", "http://shop.example.com/a"),
        ("https://shop.example.com:443/a", "https://shop.example.com/a"),
        ("https://shop.example.com:8443/a", "https://shop.example.com:8443/a"),
        ("https://shop.example.com:/a", "https://shop.example.com/a"),
        ("https://shop.example.com/a b?q=red shoes", "https://shop.example.com/a%20b?q=red%20shoes"),
        ("https://shop.example.com/caf\u00e9", "https://shop.example.com/caf%C3%A9"),
        ("https://shop.example.com/a/./b/../c", "https://shop.example.com/a/c"),
        ("https://shop.example.com/a/%2e%2E/c", "https://shop.example.com/c"),
        ("https://b\u00fccher.example/", "https://xn--bcher-kva.example/"),
        ("https://\uff33\uff28\uff2f\uff30.example.com/", "https://shop.example.com/"),  # full-width
        ("https://my_shop.example.com/", "https://my_shop.example.com/"),
        ("http://127.0.0.1:8000/x", "http://127.0.0.1:8000/x"),
        ("http://[::1]/x", "http://[::1]/x"),
        ("  https://shop.example.com/  ", "https://shop.example.com/"),
        ("https://shop.example.com/?", "https://shop.example.com/?"),
        ("https://shop.example.com/p?a=%41&b=c", "https://shop.example.com/p?a=%41&b=c"),
    ],
)
def test_a_valid_url_is_normalised_and_python_reads_the_same_host(given, normalised):
    result = normalise_web_url(given)

    assert result == normalised
    assert urlsplit(result).hostname == urlsplit(normalised).hostname


@pytest.mark.parametrize(
    "given",
    [
        "http://evil.com\\@nova.localhost/",  # browsers: evil.com; urllib: nova.localhost
        "http://nova.localhost\\.evil.com/",
        "https://shop.example.com/a\\b",
        "http://shop.example.com/\r\nSet-Cookie: x=1",
        "http://shop.example.com/\tx",
        "http://shop.\nexample.com/",
        "http://shop.example.com/\x00",
        "http://shop.example.com/\x7f",
        "http://shop.example.com/\u0085",
        "http://shop.example.com:99999/",
        "http://shop.example.com:0/",
        "http://shop.example.com:8o/",
        "http://shop.example.com:\u00b2/",
        "http://shop.example.com:1:2/",
        "http://user:pass@shop.example.com/",
        "http://nova.localhost@evil.com/",
        "http://@shop.example.com/",
        "http://evil.com%2F@nova.localhost/",
        "http://evil%2ecom/",
        "http://2130706433/",  # browsers: 127.0.0.1
        "http://0x7f.1/",
        "http://127.000.000.001/",
        "http://[::1%25eth0]/",
        "http:shop.example.com",  # browsers: http://shop.example.com/
        "http:/shop.example.com",
        "http:///shop.example.com",
        "//shop.example.com/",
        "javascript:alert(1)",
        "ftp://shop.example.com/",
        "https://",
        "https://shop..example.com/",
        "https://sh op.example.com/",
        "https://shop.example.com<script>/",
        "https://xn--/",
        "",
    ],
)
def test_what_browsers_and_python_could_read_differently_is_refused(given):
    with pytest.raises(WebUrlError):
        normalise_web_url(given)


def test_an_over_long_url_is_refused():
    with pytest.raises(WebUrlError, match="2000"):
        normalise_web_url("https://shop.example.com/" + "a" * 2000, max_length=2000)


@pytest.mark.parametrize(
    ("given", "normalised"),
    [("Shop.Example.com", "shop.example.com"), ("b\u00fccher.example", "xn--bcher-kva.example")],
)
def test_a_host_name_is_normalised_the_same_way(given, normalised):
    assert normalise_host(given) == normalised


@pytest.mark.parametrize(
    "given", ["shop.example.com/x", "evil.com\\", "a b.com", "user@shop.com", "shop.com:80"]
)
def test_a_host_name_with_anything_else_is_refused(given):
    with pytest.raises(WebUrlError):
        normalise_host(given)


def _joined(pieces: list[str]) -> str:
    return "".join(pieces)


HOST_PIECES = [
    "shop",
    "example",
    "com",
    ".",
    "-",
    "_",
    "\u00e9",
    "\uff53",
    "0x7f",
    "127",
    "1",
    "xn--",
    "%2e",
    "\\",
    "@",
    "[::1]",
    "evil",
    " ",
    ":",
]
TAIL_PIECES = [
    "/",
    "a",
    "..",
    ".",
    "%2e",
    "?",
    "#",
    "=",
    "&",
    "%",
    "%41",
    " ",
    "\u00e9",
    "\\",
    "@",
    "'",
    '"',
    "<",
    ">",
    "`",
    "{",
    "}",
    "\t",
    "\r\n",
    "\x00",
    "\x7f",
]
URLS = st.builds(
    lambda scheme, separator, host, port, tail: scheme + separator + host + port + tail,
    st.sampled_from(["http", "https", "HTTPS", "ftp", ""]),
    st.sampled_from(["://", "://", "://", ":", ":/", ":///", "//"]),
    st.one_of(
        st.lists(st.sampled_from(HOST_PIECES), min_size=1, max_size=6).map(_joined),
        st.lists(
            st.sampled_from(["shop", "b\u00fccher", "\uff53hop", "127", "0", "my_shop", "a-b"]),
            min_size=1,
            max_size=4,
        ).map(".".join),
    ),
    st.sampled_from(["", "", ":", ":80", ":443", ":8080", ":99999", ":0", ":8o"]),
    st.lists(st.sampled_from(TAIL_PIECES), max_size=10).map(_joined),
)


@settings(max_examples=1500, deadline=None)
@given(value=URLS)
def test_any_input_is_refused_with_a_sentence_or_normalised_stably(value):
    try:
        result = normalise_web_url(value)
    except WebUrlError as error:
        result, message = None, str(error)
    if result is None:
        assert message  # a sentence for the user
        return
    parts = urlsplit(result)
    assert parts.scheme in ("http", "https")
    assert parts.hostname
    assert parts.username is None
    assert result.isascii()
    assert not set(result) & set("\\\x00\t\r\n ")
    assert normalise_web_url(result) == result  # idempotent: what is stored passes again
