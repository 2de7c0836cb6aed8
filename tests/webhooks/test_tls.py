"""HTTPS to the checked address: the connection goes to the IP the name resolved to, while TLS
sends the name as SNI and checks the certificate against it (a receiver with a certificate for
another name is refused)."""

from __future__ import annotations

import datetime as dt
import ssl
import threading
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django_tenants.utils import tenant_context

from core.events import emit
from tenants.models import Tenant
from webhooks import services, transport

NAME = "hooks.integrator.test"


def _certificate(tmp_path: Path, name: str) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


@pytest.fixture
def https_receiver(tmp_path: Path) -> Iterator[Any]:
    servers: list[ThreadingHTTPServer] = []

    def start(certificate_name: str) -> tuple[int, Path, list[tuple[str | None, dict[str, str]]]]:
        cert_path, key_path = _certificate(tmp_path, certificate_name)
        seen: list[tuple[str | None, dict[str, str]]] = []
        server_names: list[str | None] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                seen.append((server_names[-1] if server_names else None, dict(self.headers.items())))
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_path, key_path)
        context.sni_callback = lambda sock, server_name, ctx: server_names.append(server_name)
        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server.server_address[1], cert_path, seen

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


WITHDRAWAL = {
    "withdrawal_id": 7,
    "affiliate_id": 3,
    "amount": Decimal("1.00"),
    "currency": "EUR",
    "method": "paypal",
    "status": "requested",
}


def _deliver(brand: Tenant, url: str) -> Any:
    with tenant_context(brand):
        services.endpoint_create(actor=None, url=url, event_types=["withdrawal.requested"])
        [delivery_id] = services.deliveries_create(emit("withdrawal.requested", WITHDRAWAL))
        return services.delivery_attempt(delivery_id=delivery_id)


def test_https_goes_to_the_checked_address_with_the_name_as_sni_and_certificate(
    brand_a: Tenant, https_receiver: Any, settings: Any, monkeypatch: Any
) -> None:
    port, cert_path, seen = https_receiver(NAME)
    settings.WEBHOOKS_CA_BUNDLE = str(cert_path)
    monkeypatch.setattr(transport, "resolve", lambda host, port: ["127.0.0.1"])
    attempt = _deliver(brand_a, f"https://{NAME}:{port}/hooks")
    assert attempt.error == ""
    assert attempt.is_success
    assert attempt.response_status_code == 204
    [(server_name, headers)] = seen
    assert server_name == NAME
    assert headers["Host"] == f"{NAME}:{port}"


def test_a_certificate_for_another_name_is_refused(
    brand_a: Tenant, https_receiver: Any, settings: Any, monkeypatch: Any
) -> None:
    port, cert_path, seen = https_receiver("somewhere.else.test")
    settings.WEBHOOKS_CA_BUNDLE = str(cert_path)
    monkeypatch.setattr(transport, "resolve", lambda host, port: ["127.0.0.1"])
    attempt = _deliver(brand_a, f"https://{NAME}:{port}/hooks")
    assert not attempt.is_success
    assert attempt.error.startswith("CONNECTION_ERROR")
    assert "certificate" in attempt.error.lower() or "hostname" in attempt.error.lower()
    assert seen == []
