"""The three clients against local fakes of the providers' wire formats."""

from __future__ import annotations

import json

import pytest

from notifications.connectors import DeliveryError, Document, discord_send, telegram_send, whatsapp_send
from tests.notifications.conftest import (
    DISCORD_ID,
    DISCORD_TOKEN,
    TELEGRAM_CHAT,
    TELEGRAM_TOKEN,
    WHATSAPP_PHONE_ID,
    WHATSAPP_RECIPIENT,
    WHATSAPP_TOKEN,
)

PDF = Document("INV-20261122-0001.pdf", b"%PDF-1.4\n% an invoice\n%%EOF\n", "application/pdf")


def test_telegram_sends_a_message_as_escaped_html(providers):
    message_id = telegram_send(token=TELEGRAM_TOKEN, chat_id=TELEGRAM_CHAT, text="Paid <b>12 €</b> & more")

    (request,) = providers.telegram.received
    assert message_id
    assert request.path == f"/bot{TELEGRAM_TOKEN}/sendMessage"
    assert request.headers["content-type"] == "application/json"
    assert request.json["chat_id"] == TELEGRAM_CHAT
    assert request.json["parse_mode"] == "HTML"
    assert request.json["text"] == "Paid &lt;b&gt;12 €&lt;/b&gt; &amp; more"


def test_telegram_sends_a_document_as_multipart_with_a_caption(providers):
    telegram_send(token=TELEGRAM_TOKEN, chat_id=TELEGRAM_CHAT, text="Invoice INV-1", document=PDF)

    (request,) = providers.telegram.received
    assert request.path == f"/bot{TELEGRAM_TOKEN}/sendDocument"
    assert request.fields == {"chat_id": TELEGRAM_CHAT, "caption": "Invoice INV-1", "parse_mode": "HTML"}
    document = request.files["document"]
    assert (document.filename, document.content_type, document.content) == (
        PDF.filename,
        "application/pdf",
        PDF.content,
    )


def test_telegram_rate_limit_is_retryable_after_what_it_asks(providers):
    providers.telegram.rate_limit_once(retry_after=3)

    with pytest.raises(DeliveryError) as caught:
        telegram_send(token=TELEGRAM_TOKEN, chat_id=TELEGRAM_CHAT, text="hello")

    assert (caught.value.retryable, caught.value.retry_after, caught.value.status) == (True, 3.0, 429)
    assert "Too Many Requests" in caught.value.message


@pytest.mark.parametrize(
    ("token", "chat", "expected"),
    [
        ("7012345678:AAHk3vX9y2Qm4Lp8Zr1Tn6Ws0Ud5Fb7WRONG", TELEGRAM_CHAT, "Unauthorized"),
        (TELEGRAM_TOKEN, "-100999", "Bad Request: chat not found"),
    ],
)
def test_telegram_refusals_are_permanent_with_the_description(providers, token, chat, expected):
    with pytest.raises(DeliveryError) as caught:
        telegram_send(token=token, chat_id=chat, text="hello")

    assert caught.value.retryable is False
    assert caught.value.message == f"Telegram: {expected}"


def test_a_provider_5xx_is_retryable(providers):
    providers.telegram.fail_next.append(
        (502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}, {})
    )

    with pytest.raises(DeliveryError) as caught:
        telegram_send(token=TELEGRAM_TOKEN, chat_id=TELEGRAM_CHAT, text="hello")

    assert (caught.value.retryable, caught.value.retry_after) == (True, None)


def test_a_closed_port_is_a_retryable_network_error(settings):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.TELEGRAM_API_BASE = f"http://127.0.0.1:{port}"

    with pytest.raises(DeliveryError) as caught:
        telegram_send(token=TELEGRAM_TOKEN, chat_id=TELEGRAM_CHAT, text="hello")

    assert caught.value.retryable is True


