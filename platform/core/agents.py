"""Who is clicking: which user agents count, and what device, browser and OS they are.

Two layers. The lane (in the request) drops the obvious non-humans with one regular
expression: link-preview fetchers (social networks fetch a shared link to draw its card,
often with a browser-like user agent plus their own token), search and SEO crawlers, and
HTTP libraries and command-line clients (curl, wget, python-requests, Go, Java…): none of
them is a person following a link, and counting them would let anyone inflate a link's
clicks (and per-click commissions) with a one-line script. An empty user agent does not
count either. They are still redirected, so previews and checks work.

Shared by the click lane and drain (tracking), sessions (accounts) and page views (analytics):
it lives in core so that none of them imports another for it.

The drain (off the request) parses the rest with ua-parser, a maintained library of
user-agent rules, and drops what it recognises as a crawler ("Spider") that slipped past the
lane's expression.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

import ua_parser
from django.db import models


class DeviceType(models.TextChoices):
    DESKTOP = "desktop", "Desktop"
    MOBILE = "mobile", "Mobile"
    TABLET = "tablet", "Tablet"
    OTHER = "other", "Other"


_NOT_COUNTED = re.compile(
    "|".join(
        [
            # link-preview fetchers
            r"facebookexternalhit|facebookcatalog|meta-externalagent|twitterbot|slackbot|slack-imgproxy",
            r"linkedinbot|whatsapp|telegrambot|discordbot|pinterest/0|embedly|google-inspectiontool",
            r"skypeuripreview|redditbot|applebot|iframely|vkshare|line-poker|bitlybot|mastodon/",
            r"quora link preview|outbrain|bingpreview|microsoftpreview|google-pagerenderer",
            # crawlers: "...bot" (but not the Cubot phone brand), crawl, spider, slurp, ...
            r"(?<!cu)bot\b|bot/|crawl|spider|slurp|archiver|scrapy|headlesschrome|phantomjs|lighthouse",
            # HTTP libraries and command-line clients
            r"^curl/|^wget/|python-requests|python-urllib|python-httpx|aiohttp|go-http-client",
            r"^java/|okhttp|apache-httpclient|libwww-perl|node-fetch|axios/|undici|^ruby|^php",
        ]
    )
)

_COUNTED_CACHE_SIZE = 4096
_counted_cache: dict[str | bytes, bool] = {}


def is_counted_agent(user_agent: str | bytes) -> bool:
    """Whether a GET with this user agent (text, or the header's bytes) is a click. Cheap: a
    dict hit for the agents that repeat."""
    counted = _counted_cache.get(user_agent)
    if counted is None:
        text = user_agent.decode("latin-1") if isinstance(user_agent, bytes) else user_agent
        counted = bool(text) and _NOT_COUNTED.search(text.lower()) is None
        if len(_counted_cache) >= _COUNTED_CACHE_SIZE:
            _counted_cache.clear()
        _counted_cache[user_agent] = counted
    return counted


class AgentDetails(NamedTuple):
    is_bot: bool
    device_type: str
    browser: str
    os: str


_MOBILE_OS = frozenset(
    {
        "iOS",
        "Android",
        "Windows Phone",
        "BlackBerry OS",
        "KaiOS",
        "Firefox OS",
        "HarmonyOS",
        "Tizen",
        "Symbian OS",
    }
)
_DESKTOP_OS = frozenset(
    {"Windows", "Mac OS X", "Linux", "Ubuntu", "Chrome OS", "Fedora", "Debian", "FreeBSD", "OpenBSD", "macOS"}
)


@lru_cache(maxsize=20_000)
def agent_details(user_agent: str) -> AgentDetails:
    """Device type, browser and OS of a user agent. Cached: clicks repeat a few agents a lot."""
    result = ua_parser.parse(user_agent)
    device = result.device
    os_family = result.os.family if result.os else ""
    browser = result.user_agent.family if result.user_agent else ""
    if device is not None and device.family == "Spider":
        return AgentDetails(True, DeviceType.OTHER, browser[:60], os_family[:60])
    device_text = f"{device.family} {device.brand} {device.model}" if device else ""
    if "iPad" in device_text or "Tablet" in device_text or "Kindle" in device_text:
        device_type = DeviceType.TABLET
    elif os_family == "Android" and "Mobile" not in user_agent:
        # Android tablets are the Android browsers that do not say "Mobile".
        device_type = DeviceType.TABLET
    elif os_family in _MOBILE_OS or "Mobile" in browser:
        device_type = DeviceType.MOBILE
    elif os_family in _DESKTOP_OS:
        device_type = DeviceType.DESKTOP
    else:
        device_type = DeviceType.OTHER
    return AgentDetails(False, device_type, browser[:60], os_family[:60])
