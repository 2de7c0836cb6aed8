"""Tests: real PostgreSQL and Redis (see tests/conftest.py), fast hashing, in-memory email."""

import os
import socket

from config.settings.base import *  # noqa: F403
from config.settings.base import CACHES, CHANNEL_LAYERS, DATABASES, STORAGES


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
GRAPHQL_PLAYGROUND = "on"
# A run of its own in the shared Redis: tests never see (or clobber) a dev server's keys.
_RUN = os.environ.get("TEST_RUN_ID", str(os.getpid()))
CACHES["default"]["KEY_PREFIX"] = f"test{_RUN}"
CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = f"test{_RUN}"
CELERY_TASK_DEFAULT_QUEUE = f"test{_RUN}"
# A test database of its own too, so that two runs on one server never collide.
DATABASES["default"]["TEST"] = {"NAME": f"test_afp_{_RUN}"}

# S3 is moto in server mode on 127.0.0.1, started by tests/conftest.py on this port.
TEST_S3_PORT = int(os.environ.setdefault("TEST_S3_PORT", str(_free_port())))
AWS_STORAGE_BUCKET_NAME = "test-media"
AWS_S3_ENDPOINT_URL = f"http://127.0.0.1:{TEST_S3_PORT}"
AWS_ACCESS_KEY_ID = "testing"
AWS_SECRET_ACCESS_KEY = "testing"
STORAGES["default"]["BACKEND"] = "core.storage.TenantS3Storage"
# The whole suite talks to the API from 127.0.0.1: limits are set per brand where tested.
API_RATE_LIMIT_PER_TOKEN = API_RATE_LIMIT_PER_USER = API_RATE_LIMIT_PER_IP = 1_000_000
# Webhook receivers on this machine (http://127.0.0.1:…) are allowed here only.
WEBHOOKS_ALLOW_HTTP = True
WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
