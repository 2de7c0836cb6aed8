"""ASGI entry point: Django (with the tenant middleware) for HTTP, Channels for websockets.

``/r/<code>`` (tracked links) skips Django: ``tracking.redirect`` answers it (see
ARCHITECTURE.md, "The click path").

Every HTTP request passes ``RequestBodyLimitMiddleware`` first: Django's ASGI handler spools a
whole body to disk before any view runs, so oversized bodies (413) and anonymous multipart
uploads to ``/graphql/`` (401) are refused before they are read (see ``core.request_limits``).

Websockets skip Django's middleware, so ``TenantWebsocketMiddleware`` resolves the brand
from the Host header, checks the Origin, loads the session user, and closes unknown hosts
with 4404.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]
for _path in (str(_ROOT / "platform"), str(_ROOT)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

from django.core.asgi import get_asgi_application  # noqa: E402

django_application = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from core.logs import WebsocketConnectionLogMiddleware, WebsocketTenantLogMiddleware  # noqa: E402
from core.request_limits import RequestBodyLimitMiddleware  # noqa: E402
from graphql_schema.consumers import GraphQLWebsocketConsumer  # noqa: E402
from tenants.websocket import TenantWebsocketMiddleware  # noqa: E402
from tracking.redirect import ClickLaneRouter  # noqa: E402

application = ProtocolTypeRouter(
    {
        # /r/<code> (the click path) is a lean ASGI app in front of Django; the rest is Django.
        # Body limits wrap Django only: the click lane answers GETs and never reads a body.
        "http": ClickLaneRouter(RequestBodyLimitMiddleware(django_application)),
        # Log lines of a socket carry its connection id, then its brand and user (core.logs).
        "websocket": WebsocketConnectionLogMiddleware(
            TenantWebsocketMiddleware(
                WebsocketTenantLogMiddleware(
                    URLRouter([path("graphql/", GraphQLWebsocketConsumer.as_asgi())])
                )
            )
        ),
    }
)
