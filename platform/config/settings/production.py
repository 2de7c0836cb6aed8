"""Production: everything comes from the environment; nothing embedded."""

import os

from config.settings.base import *  # noqa: F403
from config.settings.base import LOG_LEVEL, LOG_REQUESTS
from core.logs import logging_config

DEBUG = False
SECRET_KEY = os.environ["SECRET_KEY"]
if "DATABASE_URL" not in os.environ or "REDIS_URL" not in os.environ:
    raise RuntimeError("production needs DATABASE_URL and REDIS_URL")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# HSTS: a year, brand subdomains included (they share the wildcard certificate). Preload is off
# by default: once on the browsers' preload list, leaving HTTPS takes months to undo.
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = os.environ.get("SECURE_HSTS_INCLUDE_SUBDOMAINS", "1") == "1"
SECURE_HSTS_PRELOAD = os.environ.get("SECURE_HSTS_PRELOAD", "0") == "1"
GRAPHQL_PLAYGROUND = os.environ.get("GRAPHQL_PLAYGROUND", "authenticated")
# One JSON object per line for the log pipeline (core.logs); LOG_FORMAT=console to read by eye.
LOGGING = logging_config(
    log_format=os.environ.get("LOG_FORMAT", "json"), level=LOG_LEVEL, access_lines=LOG_REQUESTS
)
