"""Web addresses that people give us (link targets, landing pages, merchant websites),
normalised the way browsers read them, so that the host we check is the host people reach.

Browsers parse URLs by the WHATWG URL standard; Python's ``urllib.parse`` follows the older
RFC 3986 and differs exactly where open redirects hide: ``http://evil.com\\@shop.example/`` is
evil.com to a browser (a backslash is a slash) and shop.example to urllib (the rest is a user
name). No WHATWG parser is installed here, so this module does not guess: it accepts only URLs
on which the two agree, refuses the rest with a sentence, and returns the form a browser would
serialise (lower-case scheme and host, IDNA host, no default port, percent-encoded path, query
and fragment, dot segments resolved). Refused: anything but http(s) with ``//``, backslashes,
control characters (tab, CR, LF, NUL, DEL, C1) anywhere, user info (``user:pass@``), ports
outside 1-65535, percent signs and forbidden characters in the host, and hosts that browsers
would read as a number (``2130706433``, ``0x7f.1``) unless they are a plain dotted IPv4.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import quote

import idna

SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_URL_LENGTH = 2000

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_PORT = re.compile(r"[0-9]{1,5}")
_ASCII_HOST = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?")
_NUMERIC_LABEL = re.compile(r"(?:0[xX][0-9a-fA-F]*|[0-9]+)")
_DOT_SEGMENTS = {".", "%2e"}
_DOUBLE_DOT_SEGMENTS = {"..", ".%2e", "%2e.", "%2e%2e"}
# Printable ASCII left as typed; the WHATWG percent-encode sets for each part add the rest.
_PRINTABLE = "".join(chr(code) for code in range(0x21, 0x7F))
_PATH_SAFE = "".join(char for char in _PRINTABLE if char not in '"#<>?`{}')
_QUERY_SAFE = "".join(char for char in _PRINTABLE if char not in "\"#<>'")
_FRAGMENT_SAFE = "".join(char for char in _PRINTABLE if char not in '"<>`')

FULL_URL_MESSAGE = "Use a full http(s) URL, like https://shop.example.com/page."


class WebUrlError(ValueError):
    """A URL (or host name) that is refused; the message is a sentence for the user."""


def normalise_web_url(value: str, *, max_length: int = MAX_URL_LENGTH) -> str:
    """``value`` as browsers read and write it, or WebUrlError if they could read it otherwise
    than ``urllib.parse`` does (see the module)."""
    value = value.strip(" ")
    _refuse_unsafe_characters(value)
    scheme_match = _SCHEME.match(value)
    if not scheme_match or scheme_match[1].lower() not in SCHEMES:
        raise WebUrlError(FULL_URL_MESSAGE)
    scheme = scheme_match[1].lower()
    rest = value[scheme_match.end() :]
    if not rest.startswith("//") or rest.startswith("///"):
        raise WebUrlError(FULL_URL_MESSAGE)
    rest = rest[2:]
    authority_end = min((rest.find(char) for char in "/?#" if char in rest), default=len(rest))
    host, port = _host_and_port(rest[:authority_end], scheme)
    path, query, fragment = _split_tail(rest[authority_end:])
    url = f"{scheme}://{host}{port}{_path(path)}"
    if query is not None:
        url += "?" + quote(query, safe=_QUERY_SAFE)
    if fragment is not None:
        url += "#" + quote(fragment, safe=_FRAGMENT_SAFE)
    if len(url) > max_length:
        raise WebUrlError(f"Use at most {max_length} characters.")
    return url


def normalise_host(value: str) -> str:
    """A bare host name (``shop.example.com``) as browsers read it: lower case, IDNA encoded."""
    value = value.strip(" ")
    _refuse_unsafe_characters(value)
    if any(char in value for char in "/?#@:[]"):
        raise WebUrlError("List host names only, like shop.example.com.")
    return _domain(value)


def _refuse_unsafe_characters(value: str) -> None:
    if not value:
        raise WebUrlError(FULL_URL_MESSAGE)
    if "\\" in value:
        raise WebUrlError("Remove the backslash: browsers read it as a slash.")
    if _CONTROL.search(value):
        raise WebUrlError("Remove the control characters (line breaks, tabs and the like).")


def _host_and_port(authority: str, scheme: str) -> tuple[str, str]:
    if "@" in authority:
        raise WebUrlError("Remove the user name and password (the part before @).")
    if authority.startswith("["):
        end = authority.find("]")
        if end < 0:
            raise WebUrlError("The host name is not valid.")
        literal, port_part = authority[1:end], authority[end + 1 :]
        try:
            host = f"[{ipaddress.IPv6Address(literal).compressed}]" if "%" not in literal else ""
        except ValueError:
            host = ""
        if not host:
            raise WebUrlError("The host name is not valid.")
    else:
        name, _, port_part = authority.partition(":")
        port_part = f":{port_part}" if _ else ""
        host = _domain(name)
    if not port_part or port_part == ":":
        return host, ""
    digits = port_part[1:]
    if not port_part.startswith(":") or not _PORT.fullmatch(digits) or not 1 <= int(digits) <= 65535:
        raise WebUrlError("Use a port from 1 to 65535.")
    return host, "" if int(digits) == DEFAULT_PORTS[scheme] else f":{int(digits)}"


def _domain(name: str) -> str:
    if not name or "%" in name:
        raise WebUrlError("The host name is not valid.")
    if not name.isascii():
        try:
            name = idna.encode(name, uts46=True, transitional=False).decode("ascii")
        except (idna.IDNAError, UnicodeError) as error:
            raise WebUrlError("The host name is not valid.") from error
    name = name.lower()
    if not _ASCII_HOST.fullmatch(name) or len(name) > 253:
        raise WebUrlError("The host name is not valid.")
    if any(label.startswith("xn--") for label in name.split(".")):
        try:
            idna.decode(name)
        except (idna.IDNAError, UnicodeError) as error:
            raise WebUrlError("The host name is not valid.") from error
    last_label = name.rstrip(".").rsplit(".", 1)[-1]
    if _NUMERIC_LABEL.fullmatch(last_label):
        # Browsers read such a host as an IPv4 address, in forms urllib does not know.
        try:
            return str(ipaddress.IPv4Address(name))
        except ValueError as error:
            raise WebUrlError("Write an IP address as four numbers, like 192.0.2.1.") from error
    return name


def _split_tail(tail: str) -> tuple[str, str | None, str | None]:
    fragment: str | None = None
    query: str | None = None
    if "#" in tail:
        tail, fragment = tail.split("#", 1)
    if "?" in tail:
        tail, query = tail.split("?", 1)
    return tail, query, fragment


def _path(path: str) -> str:
    """The path percent-encoded, with ``.`` and ``..`` segments resolved as browsers do."""
    segments: list[str] = []
    parts = path.split("/")[1:] if path else [""]
    for index, segment in enumerate(parts):
        is_last = index == len(parts) - 1
        if segment.lower() in _DOUBLE_DOT_SEGMENTS:
            if segments:
                segments.pop()
            if is_last:
                segments.append("")
        elif segment.lower() in _DOT_SEGMENTS:
            if is_last:
                segments.append("")
        else:
            segments.append(quote(segment, safe=_PATH_SAFE))
    return "/" + "/".join(segments)
