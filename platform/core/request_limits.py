"""Request-body limits enforced in front of Django, in the ASGI stack.

Django's ASGI handler reads a whole request body into a ``SpooledTemporaryFile`` (memory, then
the temporary folder) before any middleware or view runs, with no cap: Django's own
``DATA_UPLOAD_MAX_MEMORY_SIZE`` is checked only later, when a view reads the body. Measured in
an outside attack run: an anonymous 300 MB multipart body was spooled to disk before the
FORBIDDEN answer. So this middleware answers before Django reads anything:

* a body larger than its cap is refused with 413 — at once when ``Content-Length`` says so,
  after at most the cap when it is streamed in chunks (``Transfer-Encoding: chunked``);
* a multipart body sent to ``/graphql/`` without a credential (a session cookie or an
  ``Authorization: Bearer`` header) is refused with 401 before a byte of it is read. Only the
  credential's presence is checked here (cheap, no database); Django validates it as usual,
  and a forged cookie buys at most one capped body;
* a chunked body under the cap is read here and handed to Django with its ``Content-Length``:
  Django's multipart parser reads ``CONTENT_LENGTH`` and sees an empty form without it (the
  "No GraphQL query found" answer to chunked uploads).

Caps (settings): ``REQUEST_BODY_MAX_BYTES`` for every body (default: Django's
``DATA_UPLOAD_MAX_MEMORY_SIZE``, 2.5 MB), ``MULTIPART_BODY_MAX_BYTES`` for multipart bodies
(default: the image cap plus 1 MB of form fields). Answers are JSON in the GraphQL error shape.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from http.cookies import CookieError, SimpleCookie
from typing import Any

from django.conf import settings

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
# Loose on receive/send, as tracking.redirect's: Django's handler types them with Mapping.
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]

GRAPHQL_PATH = "/graphql/"


def body_limits() -> tuple[int, int]:
    """(every body, multipart bodies), in bytes; read per request so settings overrides apply."""
    return int(settings.REQUEST_BODY_MAX_BYTES), int(settings.MULTIPART_BODY_MAX_BYTES)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0")


def _has_credential(headers: dict[bytes, bytes]) -> bool:
    if headers.get(b"authorization", b"")[:7].lower() == b"bearer ":
        return True
    try:
        cookies = SimpleCookie(headers.get(b"cookie", b"").decode("latin-1"))
    except CookieError:
        return False
    session = cookies.get(settings.SESSION_COOKIE_NAME)
    return bool(session and session.value)


async def _answer(send: Send, status: int, code: str, message: str) -> None:
    body = json.dumps({"errors": [{"message": message, "extensions": {"code": code}}]}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                # The rest of the body is not read: the connection cannot be reused.
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _too_large(send: Send, limit: int) -> None:
    await _answer(
        send,
        413,
        "PAYLOAD_TOO_LARGE",
        f"The request body is larger than this endpoint accepts ({_megabytes(limit)} MB at most).",
    )


class RequestBodyLimitMiddleware:
    """Wraps the HTTP application (see the module docstring)."""

    _asgi_single_callable = True

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {name.lower(): value for name, value in scope["headers"]}
        content_type = headers.get(b"content-type", b"").split(b";", 1)[0].strip().lower()
        multipart = content_type == b"multipart/form-data"
        any_body, multipart_body = body_limits()
        limit = multipart_body if multipart else any_body
        if multipart and scope["path"] == GRAPHQL_PATH and not _has_credential(headers):
            await _answer(
                send,
                401,
                "UNAUTHENTICATED",
                "Sign in (session cookie or Authorization: Bearer <API token>) to upload files.",
            )
            return
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                length = int(declared)
            except ValueError:
                await _answer(send, 400, "BAD_REQUEST", "Content-Length is not a number.")
                return
            if length > limit:
                await _too_large(send, limit)
                return
            await self.app(scope, receive, send)
            return
        await self._buffered(scope, receive, send, limit)

    async def _buffered(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        """A body of unknown length (chunked): read it up to the cap, then hand it to Django
        with its Content-Length (at most ``limit`` bytes are held, as Django would spool)."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _too_large(send, limit)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if body:
            kept = [(name, value) for name, value in scope["headers"] if name.lower() != b"transfer-encoding"]
            scope = {**scope, "headers": [*kept, (b"content-length", str(len(body)).encode())]}
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
