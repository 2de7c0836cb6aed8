"""Custom-domain checks resolve through a local DNS server (tests.dns_server)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.dns_server import LocalDnsServer
from tests.tracking.conftest import committed, lane_factory, prefix  # noqa: F401 (fixtures)


@pytest.fixture(scope="session")
def dns_server() -> Iterator[LocalDnsServer]:
    server = LocalDnsServer()
    yield server
    server.close()


@pytest.fixture
def dns(dns_server: LocalDnsServer, settings: Any) -> Iterator[LocalDnsServer]:
    """The checks ask the local server only; this test's records are forgotten afterwards."""
    settings.CUSTOM_DOMAIN_DNS_NAMESERVERS = ["127.0.0.1"]
    settings.CUSTOM_DOMAIN_DNS_PORT = dns_server.port
    settings.CUSTOM_DOMAIN_CHECK_TIMEOUT_SECONDS = 2.0
    settings.CUSTOM_DOMAIN_CHECK_MIN_INTERVAL_SECONDS = 0
    settings.CUSTOM_DOMAIN_FETCH_ALLOWED_NETWORKS = []
    dns_server.records.clear()
    yield dns_server
    dns_server.records.clear()
