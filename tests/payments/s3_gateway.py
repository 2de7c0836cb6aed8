"""A checking front for moto's S3 server: presigned GETs verified as S3 verifies them.

moto in server mode serves presigned URLs without checking their signature or their expiry, so a
test of "the link stops working" needs what S3 itself does: recompute the Signature Version 4 of
the query (``X-Amz-Algorithm``, ``-Credential``, ``-Date``, ``-Expires``, ``-SignedHeaders``,
``-Signature``) and refuse a request past ``X-Amz-Date + X-Amz-Expires`` with S3's own 403
answer (``AccessDenied``, "Request has expired"), or a wrong signature with
``SignatureDoesNotMatch``. Requests that pass are forwarded to moto unchanged. The gateway binds
127.0.0.1; send it the presigned URL's path and query with the URL's own ``Host`` header.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, urlsplit

import httpx

ERROR = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    "<Error><Code>{code}</Code><Message>{message}</Message><RequestId>0</RequestId></Error>"
)


def _sign(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def expected_signature(
    *, method: str, path: str, query: list[tuple[str, str]], host: str, secret: str
) -> str:
    """SigV4 of a presigned request (payload unsigned, only ``host`` signed)."""
    params = dict(query)
    canonical_query = "&".join(
        f"{quote(name, safe='-_.~')}={quote(value, safe='-_.~')}"
        for name, value in sorted(query)
        if name != "X-Amz-Signature"
    )
    signed_headers = params["X-Amz-SignedHeaders"]
    if signed_headers != "host":
        raise ValueError(f"unexpected signed headers {signed_headers!r}")
    canonical_request = "\n".join(
        [
            method,
            quote(path, safe="/-_.~%"),
            canonical_query,
            f"host:{host}",
            "",
            signed_headers,
            "UNSIGNED-PAYLOAD",
        ]
    )
    _access_key, scope = params["X-Amz-Credential"].split("/", 1)
    day, region, service, _terminal = scope.split("/")
    string_to_sign = "\n".join(
        [
            "AWS4-HMAC-SHA256",
            params["X-Amz-Date"],
            scope,
            hashlib.sha256(canonical_request.encode()).hexdigest(),
        ]
    )
    key = _sign(f"AWS4{secret}".encode(), day)
    for part in (region, service, "aws4_request"):
        key = _sign(key, part)
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


class _Handler(BaseHTTPRequestHandler):
    upstream: str
    secret: str

    def log_message(self, format: str, *args: object) -> None:
        return

    def _refuse(self, code: str, message: str) -> None:
        body = ERROR.format(code=code, message=message).encode()
        self.send_response(403)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = parse_qsl(parts.query, keep_blank_values=True)
        params = dict(query)
        if params.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256":
            self._refuse("AccessDenied", "Only Signature Version 4 query authentication is accepted here")
            return
        signed_at = dt.datetime.strptime(params["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
        if dt.datetime.now(dt.UTC) > signed_at + dt.timedelta(seconds=int(params["X-Amz-Expires"])):
            self._refuse("AccessDenied", "Request has expired")
            return
        expected = expected_signature(
            method="GET", path=parts.path, query=query, host=self.headers["Host"], secret=self.secret
        )
        if not hmac.compare_digest(expected, params.get("X-Amz-Signature", "")):
            self._refuse("SignatureDoesNotMatch", "The request signature we calculated does not match")
            return
        answer = httpx.get(f"{self.upstream}{self.path}", timeout=10)
        self.send_response(answer.status_code)
        for name in ("Content-Type", "Content-Length", "ETag", "Last-Modified"):
            if name in answer.headers:
                self.send_header(name, answer.headers[name])
        self.end_headers()
        self.wfile.write(answer.content)


@contextmanager
def s3_gateway(upstream: str, secret: str) -> Iterator[str]:
    """Run the gateway in front of ``upstream`` (moto); yields its base URL."""
    handler = type("Handler", (_Handler,), {"upstream": upstream.rstrip("/"), "secret": secret})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def fetch(gateway: str, presigned_url: str) -> httpx.Response:
    """GET a presigned URL through the gateway, with the Host the URL was signed for."""
    parts = urlsplit(presigned_url)
    return httpx.get(f"{gateway}{parts.path}?{parts.query}", headers={"Host": parts.netloc}, timeout=10)
