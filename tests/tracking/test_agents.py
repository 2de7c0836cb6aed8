"""Which user agents count as clicks, and what the drain reads from them."""

from __future__ import annotations

import pytest

from core.agents import agent_details, is_counted_agent
from tests.tracking.conftest import BROWSER, IPHONE

PREVIEW_FETCHERS_AND_BOTS = [
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Mozilla/5.0 (compatible; Twitterbot/1.0)",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
    "WhatsApp/2.23.20.0 A",
    "TelegramBot (like TwitterBot)",
    "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    "Pinterest/0.2 (+http://www.pinterest.com/bot.html)",
    "Mozilla/5.0 (compatible; Embedly/0.2; +http://support.embed.ly/)",
    "Mozilla/5.0 (compatible; Google-InspectionTool/1.0;)",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "Sogou web spider/4.0",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.0)",
    "curl/8.4.0",
    "Wget/1.21.4",
    "python-requests/2.32.0",
    "Go-http-client/1.1",
    "",
]
PEOPLE = [
    BROWSER,
    IPHONE,
    "Mozilla/5.0 (Linux; Android 9; CUBOT X19) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/80.0.3987.99 Mobile Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Safari/605.1.15",
    # Instagram's in-app browser is a person reading a post
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15E148 Instagram 325.0.0.35.91",
]


@pytest.mark.parametrize("user_agent", PREVIEW_FETCHERS_AND_BOTS)
def test_preview_fetchers_bots_and_scripts_do_not_count(user_agent):
    assert not is_counted_agent(user_agent)


@pytest.mark.parametrize("user_agent", PEOPLE)
def test_browsers_count(user_agent):
    assert is_counted_agent(user_agent)


def test_the_drain_reads_device_browser_and_os():
    desktop = agent_details(BROWSER)
    phone = agent_details(IPHONE)
    tablet = agent_details(
        "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/16.6 Mobile/15E148 Safari/604.1"
    )
    android_tablet = agent_details(
        "Mozilla/5.0 (Linux; Android 13; SM-X200) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0.0.0 Safari/537.36"
    )

    assert (desktop.device_type, desktop.browser, desktop.os) == ("desktop", "Chrome", "Windows")
    assert (phone.device_type, phone.browser, phone.os) == ("mobile", "Mobile Safari", "iOS")
    assert tablet.device_type == "tablet"
    assert android_tablet.device_type == "tablet"
    assert not desktop.is_bot


def test_the_drain_recognises_crawlers_the_lane_let_through():
    assert agent_details("Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)").is_bot


def test_the_header_bytes_are_judged_like_the_text():
    assert is_counted_agent(BROWSER.encode())
    assert not is_counted_agent(b"curl/8.4.0")
    assert not is_counted_agent(b"")
