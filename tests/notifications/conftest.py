"""Fake provider APIs on 127.0.0.1, wired into the settings, with known credentials."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.notifications.fakes import Providers, running_fakes

TELEGRAM_TOKEN = "7012345678:AAHk3vX9y2Qm4Lp8Zr1Tn6Ws0Ud5Fb7Ce2G"
TELEGRAM_CHAT = "-1001234567890"
DISCORD_ID = "1234567890123456789"
DISCORD_TOKEN = "Xy7_kP2q-Lm9Nw4Rt6Vb1Zc3Hd8Jf5Gs0Aq2We4Rt6Yu8Io0Pa1Sd3Fg5Hj7Kl9Zx1Cv"
DISCORD_URL = f"https://discord.com/api/webhooks/{DISCORD_ID}/{DISCORD_TOKEN}"
WHATSAPP_TOKEN = "EAAGm0PX4ZCpsBAKq9Zb7Rk2Lw5Nc8Vt1Hy3Jd6Fg0Sx4Qa7We2Rt9Yu1Io5Pl8Mn"
WHATSAPP_PHONE_ID = "106540352242922"
WHATSAPP_RECIPIENT = "+212612345678"


def wire(providers: Providers, settings: Any) -> None:
    settings.TELEGRAM_API_BASE = providers.telegram.base_url
    settings.DISCORD_API_BASE = providers.discord.base_url
    settings.WHATSAPP_API_BASE = providers.whatsapp.base_url
    settings.NOTIFICATIONS_HTTP_TIMEOUT = 5
    settings.NOTIFICATIONS_RETRY_BASE_SECONDS = 0.2
    providers.telegram.tokens.add(TELEGRAM_TOKEN)
    providers.telegram.chats.add(TELEGRAM_CHAT)
    providers.discord.webhooks[DISCORD_ID] = DISCORD_TOKEN
    providers.whatsapp.tokens.add(WHATSAPP_TOKEN)
    providers.whatsapp.phone_number_ids.add(WHATSAPP_PHONE_ID)


@pytest.fixture
def providers(settings: Any) -> Iterator[Providers]:
    with running_fakes() as fakes:
        wire(fakes, settings)
        yield fakes


CHANNELS = {
    "telegram": {"chat_id": TELEGRAM_CHAT, "bot_token": TELEGRAM_TOKEN},
    "discord": {"webhook_url": DISCORD_URL},
    "whatsapp": {
        "phone_number_id": WHATSAPP_PHONE_ID,
        "recipient_phone": WHATSAPP_RECIPIENT,
        "access_token": WHATSAPP_TOKEN,
    },
}


def wait_for(condition: Any, timeout: float = 20.0) -> Any:
    """Poll ``condition`` until it returns something truthy (work done by the Celery worker)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError("condition not met in time")
