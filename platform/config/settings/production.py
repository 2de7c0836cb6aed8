"""Production: everything comes from the environment; nothing embedded."""

import os

from config.settings.base import *  # noqa: F403

DEBUG = False
SECRET_KEY = os.environ["SECRET_KEY"]
if "DATABASE_URL" not in os.environ or "REDIS_URL" not in os.environ:
    raise RuntimeError("production needs DATABASE_URL and REDIS_URL")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
GRAPHQL_PLAYGROUND = os.environ.get("GRAPHQL_PLAYGROUND", "authenticated")
