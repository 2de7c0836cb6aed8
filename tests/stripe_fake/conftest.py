"""A fake of its own, its clock pinned to a known date, for tests that assert exact amounts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from stripe_fake import FakeStripeServer
from tests.stripe_fixtures import API_KEY, WEBHOOK_SECRET, FakeStripe

JAN_31_2026 = int(datetime(2026, 1, 31, tzinfo=UTC).timestamp())


@pytest.fixture
def pinned_fake() -> Iterator[FakeStripe]:
    server = FakeStripeServer(port=0, frozen_time=True, start_time=JAN_31_2026).start()
    try:
        yield FakeStripe(server, api_key=API_KEY, webhook_secret=WEBHOOK_SECRET)
    finally:
        server.stop()
