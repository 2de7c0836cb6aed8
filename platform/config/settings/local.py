"""Development: `make run`."""

import os

from config.env import public_url_parts
from config.settings.base import *  # noqa: F403

DEBUG = True
GRAPHQL_PLAYGROUND = "on"
# URLs carry the port the server listens on (`PORT=8123 make run` emits only :8123 URLs).
PUBLIC_URL_SCHEME, PUBLIC_URL_PORT = public_url_parts(
    default_scheme="http", default_port=os.environ.get("PORT", "8000")
)
# Every email lands in a local inbox, http://localhost:<PORT>/_dev/mail/ (devstack.devmail);
# EMAIL_BACKEND in the environment still wins (e.g. an SMTP catcher of your own).
DEV_MAIL_DIR = PROJECT_ROOT / "var" / "mail"  # noqa: F405
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "devstack.devmail.DevMailBackend")
# Webhook receivers on this machine (http://127.0.0.1:…) are allowed here only.
WEBHOOKS_ALLOW_HTTP = True
WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
