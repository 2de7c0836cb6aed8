"""Configuring channels (validation, secrets), testing them and queueing notifications."""

from __future__ import annotations

import base64

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import tenant_context

from accounts.models import Role
from core.models import AuditEvent
from notifications.models import NotificationChannel
from notifications.services import channel_configure, channel_delete, channel_test, notify_brand
from notifications.tasks import deliver_notification_task
from tests.conftest import make_user
from tests.notifications.conftest import (
    CHANNELS,
    DISCORD_ID,
    DISCORD_TOKEN,
    DISCORD_URL,
    TELEGRAM_CHAT,
    TELEGRAM_TOKEN,
    WHATSAPP_TOKEN,
)

ALL_EVENTS = [
    "payment.confirmed",
    "invoice.created",
    "withdrawal.requested",
    "manual_payment.submitted",
    "contact.received",
]


@pytest.fixture
def admin(brand_a):
    user = make_user(brand_a, role=Role.BRAND_ADMIN)
    with tenant_context(brand_a):
        yield user


def configure(admin, kind, events=("payment.confirmed",), **overrides):
    return channel_configure(actor=admin, kind=kind, events=list(events), **{**CHANNELS[kind], **overrides})


def codes(error: ValidationError) -> dict[str, str]:
    return {field: errors[0].code for field, errors in error.error_dict.items()}


def test_each_kind_keeps_its_settings_and_secret(admin):
    telegram = configure(admin, "telegram")
    discord = configure(admin, "discord")
    whatsapp = configure(admin, "whatsapp", recipient_phone="00212 6-12 34 56 78")

    assert (telegram.config, telegram.secret) == ({"chat_id": TELEGRAM_CHAT}, TELEGRAM_TOKEN)
    assert (discord.config, discord.secret) == ({"webhook_id": DISCORD_ID}, DISCORD_TOKEN)
    assert whatsapp.config == {"phone_number_id": "106540352242922", "recipient": "+212612345678"}
    assert whatsapp.secret == WHATSAPP_TOKEN
    assert telegram.secret_hint == "…Ce2G"
    assert all(channel.enabled for channel in (telegram, discord, whatsapp))
    logged = AuditEvent.objects.filter(action="notification_channel.created")
    assert logged.count() == 3
    assert not any(TELEGRAM_TOKEN in str(event.data) for event in logged)


@pytest.mark.parametrize(
    ("kind", "overrides", "expected"),
    [
        ("telegram", {"bot_token": "12345:short"}, {"bot_token": "INVALID_TOKEN"}),
        ("telegram", {"bot_token": ""}, {"bot_token": "REQUIRED"}),
        ("telegram", {"chat_id": "my group"}, {"chat_id": "INVALID_CHAT_ID"}),
        ("telegram", {"chat_id": "@ab"}, {"chat_id": "INVALID_CHAT_ID"}),
        (
            "discord",
            {"webhook_url": "https://example.com/api/webhooks/1/2"},
            {"webhook_url": "INVALID_WEBHOOK_URL"},
        ),
        (
            "discord",
            {"webhook_url": f"http://discord.com/api/webhooks/{DISCORD_ID}/{DISCORD_TOKEN}"},
            {"webhook_url": "INVALID_WEBHOOK_URL"},
        ),
        ("discord", {"webhook_url": ""}, {"webhook_url": "REQUIRED"}),
        ("whatsapp", {"recipient_phone": "0612345678"}, {"recipient_phone": "INVALID_PHONE"}),
        ("whatsapp", {"recipient_phone": "+0612345678"}, {"recipient_phone": "INVALID_PHONE"}),
        ("whatsapp", {"access_token": "not-a-meta-token"}, {"access_token": "INVALID_TOKEN"}),
        ("whatsapp", {"phone_number_id": "+212600"}, {"phone_number_id": "INVALID"}),
        (
            "whatsapp",
            {"phone_number_id": "", "access_token": ""},
            {"phone_number_id": "REQUIRED", "access_token": "REQUIRED"},
        ),
    ],
)
def test_settings_are_checked_field_by_field(admin, kind, overrides, expected):
    with pytest.raises(ValidationError) as caught:
        configure(admin, kind, **overrides)

    assert codes(caught.value) == expected
    assert not NotificationChannel.objects.exists()


def test_events_must_be_known_and_at_least_one(admin):
    with pytest.raises(ValidationError) as unknown:
        configure(admin, "telegram", events=["payment.confirmed", "order.shipped"])
    with pytest.raises(ValidationError) as empty:
        configure(admin, "telegram", events=[])

    assert codes(unknown.value) == {"events": "UNKNOWN_EVENT"}
    assert codes(empty.value) == {"events": "REQUIRED"}


def test_discord_webhook_urls_of_every_host_form_are_parsed(admin):
    for url in (
        DISCORD_URL,
        f"https://discordapp.com/api/webhooks/{DISCORD_ID}/{DISCORD_TOKEN}",
        f"https://canary.discord.com/api/v10/webhooks/{DISCORD_ID}/{DISCORD_TOKEN}/?thread_id=1",
    ):
        channel = configure(admin, "discord", webhook_url=url)
        assert (channel.config, channel.secret) == ({"webhook_id": DISCORD_ID}, DISCORD_TOKEN)


