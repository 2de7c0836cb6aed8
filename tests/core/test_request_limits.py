"""Request bodies are capped in front of Django (whose ASGI handler spools a whole body to a
temporary file before any view runs): an oversized body, declared or streamed in chunks, is
answered 413 after reading at most the cap; a multipart upload to /graphql/ without a session or
a Bearer token is answered 401 before any of its body is read. A chunked upload under the cap
works like one with a Content-Length."""

from __future__ import annotations

import json
import select
import socket
import time
from collections.abc import Iterator

import httpx
import pytest
from django_tenants.utils import tenant_context

from marketplace.models import ProductImage
from tests.conftest import domain_of
from tests.marketplace.builders import UPLOAD, image_bytes, make_merchant, make_product

pytestmark = pytest.mark.live

MB = 1024 * 1024
HUGE = 50 * MB
BOUNDARY = "----limits7MA4YWxkTrZu0gW"
CHUNK = 64 * 1024


def _multipart_parts(product_id: int, file_size: int) -> tuple[bytes, Iterator[bytes], bytes]:
    """The GraphQL multipart request of the spec with a ``file_size``-byte file made on the fly."""
    operations = {"query": UPLOAD, "variables": {"p": str(product_id), "f": None, "a": ""}}
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{json.dumps(operations)}\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="map"\r\n\r\n{json.dumps({"0": ["variables.f"]})}\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="0"; filename="big.png"\r\n'
        "Content-Type: image/png\r\n\r\n"
    ).encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()

    def filler() -> Iterator[bytes]:
        left = file_size
        while left > 0:
            yield b"\0" * min(CHUNK, left)
            left -= CHUNK

    return head, filler(), tail


def _raw_post(
    port: int,
    host: str,
    body: Iterator[bytes],
    *,
    length: int | None,
    headers: dict[str, str],
    timeout: float = 8,
) -> tuple[int, dict, int, float]:  # type: ignore[type-arg]
    """POST /graphql/ on a raw socket, sending the body while watching for an early answer.

    Returns the status, the JSON answer, how many body bytes had been sent when the answer came
    (the server read at most that), and the seconds it took.
    """
    lines = [
        "POST /graphql/ HTTP/1.1",
        f"Host: {host}",
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}",
    ]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines.append(f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked")
    started = time.monotonic()
    sock = socket.create_connection(("127.0.0.1", port))
    sock.settimeout(0.2)
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    sent = 0
    pending = b""
    body_iter = iter(body)
    finished = False
    while time.monotonic() - started < timeout:
        readable, _, _ = select.select([sock], [], [], 0)
        if readable:
            break
        if not pending:
            chunk = next(body_iter, None)
            if chunk is None:
                if length is None and not finished:
                    pending, finished = b"0\r\n\r\n", True
                else:
                    select.select([sock], [], [], timeout - (time.monotonic() - started))
                    break
            else:
                pending = chunk if length is not None else b"%x\r\n%s\r\n" % (len(chunk), chunk)
        try:
            count = sock.send(pending)
        except TimeoutError:
            continue
        except OSError:
            break
        pending = pending[count:]
        sent += count
    answer = b""
    sock.settimeout(max(0.5, timeout - (time.monotonic() - started)))
    try:
        while b"\r\n\r\n" not in answer or len(answer.split(b"\r\n\r\n", 1)[1]) < _declared(answer):
            data = sock.recv(65536)
            if not data:
                break
            answer += data
    except (TimeoutError, OSError):
        pass
    sock.close()
    elapsed = time.monotonic() - started
    if not answer:
        return 0, {}, sent, elapsed
    head, _, payload = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(payload or b"{}"), sent, elapsed


def _declared(answer: bytes) -> int:
    for line in answer.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return 0


@pytest.fixture
def seller(live_brands, live_client):
    brand, _ = live_brands
    merchant = make_merchant(brand)
    with tenant_context(brand):
        product = make_product(merchant)
    browser = live_client(brand)
    browser.login(merchant.email)
    token = browser.csrf_token()
    headers = {"Cookie": browser.cookie_header(), "X-CSRFToken": token}
    return brand, product, browser, headers


def _huge(product_id: int) -> tuple[Iterator[bytes], int]:
    head, filler, tail = _multipart_parts(product_id, HUGE)

    def body() -> Iterator[bytes]:
        yield head
        yield from filler
        yield tail

    return body(), len(head) + HUGE + len(tail)


def test_an_anonymous_multipart_upload_is_refused_before_its_body_is_read(live_brands, live_server_port):
    brand, _ = live_brands
    body, length = _huge(1)

    status, answer, sent, elapsed = _raw_post(
        live_server_port, domain_of(brand), body, length=length, headers={}
    )

    assert status == 401, answer
    assert answer["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert sent < 20 * MB  # the answer came long before the 50 MB were sent
    assert elapsed < 5


def test_a_declared_oversized_upload_is_refused_at_once(seller, live_server_port):
    brand, product, _, headers = seller
    body, length = _huge(product.pk)

    status, answer, sent, elapsed = _raw_post(
        live_server_port, domain_of(brand), body, length=length, headers=headers
    )

    assert status == 413, answer
    error = answer["errors"][0]
    assert error["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert "MB" in error["message"]
    assert sent < 20 * MB
    assert elapsed < 5


def test_a_chunked_oversized_upload_is_cut_at_the_cap(seller, live_server_port, settings):
    brand, product, _, headers = seller
    body, _ = _huge(product.pk)

    status, answer, sent, elapsed = _raw_post(
        live_server_port, domain_of(brand), body, length=None, headers=headers
    )

    assert status == 413, answer
    assert answer["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert sent < 20 * MB
    assert elapsed < 5


def test_an_oversized_json_body_is_refused(live_brands, live_client):
    brand, _ = live_brands
    answer = live_client(brand).http.post(
        "/graphql/",
        content=b'{"query": "{ __typename }", "padding": "' + b"x" * (4 * MB) + b'"}',
        headers={"Content-Type": "application/json"},
    )

    assert answer.status_code == 413
    assert answer.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


def test_a_chunked_upload_under_the_cap_works(seller):
    brand, product, browser, headers = seller
    operations = {"query": UPLOAD, "variables": {"p": str(product.pk), "f": None, "a": "chunked"}}
    encoded = httpx.Request(
        "POST",
        "http://x/graphql/",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.f"]})},
        files={"0": ("photo.jpg", image_bytes(), "image/jpeg")},
    )
    content = encoded.read()

    def stream() -> Iterator[bytes]:  # no length known in advance: Transfer-Encoding: chunked
        for start in range(0, len(content), 4096):
            yield content[start : start + 4096]

    answer = browser.http.post(
        "/graphql/",
        content=stream(),
        headers={"Content-Type": encoded.headers["Content-Type"], "X-CSRFToken": headers["X-CSRFToken"]},
    )

    assert answer.status_code == 200, answer.text
    result = answer.json()["data"]["productImageUpload"]
    assert result["errors"] == []
    assert result["image"]["altText"] == "chunked"
    with tenant_context(brand):
        assert ProductImage.objects.filter(product=product).count() == 1
