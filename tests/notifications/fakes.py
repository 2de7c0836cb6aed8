"""Local stand-ins for the Telegram Bot API, Discord webhooks and the WhatsApp Cloud API.

Each is a real HTTP server on 127.0.0.1 (a thread) that checks requests as the provider does
(path, token, JSON or multipart fields) and answers with the provider's response shapes,
including its error and rate-limit bodies. ``fail_next`` queues canned error answers (a 429
once, a 5xx…) served before the normal handling.
"""

from __future__ import annotations

import email.parser
import email.policy
import itertools
import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class FilePart:
    filename: str
    content_type: str
    content: bytes


@dataclass
class Received:
    """One request as the fake understood it."""

    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    json: Any = None
    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, FilePart] = field(default_factory=dict)
    at: float = 0.0


class BadRequest(Exception):
    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        super().__init__(body)
        self.status, self.body, self.headers = status, body, headers or {}


def parse_multipart(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, FilePart]]:
    """RFC 7578 form data, parsed with the standard library's MIME parser."""
    if not content_type.startswith("multipart/form-data") or "boundary=" not in content_type:
        raise ValueError("not multipart/form-data")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    if not message.is_multipart():
        raise ValueError("no parts")
    fields: dict[str, str] = {}
    files: dict[str, FilePart] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is not None:
            files[str(name)] = FilePart(filename, part.get_content_type(), payload)
        else:
            fields[str(name)] = payload.decode()
    return fields, files


