"""Live events are published after commit, best effort: Redis away must not fail the write."""

from __future__ import annotations

import logging

import pytest
from django.test import override_settings

from core.events import publish_on_commit

DEAD_REDIS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"], "prefix": "dead"},
    }
}


@pytest.mark.django_db
def test_a_publish_with_redis_away_logs_and_does_not_raise(
    django_capture_on_commit_callbacks, caplog: pytest.LogCaptureFixture
) -> None:
    # given a channel layer whose Redis cannot be reached
    # when a committed change publishes its live event
    with (
        override_settings(CHANNEL_LAYERS=DEAD_REDIS),
        caplog.at_level(logging.WARNING, "core.events"),
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        publish_on_commit(topic="user.1", message_type="credentials.changed", payload={"user_id": 1})
    # then the callback ran, swallowed the connection error and said so
    assert len(callbacks) == 1
    assert "not sent" in caplog.text
