"""Notifications delivered by a real Celery worker (Redis broker) to the fake providers."""

from __future__ import annotations

import json

import pytest
from django_tenants.utils import tenant_context

from accounts.models import Role
from notifications.models import NotificationChannel
from notifications.services import channel_configure, notify_brand
from tests.conftest import make_user
from tests.notifications.conftest import CHANNELS, TELEGRAM_CHAT, wait_for

pytestmark = pytest.mark.live

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\n%%EOF\n"


def _configure_all(brand, events=("invoice.created",)) -> dict[str, int]:
    admin = make_user(brand, role=Role.BRAND_ADMIN)
    with tenant_context(brand):
        return {
            kind: channel_configure(actor=admin, kind=kind, events=list(events), **settings_).pk
            for kind, settings_ in CHANNELS.items()
        }


def _channel(brand, pk: int) -> NotificationChannel:
    with tenant_context(brand):
        return NotificationChannel.objects.get(pk=pk)


def test_an_invoice_reaches_every_subscribed_channel_with_its_pdf(
    live_brands, celery_worker_thread, providers
):
    brand, _ = live_brands
    ids = _configure_all(brand)

    with tenant_context(brand):
        queued = notify_brand(
            "invoice.created", "Invoice INV-1 for 29.00 EUR", ("INV-1.pdf", PDF, "application/pdf")
        )

    assert queued == 3
    wait_for(lambda: all(_channel(brand, pk).last_sent_at for pk in ids.values()))
    (telegram,) = providers.telegram.received
    (discord,) = providers.discord.received
    upload, message = providers.whatsapp.received
    assert telegram.path.endswith("/sendDocument")
    assert (telegram.fields["chat_id"], telegram.files["document"].content) == (TELEGRAM_CHAT, PDF)
    assert json.loads(discord.fields["payload_json"])["content"] == "Invoice INV-1 for 29.00 EUR"
    assert discord.files["files[0]"].content == PDF
    assert upload.files["file"].content == PDF
    assert message.json["document"]["filename"] == "INV-1.pdf"


def test_rate_limits_are_retried_after_the_wait_the_provider_asked(
    live_brands, celery_worker_thread, providers
):
    brand, _ = live_brands
    ids = _configure_all(brand, events=("payment.confirmed",))
    providers.telegram.rate_limit_once(retry_after=1)
    providers.discord.rate_limit_once(retry_after=0.5)
    providers.whatsapp.throughput_limit_once()

    with tenant_context(brand):
        notify_brand("payment.confirmed", "Payment of 29.00 EUR confirmed")

    wait_for(lambda: all(_channel(brand, pk).last_sent_at for pk in ids.values()))
    for fake, asked in ((providers.telegram, 1.0), (providers.discord, 0.5)):
        first, second = fake.received
        assert second.json == first.json
        assert second.at - first.at >= asked * 0.9
    assert len(providers.whatsapp.received) == 2
    assert all(_channel(brand, pk).last_error == "" for pk in ids.values())


def test_a_provider_that_keeps_failing_is_recorded_after_the_last_retry(
    live_brands, celery_worker_thread, providers, settings
):
    brand, _ = live_brands
    settings.NOTIFICATIONS_MAX_RETRIES = 2
    admin = make_user(brand, role=Role.BRAND_ADMIN)
    with tenant_context(brand):
        channel = channel_configure(
            actor=admin, kind="telegram", events=["withdrawal.requested"], **CHANNELS["telegram"]
        )
    for _ in range(3):
        providers.telegram.fail_next.append(
            (500, {"ok": False, "error_code": 500, "description": "Internal Server Error"}, {})
        )

    with tenant_context(brand):
        notify_brand("withdrawal.requested", "A withdrawal of 50.00 EUR was requested")

    failed = wait_for(lambda: _channel(brand, channel.pk).last_error)
    assert failed == "Telegram: Internal Server Error"
    assert len(providers.telegram.received) == 3  # the first try and two retries
    assert _channel(brand, channel.pk).last_sent_at is None
