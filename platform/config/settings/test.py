"""Tests: real PostgreSQL and Redis (see tests/conftest.py), fast hashing, in-memory email."""

import os

from config.settings.base import *  # noqa: F403
from config.settings.base import CACHES, CHANNEL_LAYERS

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
GRAPHQL_PLAYGROUND = "on"
# A run of its own in the shared Redis: tests never see (or clobber) a dev server's keys.
_RUN = os.environ.get("TEST_RUN_ID", str(os.getpid()))
CACHES["default"]["KEY_PREFIX"] = f"test{_RUN}"
CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = f"test{_RUN}"
CELERY_TASK_DEFAULT_QUEUE = f"test{_RUN}"