class FakeApi:
    """Base: a threaded HTTP server that records requests and dispatches POSTs to ``handle``."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.fail_next: list[tuple[int, dict[str, Any], dict[str, str]]] = []
        self.lock = threading.Lock()
        self._ids = itertools.count(1)
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                api._serve(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def next_id(self) -> int:
        return next(self._ids)

    def start(self) -> FakeApi:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def _serve(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length)
        url = urlsplit(request.path)
        received = Received(
            path=url.path,
            query=parse_qs(url.query),
            headers={k.lower(): v for k, v in request.headers.items()},
            at=time.monotonic(),
        )
        content_type = received.headers.get("content-type", "")
        try:
            if content_type.startswith("application/json"):
                received.json = json.loads(body)
            elif content_type.startswith("multipart/form-data"):
                received.fields, received.files = parse_multipart(content_type, body)
        except ValueError:
            pass  # handle() refuses what it cannot read, as the provider would
        with self.lock:
            self.received.append(received)
            failure = self.fail_next.pop(0) if self.fail_next else None
        if failure is not None:
            status, answer, headers = failure
        else:
            try:
                status, answer, headers = 200, self.handle(received), {}
            except BadRequest as error:
                status, answer, headers = error.status, error.body, error.headers
        raw = json.dumps(answer).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(raw)))
        for name, value in headers.items():
            request.send_header(name, value)
        request.end_headers()
        request.wfile.write(raw)

    def handle(self, request: Received) -> dict[str, Any]:
        raise NotImplementedError


class FakeTelegram(FakeApi):
    """``/bot<token>/sendMessage`` and ``/bot<token>/sendDocument``."""

    PATH = re.compile(r"^/bot(?P<token>[^/]+)/(?P<method>\w+)$")

    def __init__(self) -> None:
        super().__init__()
        self.tokens: set[str] = set()
        self.chats: set[str] = set()
        self.bot_username = "AlphaNotifierBot"
        self.webhooks: dict[str, tuple[str, str]] = {}  # bot token -> (url, secret token)
        self._update_ids = itertools.count(100000001)

    def start_update(self, *, user_id: int, username: str, text: str) -> dict[str, Any]:
        """The update Telegram sends a bot when a user writes ``text`` (e.g. ``/start <token>``)
        in their private chat with it; the user's id is the chat's id."""
        command = text.split(" ", 1)[0]
        return {
            "update_id": next(self._update_ids),
            "message": {
                "message_id": self.next_id(),
                "from": {
                    "id": user_id,
                    "is_bot": False,
                    "first_name": "Ana",
                    "username": username,
                    "language_code": "en",
                },
                "chat": {"id": user_id, "first_name": "Ana", "username": username, "type": "private"},
                "date": int(time.time()),
                "text": text,
                "entities": [{"offset": 0, "length": len(command), "type": "bot_command"}]
                if text.startswith("/")
                else [],
            },
        }

    def user_starts_bot(self, token: str, *, user_id: int, username: str, text: str) -> tuple[int, Any]:
        """As Telegram does: the user may now be written to, and the update is posted to the
        bot's webhook with its secret token. Returns the webhook's status and JSON answer (a Bot
        API call Telegram would run). A ``*.localhost`` host is reached on 127.0.0.1."""
        import urllib.error
        import urllib.request

        url, secret = self.webhooks[token]
        self.chats.add(str(user_id))
        parts = urlsplit(url)
        target = url
        headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret}
        if parts.hostname and parts.hostname.endswith(".localhost"):
            target = url.replace(parts.netloc, f"127.0.0.1:{parts.port or 80}", 1)
            headers["Host"] = parts.netloc
        body = json.dumps(self.start_update(user_id=user_id, username=username, text=text)).encode()
        request = urllib.request.Request(target, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                raw, status = response.read(), response.status
        except urllib.error.HTTPError as error:
            raw, status = error.read(), error.code
        return status, json.loads(raw) if raw else None

    @staticmethod
    def error(code: int, description: str, **extra: Any) -> BadRequest:
        return BadRequest(code, {"ok": False, "error_code": code, "description": description, **extra})

    def rate_limit_once(self, retry_after: int = 1) -> None:
        self.fail_next.append(
            (
                429,
                {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {retry_after}",
                    "parameters": {"retry_after": retry_after},
                },
                {"Retry-After": str(retry_after)},
            )
        )

    def handle(self, request: Received) -> dict[str, Any]:
        match = self.PATH.match(request.path)
        if match is None:
            raise self.error(404, "Not Found")
        if match["token"] not in self.tokens:
            raise self.error(401, "Unauthorized")
        method = match["method"]
        if method == "getMe":
            return {
                "ok": True,
                "result": {
                    "id": int(match["token"].split(":")[0]),
                    "is_bot": True,
                    "first_name": "Notifier",
                    "username": self.bot_username,
                    "can_join_groups": True,
                    "can_read_all_group_messages": False,
                    "supports_inline_queries": False,
                },
            }
        if method == "setWebhook":
            payload = request.json if isinstance(request.json, dict) else {}
            url = str(payload.get("url", ""))
            secret = str(payload.get("secret_token", ""))
            if not url.startswith(("https://", "http://")):
                raise self.error(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
            if secret and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
                raise self.error(400, "Bad Request: secret token contains unallowed characters")
            self.webhooks[match["token"]] = (url, secret)
            return {"ok": True, "result": True, "description": "Webhook was set"}
        if method == "sendMessage":
            payload = request.json
            if not isinstance(payload, dict):
                raise self.error(400, "Bad Request: message text is empty")
            chat_id, text = str(payload.get("chat_id", "")), payload.get("text") or ""
            if not text:
                raise self.error(400, "Bad Request: message text is empty")
            if len(text) > 4096:
                raise self.error(400, "Bad Request: message is too long")
            extra: dict[str, Any] = {"text": text}
        elif method == "sendDocument":
            if "document" not in request.files:
                raise self.error(400, "Bad Request: there is no document in the request")
            chat_id = request.fields.get("chat_id", "")
            document = request.files["document"]
            if len(request.fields.get("caption", "")) > 1024:
                raise self.error(400, "Bad Request: message caption is too long")
            extra = {
                "caption": request.fields.get("caption", ""),
                "document": {
                    "file_id": f"BQACAgQAAx{self.next_id()}",
                    "file_unique_id": f"AgAD{self.next_id()}",
                    "file_name": document.filename,
                    "mime_type": document.content_type,
                    "file_size": len(document.content),
                },
            }
        else:
            raise self.error(404, "Not Found: method not found")
        parse_mode = (
            (request.json or {}).get("parse_mode") if request.json else request.fields.get("parse_mode")
        )
        if parse_mode not in (None, "HTML", "MarkdownV2", "Markdown"):
            raise self.error(400, f"Bad Request: unsupported parse_mode {parse_mode}")
        if chat_id not in self.chats:
            raise self.error(400, "Bad Request: chat not found")
        return {
            "ok": True,
            "result": {
                "message_id": self.next_id(),
                "from": {"id": int(match["token"].split(":")[0]), "is_bot": True, "first_name": "Notifier"},
                "chat": {"id": chat_id, "type": "supergroup", "title": "Team"},
                "date": int(time.time()),
                **extra,
            },
        }


class FakeDiscord(FakeApi):
    """``/api/webhooks/<id>/<token>`` (execute webhook)."""

    PATH = re.compile(r"^/api(?:/v\d+)?/webhooks/(?P<id>\d+)/(?P<token>[^/]+)$")

    def __init__(self) -> None:
        super().__init__()
        self.webhooks: dict[str, str] = {}  # id -> token

    def rate_limit_once(self, retry_after: float = 0.5) -> None:
        self.fail_next.append(
            (
                429,
                {"message": "You are being rate limited.", "retry_after": retry_after, "global": False},
                {"Retry-After": str(max(1, round(retry_after))), "X-RateLimit-Scope": "shared"},
            )
        )

    def handle(self, request: Received) -> dict[str, Any]:
        match = self.PATH.match(request.path)
        if match is None:
            raise BadRequest(404, {"message": "404: Not Found", "code": 0})
        token = self.webhooks.get(match["id"])
        if token is None:
            raise BadRequest(404, {"message": "Unknown Webhook", "code": 10015})
        if token != match["token"]:
            raise BadRequest(401, {"message": "Invalid Webhook Token", "code": 50027})
        attachments: list[dict[str, Any]] = []
        if request.json is not None:
            payload = request.json
        elif "payload_json" in request.fields:
            payload = json.loads(request.fields["payload_json"])
            for index, (name, part) in enumerate(sorted(request.files.items())):
                if not re.fullmatch(r"files\[\d+\]", name):
                    raise BadRequest(400, {"message": "Invalid Form Body", "code": 50035})
                attachments.append(
                    {
                        "id": str(900000000000000000 + self.next_id()),
                        "filename": part.filename,
                        "size": len(part.content),
                        "content_type": part.content_type,
                        "url": f"https://cdn.example.invalid/attachments/{index}/{part.filename}",
                    }
                )
        else:
            raise BadRequest(400, {"message": "Cannot send an empty message", "code": 50006})
        content = payload.get("content") or ""
        if not content and not attachments:
            raise BadRequest(400, {"message": "Cannot send an empty message", "code": 50006})
        if len(content) > 2000:
            raise BadRequest(
                400,
                {
                    "message": "Invalid Form Body",
                    "code": 50035,
                    "errors": {"content": {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH"}]}},
                },
            )
        return {
            "id": str(1200000000000000000 + self.next_id()),
            "type": 0,
            "content": content,
            "channel_id": "1100000000000000001",
            "webhook_id": match["id"],
            "attachments": attachments,
            "mentions": [],
            "timestamp": "2026-11-22T10:00:00.000000+00:00",
        }


class FakeWhatsApp(FakeApi):
    """``/<version>/<phone_number_id>/media`` and ``/<version>/<phone_number_id>/messages``."""

    PATH = re.compile(r"^/(?P<version>v\d+\.\d+)/(?P<phone>[^/]+)/(?P<edge>media|messages)$")

    def __init__(self) -> None:
        super().__init__()
        self.tokens: set[str] = set()
        self.phone_number_ids: set[str] = set()
        self.media: dict[str, FilePart] = {}

    def _trace(self) -> str:
        return f"A{self.next_id():09d}xYz"

    def error(self, status: int, code: int, message: str, kind: str = "OAuthException") -> BadRequest:
        return BadRequest(
            status, {"error": {"message": message, "type": kind, "code": code, "fbtrace_id": self._trace()}}
        )

    def throughput_limit_once(self) -> None:
        self.fail_next.append(
            (
                400,
                {
                    "error": {
                        "message": "(#130429) Rate limit hit",
                        "type": "OAuthException",
                        "code": 130429,
                        "error_data": {
                            "messaging_product": "whatsapp",
                            "details": "Cloud API message throughput has been reached.",
                        },
                        "fbtrace_id": "AthrottleXyZ",
                    }
                },
                {},
            )
        )

    def handle(self, request: Received) -> dict[str, Any]:
        match = self.PATH.match(request.path)
        if match is None:
            raise self.error(400, 2500, "Unknown path components", "OAuthException")
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer ") or auth.removeprefix("Bearer ") not in self.tokens:
            raise self.error(401, 190, "Invalid OAuth access token - Cannot parse access token")
        if match["phone"] not in self.phone_number_ids:
            raise self.error(
                400,
                100,
                f"Unsupported post request. Object with ID '{match['phone']}' does not exist, cannot be "
                "loaded due to missing permissions, or does not support this operation.",
                "GraphMethodException",
            )
        if match["edge"] == "media":
            if request.fields.get("messaging_product") != "whatsapp":
                raise self.error(400, 100, "(#100) The parameter messaging_product is required.")
            part = request.files.get("file")
            if part is None or not request.fields.get("type"):
                raise self.error(400, 100, "(#100) The parameter file is required.")
            media_id = str(1013859600285441 + self.next_id())
            self.media[media_id] = part
            return {"id": media_id}
        message = request.json
        if not isinstance(message, dict) or message.get("messaging_product") != "whatsapp":
            raise self.error(400, 100, "(#100) The parameter messaging_product is required.")
        to = str(message.get("to", ""))
        if not re.fullmatch(r"\+?[1-9]\d{6,14}", to):
            raise self.error(400, 100, "(#100) Invalid parameter", "OAuthException")
        kind = message.get("type")
        if kind == "text":
            if not (message.get("text") or {}).get("body"):
                raise self.error(400, 100, "(#100) The parameter text['body'] is required.")
        elif kind == "document":
            media_id = (message.get("document") or {}).get("id")
            if media_id not in self.media:
                raise self.error(400, 131053, "(#131053) Media upload error")
        else:
            raise self.error(400, 100, f"(#100) Param type must be one of ... got {kind}")
        return {
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": to.lstrip("+")}],
            "messages": [{"id": f"wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI{self.next_id():06d}"}],
        }


@dataclass
class Providers:
    telegram: FakeTelegram
    discord: FakeDiscord
    whatsapp: FakeWhatsApp

    def all_received(self) -> list[Received]:
        return [*self.telegram.received, *self.discord.received, *self.whatsapp.received]


@contextmanager
def running_fakes() -> Iterator[Providers]:
    fakes = Providers(FakeTelegram().start(), FakeDiscord().start(), FakeWhatsApp().start())
    try:
        yield fakes
    finally:
        for fake in (fakes.telegram, fakes.discord, fakes.whatsapp):
            fake.stop()
