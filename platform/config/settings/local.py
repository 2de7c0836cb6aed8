"""Development: `make run`."""

from config.settings.base import *  # noqa: F403

DEBUG = True
GRAPHQL_PLAYGROUND = "on"
PUBLIC_URL_SCHEME = "http"
PUBLIC_URL_PORT = "8000"
