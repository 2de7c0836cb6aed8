"""Clients of the three messaging APIs, over the standard library's HTTP client.

Each speaks the provider's real wire format; the base URLs come from settings
(``TELEGRAM_API_BASE``, ``DISCORD_API_BASE``, ``WHATSAPP_API_BASE``) so tests point them at
local fakes. A failed call raises ``DeliveryError``, which says whether trying again later
can help (rate limits, the provider's 5xx, network trouble) and how long the provider asked
to wait.
"""

from __future__ import annotations

import json
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass
from html import escape
from typing import Any

from django.conf import settings

# Provider limits on the length of a message and of a document's caption.
TELEGRAM_TEXT_LIMIT, TELEGRAM_CAPTION_LIMIT = 4096, 1024
DISCORD_CONTENT_LIMIT = 2000
WHATSAPP_TEXT_LIMIT, WHATSAPP_CAPTION_LIMIT = 4096, 1024
# Graph API error codes that mean "slow down" or "try again" (throughput, pair rate,
# application and account request limits, temporary service errors).
WHATSAPP_RETRYABLE_CODES = frozenset({1, 2, 4, 17, 32, 613, 80007, 130429, 131000, 131016, 131056})


@dataclass(frozen=True)
class Document:
    filename: str
    content: bytes
    content_type: str


