from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.webhooks.receiver import Receiver, receivers


@pytest.fixture
def receiver_factory() -> Iterator[Callable[[], Receiver]]:
    yield from receivers()  # type: ignore[misc]


@pytest.fixture
def receiver(receiver_factory: Callable[[], Receiver]) -> Receiver:
    return receiver_factory()