def test_discord_executes_the_webhook_and_waits_for_the_message(providers):
    message_id = discord_send(webhook_id=DISCORD_ID, token=DISCORD_TOKEN, text="@everyone payment confirmed")

    (request,) = providers.discord.received
    assert request.path == f"/api/webhooks/{DISCORD_ID}/{DISCORD_TOKEN}"
    assert request.query == {"wait": ["true"]}
    assert request.json == {"content": "@everyone payment confirmed", "allowed_mentions": {"parse": []}}
    assert message_id.startswith("12")


def test_discord_sends_a_file_with_payload_json(providers):
    discord_send(webhook_id=DISCORD_ID, token=DISCORD_TOKEN, text="Invoice", document=PDF)

    (request,) = providers.discord.received
    payload = json.loads(request.fields["payload_json"])
    assert payload["content"] == "Invoice"
    assert payload["attachments"] == [{"id": 0, "filename": PDF.filename}]
    assert request.files["files[0]"].content == PDF.content


def test_discord_rate_limit_reads_retry_after_from_the_body(providers):
    providers.discord.rate_limit_once(retry_after=0.75)

    with pytest.raises(DeliveryError) as caught:
        discord_send(webhook_id=DISCORD_ID, token=DISCORD_TOKEN, text="hello")

    assert (caught.value.retryable, caught.value.retry_after) == (True, 0.75)


def test_discord_unknown_webhook_is_permanent(providers):
    with pytest.raises(DeliveryError) as caught:
        discord_send(webhook_id="1234567890123456000", token=DISCORD_TOKEN, text="hello")

    assert caught.value.retryable is False
    assert caught.value.message == "Discord: Unknown Webhook (code 10015)"


def test_whatsapp_sends_a_text_message_with_the_bearer_token(providers):
    wamid = whatsapp_send(
        token=WHATSAPP_TOKEN, phone_number_id=WHATSAPP_PHONE_ID, recipient=WHATSAPP_RECIPIENT, text="Paid"
    )

    (request,) = providers.whatsapp.received
    assert wamid.startswith("wamid.")
    assert request.path == f"/v21.0/{WHATSAPP_PHONE_ID}/messages"
    assert request.headers["authorization"] == f"Bearer {WHATSAPP_TOKEN}"
    assert request.json == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": WHATSAPP_RECIPIENT,
        "type": "text",
        "text": {"body": "Paid", "preview_url": False},
    }


def test_whatsapp_uploads_the_document_then_sends_it_by_media_id(providers):
    whatsapp_send(
        token=WHATSAPP_TOKEN,
        phone_number_id=WHATSAPP_PHONE_ID,
        recipient=WHATSAPP_RECIPIENT,
        text="Invoice INV-1",
        document=PDF,
    )

    upload, message = providers.whatsapp.received
    assert upload.path == f"/v21.0/{WHATSAPP_PHONE_ID}/media"
    assert upload.fields == {"messaging_product": "whatsapp", "type": "application/pdf"}
    assert upload.files["file"].content == PDF.content
    (media_id,) = providers.whatsapp.media
    assert message.json["type"] == "document"
    assert message.json["document"] == {"id": media_id, "filename": PDF.filename, "caption": "Invoice INV-1"}


def test_whatsapp_throughput_limit_is_retryable_by_its_error_code(providers):
    providers.whatsapp.throughput_limit_once()

    with pytest.raises(DeliveryError) as caught:
        whatsapp_send(
            token=WHATSAPP_TOKEN, phone_number_id=WHATSAPP_PHONE_ID, recipient=WHATSAPP_RECIPIENT, text="x"
        )

    assert caught.value.retryable is True
    assert "130429" in caught.value.message


def test_whatsapp_bad_token_is_permanent_with_the_graph_error(providers):
    with pytest.raises(DeliveryError) as caught:
        whatsapp_send(
            token="EAAGwrongwrongwrongwrongwrong",
            phone_number_id=WHATSAPP_PHONE_ID,
            recipient=WHATSAPP_RECIPIENT,
            text="x",
        )

    assert caught.value.retryable is False
    assert caught.value.status == 401
    assert caught.value.message.startswith("WhatsApp: Invalid OAuth access token")
    assert "code 190" in caught.value.message