class DeliveryError(Exception):
    def __init__(
        self, message: str, *, retryable: bool, retry_after: float | None = None, status: int | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.retry_after = retry_after
        self.status = status


@dataclass(frozen=True)
class _Response:
    status: int
    headers: dict[str, str]
    body: Any  # decoded JSON, or None when the body is empty or not JSON


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def multipart_encode(fields: dict[str, str], files: list[tuple[str, Document]]) -> tuple[bytes, str]:
    """A ``multipart/form-data`` body (RFC 7578) and its content type."""
    boundary = f"----afp{secrets.token_hex(16)}"
    parts: list[bytes] = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + value.encode()
            + b"\r\n"
        )
    for name, document in files:
        filename = document.filename.replace('"', "").replace("\r", "").replace("\n", "")
        parts.append(
            (
                f"--{boundary}\r\n"
                f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                f"Content-Type: {document.content_type}\r\n\r\n"
            ).encode()
            + document.content
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _post(
    url: str,
    *,
    json_body: dict[str, Any] | None = None,
    multipart: tuple[bytes, str] | None = None,
    headers: dict[str, str] | None = None,
) -> _Response:
    """POST and return the status and decoded body, whatever the status. Network failures
    are retryable ``DeliveryError``s."""
    request_headers = {"User-Agent": "affiliate-platform-notifications/1", **(headers or {})}
    if multipart is not None:
        data, request_headers["Content-Type"] = multipart
    else:
        data = json.dumps(json_body or {}).encode()
        request_headers["Content-Type"] = "application/json"
    if not url.startswith(("http://", "https://")):
        raise DeliveryError(f"Refusing to call {url!r}.", retryable=False)
    request = urllib.request.Request(url, data=data, headers=request_headers, method="POST")  # noqa: S310
    timeout = float(settings.NOTIFICATIONS_HTTP_TIMEOUT)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            status, raw, response_headers = response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        status, raw, response_headers = error.code, error.read(), dict(error.headers or {})
    except (urllib.error.URLError, OSError) as error:
        raise DeliveryError(f"Network error: {error}", retryable=True) from error
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = None
    return _Response(status=status, headers={k.lower(): v for k, v in response_headers.items()}, body=body)


def _retry_after_header(response: _Response) -> float | None:
    try:
        return float(response.headers["retry-after"])
    except (KeyError, ValueError):
        return None


# --- Telegram Bot API ------------------------------------------------------------------------


def telegram_send(*, token: str, chat_id: str, text: str, document: Document | None = None) -> str:
    """``sendMessage`` (HTML parse mode, the text escaped) or ``sendDocument`` with the text as
    caption. Returns the message id."""
    base = f"{settings.TELEGRAM_API_BASE.rstrip('/')}/bot{token}"
    if document is None:
        response = _post(
            f"{base}/sendMessage",
            json_body={
                "chat_id": chat_id,
                "text": escape(_truncate(text, TELEGRAM_TEXT_LIMIT), quote=False),
                "parse_mode": "HTML",
                "disable_web_page_preview": True,
            },
        )
    else:
        fields = {
            "chat_id": chat_id,
            "caption": escape(_truncate(text, TELEGRAM_CAPTION_LIMIT), quote=False),
            "parse_mode": "HTML",
        }
        response = _post(f"{base}/sendDocument", multipart=multipart_encode(fields, [("document", document)]))
    body: dict[str, Any] = response.body if isinstance(response.body, dict) else {}
    if body.get("ok") is True:
        return str(body.get("result", {}).get("message_id", ""))
    code = int(body.get("error_code") or response.status)
    description = str(body.get("description") or f"HTTP {response.status}")
    if code == 429:
        retry_after = (body.get("parameters") or {}).get("retry_after")
        raise DeliveryError(
            f"Telegram: {description}",
            retryable=True,
            retry_after=float(retry_after) if retry_after is not None else _retry_after_header(response),
            status=429,
        )
    raise DeliveryError(f"Telegram: {description}", retryable=code >= 500, status=code)


def telegram_call(*, token: str, method: str, payload: dict[str, Any]) -> Any:
    """Any Bot API method with a JSON body (``getMe``, ``setWebhook``…); returns its ``result``."""
    response = _post(f"{settings.TELEGRAM_API_BASE.rstrip('/')}/bot{token}/{method}", json_body=payload)
    body: dict[str, Any] = response.body if isinstance(response.body, dict) else {}
    if body.get("ok") is True:
        return body.get("result")
    code = int(body.get("error_code") or response.status)
    description = str(body.get("description") or f"HTTP {response.status}")
    raise DeliveryError(f"Telegram: {description}", retryable=code >= 500 or code == 429, status=code)


# --- Discord webhooks ------------------------------------------------------------------------


def discord_send(*, webhook_id: str, token: str, text: str, document: Document | None = None) -> str:
    """Execute the webhook (``wait=true`` so that Discord answers with the message). Mentions
    are disabled: a brand's text never pings ``@everyone``."""
    url = f"{settings.DISCORD_API_BASE.rstrip('/')}/api/webhooks/{webhook_id}/{token}?wait=true"
    payload: dict[str, Any] = {
        "content": _truncate(text, DISCORD_CONTENT_LIMIT),
        "allowed_mentions": {"parse": []},
    }
    if document is None:
        response = _post(url, json_body=payload)
    else:
        payload["attachments"] = [{"id": 0, "filename": document.filename}]
        response = _post(
            url, multipart=multipart_encode({"payload_json": json.dumps(payload)}, [("files[0]", document)])
        )
    body: dict[str, Any] = response.body if isinstance(response.body, dict) else {}
    if 200 <= response.status < 300:
        return str(body.get("id", ""))
    message = str(body.get("message") or f"HTTP {response.status}")
    if response.status == 429:
        retry_after = body.get("retry_after")
        raise DeliveryError(
            f"Discord: {message}",
            retryable=True,
            retry_after=float(retry_after) if retry_after is not None else _retry_after_header(response),
            status=429,
        )
    code = body.get("code")
    detail = f"Discord: {message}" + (f" (code {code})" if code else "")
    raise DeliveryError(detail, retryable=response.status >= 500, status=response.status)


# --- WhatsApp Cloud API (Graph) --------------------------------------------------------------


def _whatsapp_check(response: _Response) -> dict[str, Any]:
    body: dict[str, Any] = response.body if isinstance(response.body, dict) else {}
    if 200 <= response.status < 300 and "error" not in body:
        return body
    error: dict[str, Any] = body["error"] if isinstance(body.get("error"), dict) else {}
    code = error.get("code")
    message = str(error.get("message") or f"HTTP {response.status}")
    retryable = (
        response.status == 429
        or response.status >= 500
        or bool(error.get("is_transient"))
        or (isinstance(code, int) and code in WHATSAPP_RETRYABLE_CODES)
    )
    trace = error.get("fbtrace_id")
    detail = f"WhatsApp: {message}" + (f" (code {code}, trace {trace})" if code else "")
    raise DeliveryError(
        detail, retryable=retryable, retry_after=_retry_after_header(response), status=response.status
    )


def whatsapp_send(
    *, token: str, phone_number_id: str, recipient: str, text: str, document: Document | None = None
) -> str:
    """A text message, or a document uploaded to ``/media`` first and sent by its media id.
    Returns the ``wamid`` of the message."""
    base = f"{settings.WHATSAPP_API_BASE.rstrip('/')}/{settings.WHATSAPP_API_VERSION}/{phone_number_id}"
    auth = {"Authorization": f"Bearer {token}"}
    message: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": recipient,
    }
    if document is None:
        message.update(type="text", text={"body": _truncate(text, WHATSAPP_TEXT_LIMIT), "preview_url": False})
    else:
        upload = _whatsapp_check(
            _post(
                f"{base}/media",
                multipart=multipart_encode(
                    {"messaging_product": "whatsapp", "type": document.content_type}, [("file", document)]
                ),
                headers=auth,
            )
        )
        media_id = upload.get("id")
        if not media_id:
            raise DeliveryError("WhatsApp: the media upload returned no id.", retryable=True)
        message.update(
            type="document",
            document={
                "id": str(media_id),
                "filename": document.filename,
                "caption": _truncate(text, WHATSAPP_CAPTION_LIMIT),
            },
        )
    body = _whatsapp_check(_post(f"{base}/messages", json_body=message, headers=auth))
    messages = body.get("messages") or [{}]
    return str(messages[0].get("id", ""))