def test_an_update_keeps_the_secret_when_it_is_left_empty(admin):
    channel = configure(admin, "telegram")
    NotificationChannel.objects.filter(pk=channel.pk).update(last_error="Unauthorized")
    channel.refresh_from_db()

    updated = channel_configure(
        actor=admin, kind="telegram", channel=channel, events=ALL_EVENTS, enabled=False, label="Finance"
    )

    assert (updated.secret, updated.config["chat_id"]) == (TELEGRAM_TOKEN, TELEGRAM_CHAT)
    assert (updated.enabled, updated.events, updated.label) == (False, ALL_EVENTS, "Finance")
    assert updated.last_error == "Unauthorized"  # same secret: the last error still stands

    renewed = channel_configure(
        actor=admin,
        kind="telegram",
        channel=updated,
        events=ALL_EVENTS,
        bot_token="7012345678:AAHk3vX9y2Qm4Lp8Zr1Tn6Ws0Ud5Fb7NEW0",
    )
    assert renewed.secret.endswith("NEW0")
    assert renewed.last_error == ""


def test_the_kind_of_a_channel_cannot_change(admin):
    channel = configure(admin, "telegram")

    with pytest.raises(ValidationError) as caught:
        configure(admin, "discord", channel=channel)

    assert codes(caught.value) == {"kind": "KIND_IMMUTABLE"}


def test_a_test_message_is_sent_now_and_recorded(admin, providers):
    channel = configure(admin, "telegram")

    message_id = channel_test(actor=admin, channel=channel, brand_name="Alpha Brand")

    channel.refresh_from_db()
    (request,) = providers.telegram.received
    assert message_id
    assert "Alpha Brand" in request.json["text"]
    assert channel.last_sent_at is not None
    assert channel.last_error == ""


def test_a_failed_test_explains_why_and_is_recorded(admin, providers):
    channel = configure(admin, "telegram", chat_id="-100999")

    with pytest.raises(ValidationError) as caught:
        channel_test(actor=admin, channel=channel, brand_name="Alpha Brand")

    channel.refresh_from_db()
    assert caught.value.error_dict["__all__"][0].code == "DELIVERY_FAILED"
    assert channel.last_error == "Telegram: Bad Request: chat not found"
    assert channel.last_error_at is not None


def test_a_rate_limited_test_says_when_to_try_again(admin, providers):
    channel = configure(admin, "discord")
    providers.discord.rate_limit_once(retry_after=4)

    with pytest.raises(ValidationError) as caught:
        channel_test(actor=admin, channel=channel, brand_name="Alpha Brand")

    (error,) = caught.value.error_dict["__all__"]
    assert error.code == "RATE_LIMITED"
    assert "Try again in 4 s." in error.message


def test_notify_queues_one_task_per_enabled_subscribed_channel(admin, django_capture_on_commit_callbacks):
    configure(admin, "telegram", events=["payment.confirmed", "invoice.created"])
    configure(admin, "discord", events=["invoice.created"])
    configure(admin, "whatsapp", events=["invoice.created"], enabled=False)

    with django_capture_on_commit_callbacks(execute=False) as invoice:
        assert (
            notify_brand("invoice.created", "Invoice INV-1", ("INV-1.pdf", b"%PDF-1.4", "application/pdf"))
            == 2
        )
    with django_capture_on_commit_callbacks(execute=False) as withdrawal:
        assert notify_brand("withdrawal.requested", "Someone asked for 50 EUR") == 0

    assert (len(invoice), len(withdrawal)) == (2, 0)


def test_a_brand_without_channels_sends_nothing(admin, providers, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        for event in ALL_EVENTS:
            assert notify_brand(event, "nothing to see") == 0

    assert callbacks == []
    assert providers.all_received() == []


def test_an_unknown_event_is_a_programming_error(admin):
    with pytest.raises(ValueError, match="unknown notification event"):
        notify_brand("order.shipped", "x")


def test_the_task_sends_the_document_and_records_the_success(admin, providers):
    channel = configure(admin, "whatsapp", events=["invoice.created"])
    document = {
        "filename": "INV-1.pdf",
        "content_type": "application/pdf",
        "content_b64": base64.b64encode(b"%PDF-1.4 invoice").decode(),
    }

    deliver_notification_task.apply(args=(channel.pk, "invoice.created", "Invoice INV-1", document))

    channel.refresh_from_db()
    upload, message = providers.whatsapp.received
    assert upload.files["file"].content == b"%PDF-1.4 invoice"
    assert message.json["document"]["caption"] == "Invoice INV-1"
    assert channel.last_sent_at is not None


def test_the_task_records_a_permanent_failure_without_raising(admin, providers):
    channel = configure(admin, "discord", events=["invoice.created"])
    del providers.discord.webhooks[DISCORD_ID]  # deleted in Discord since

    result = deliver_notification_task.apply(args=(channel.pk, "invoice.created", "Invoice INV-1"))

    channel.refresh_from_db()
    assert result.successful()
    assert len(providers.discord.received) == 1  # not retried: it cannot get better
    assert channel.last_error == "Discord: Unknown Webhook (code 10015)"
    assert channel.last_sent_at is None


def test_the_task_skips_a_channel_switched_off_or_deleted_since(admin, providers):
    channel = configure(admin, "telegram", events=["invoice.created"])
    channel_configure(
        actor=admin, kind="telegram", channel=channel, events=["invoice.created"], enabled=False
    )
    deliver_notification_task.apply(args=(channel.pk, "invoice.created", "x"))
    other = configure(admin, "telegram", events=["invoice.created"])
    channel_delete(actor=admin, channel=other)
    deliver_notification_task.apply(args=(other.pk, "invoice.created", "x"))

    assert providers.telegram.received == []
