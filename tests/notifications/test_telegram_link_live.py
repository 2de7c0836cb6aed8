"""Linking a Telegram chat end to end: the deep link from the API on the live server, then
Telegram (the fake) posting ``/start <token>`` to the webhook the bot was given."""

from __future__ import annotations

import re

import pytest
from django_tenants.utils import tenant_context

from accounts.models import Role
from notifications.models import MessagingLink
from notifications.services import channel_configure
from tests.conftest import make_user
from tests.notifications.conftest import CHANNELS, TELEGRAM_TOKEN

pytestmark = pytest.mark.live


def test_a_user_links_telegram_through_the_bots_webhook(
    live_server_port, live_brands, live_client, providers, settings
):
    """The deep link from the API, then Telegram (the fake) posting ``/start <token>`` to the
    webhook it was given, with its secret token: the chat is linked, the answer greets it."""
    brand, _ = live_brands
    settings.PUBLIC_URL_SCHEME, settings.PUBLIC_URL_PORT = "http", str(live_server_port)
    admin = make_user(brand, role=Role.BRAND_ADMIN)
    affiliate = make_user(brand, role=Role.AFFILIATE)
    with tenant_context(brand):
        channel_configure(actor=admin, kind="telegram", events=["invoice.created"], **CHANNELS["telegram"])
    browser = live_client(brand)
    browser.login(affiliate.email)

    started = browser.post(
        "mutation { telegramLinkStart { url errors { code } } }",
        headers={"X-CSRFToken": browser.http.cookies["csrftoken"]},
    ).json()["data"]["telegramLinkStart"]
    token = re.fullmatch(r"https://t\.me/AlphaNotifierBot\?start=(.+)", started["url"])
    assert token is not None
    status, answer = providers.telegram.user_starts_bot(
        TELEGRAM_TOKEN, user_id=777001, username="Live_Ana", text=f"/start {token[1]}"
    )

    assert status == 200
    assert (answer["method"], answer["chat_id"]) == ("sendMessage", 777001)
    with tenant_context(brand):
        link = MessagingLink.objects.get(user=affiliate)
    assert (link.chat_id, link.username) == ("777001", "live_ana")
