"""Messaging channels stay inside their brand: listing, editing, testing, deleting, delivering."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django_tenants.utils import tenant_context

from accounts.models import Role
from notifications.models import NotificationChannel
from notifications.services import channel_configure, notify_brand
from tests.conftest import make_user
from tests.notifications.conftest import CHANNELS, TELEGRAM_TOKEN, wait_for, wire
from tests.notifications.fakes import Providers, running_fakes

CHAT_A, CHAT_B = "-1001111111111", "-1002222222222"


@pytest.fixture
def fakes(settings: Any) -> Iterator[Providers]:
    with running_fakes() as providers:
        wire(providers, settings)
        providers.telegram.chats.update({CHAT_A, CHAT_B})
        yield providers


def _telegram_channel(brand, chat_id: str) -> NotificationChannel:
    admin = make_user(brand, role=Role.BRAND_ADMIN)
    with tenant_context(brand):
        return channel_configure(
            actor=admin,
            kind="telegram",
            events=["invoice.created"],
            chat_id=chat_id,
            bot_token=TELEGRAM_TOKEN,
        )


def test_brand_b_cannot_see_edit_test_or_delete_brand_as_channels(gql, brand_a, brand_b, fakes):
    channel = _telegram_channel(brand_a, CHAT_A)
    admin_b = make_user(brand_b, role=Role.BRAND_ADMIN)
    client = gql(brand_b, admin_b)
    channel_id = str(channel.pk)

    listed = client.data("{ notificationChannels { totalCount edges { node { id } } } }")
    attempts = {
        "test": client.execute(
            "mutation($id: ID!) { notificationChannelTest(id: $id) { errors { code } } }", {"id": channel_id}
        ),
        "delete": client.execute(
            "mutation($id: ID!) { notificationChannelDelete(id: $id) { errors { code } } }",
            {"id": channel_id},
        ),
        "configure": client.execute(
            "mutation($input: NotificationChannelConfigureInput!) {"
            " notificationChannelConfigure(input: $input) { errors { code } } }",
            {
                "input": {
                    "id": channel_id,
                    "kind": "TELEGRAM",
                    "events": ["PAYMENT_CONFIRMED"],
                    "chatId": CHAT_B,
                    "botToken": TELEGRAM_TOKEN,
                }
            },
        ),
    }

    assert listed["notificationChannels"] == {"totalCount": 0, "edges": []}
    for name, body in attempts.items():
        assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND", name
    with tenant_context(brand_a):
        untouched = NotificationChannel.objects.get(pk=channel.pk)
    with tenant_context(brand_b):
        assert not NotificationChannel.objects.exists()
    assert (untouched.config["chat_id"], untouched.events, untouched.last_sent_at) == (
        CHAT_A,
        ["invoice.created"],
        None,
    )
    assert fakes.all_received() == []


def test_notify_in_brand_b_never_reaches_brand_as_channels(
    brand_a, brand_b, django_capture_on_commit_callbacks
):
    _telegram_channel(brand_a, CHAT_A)

    with tenant_context(brand_b), django_capture_on_commit_callbacks(execute=False) as callbacks:
        queued = notify_brand("invoice.created", "Invoice of brand B")

    assert (queued, callbacks) == (0, [])


@pytest.mark.live
def test_a_task_runs_in_the_brand_that_queued_it_even_when_ids_collide(
    live_brands, celery_worker_thread, fakes
):
    brand, other = live_brands
    mine = _telegram_channel(brand, CHAT_A)
    theirs = _telegram_channel(other, CHAT_B)
    assert mine.pk == theirs.pk  # fresh schemas: the same id in both brands

    with tenant_context(brand):
        notify_brand("invoice.created", "Invoice of brand A")

    def sent() -> Any:
        with tenant_context(brand):
            return NotificationChannel.objects.get(pk=mine.pk).last_sent_at

    wait_for(sent)
    (request,) = fakes.telegram.received
    assert (request.json["chat_id"], request.json["text"]) == (CHAT_A, "Invoice of brand A")
    with tenant_context(other):
        assert NotificationChannel.objects.get(pk=theirs.pk).last_sent_at is None


def test_whatsapp_and_discord_settings_of_one_brand_are_invisible_to_the_other(gql, brand_a, brand_b):
    admin_a = make_user(brand_a, role=Role.BRAND_ADMIN)
    with tenant_context(brand_a):
        for kind in ("discord", "whatsapp"):
            channel_configure(actor=admin_a, kind=kind, events=["payment.confirmed"], **CHANNELS[kind])
    admin_b = make_user(brand_b, role=Role.BRAND_ADMIN)

    as_b = gql(brand_b, admin_b).data("{ notificationChannels { totalCount } }")
    as_a = gql(brand_a, admin_a).data("{ notificationChannels { totalCount } }")

    assert (as_a["notificationChannels"]["totalCount"], as_b["notificationChannels"]["totalCount"]) == (2, 0)
