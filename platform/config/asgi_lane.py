"""ASGI entry of the click-lane process (``uvicorn config.asgi_lane:application``).

Production runs the lane as a process type of its own, behind the load balancer's ``/r/*``
rule, so that a burst of clicks never queues behind Django requests (and the lane scales on
its own). It serves ``/r/<code>`` (``tracking.redirect``) and answers its liveness probe,
``/healthz``, itself, without Django's request handling: the same path as the web process, so
every target group and container probes alike. It has no ``/readyz``: the lane is built to
keep redirecting with Redis or Postgres down (clicks go to the fallback file), so there is
nothing for a load balancer to wait for. Everything else is a 404.

The web process (``config.asgi``) routes ``/r/`` to the same lane, so one process is enough
for a small deployment.
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

import django  # noqa: E402

django.setup(set_prefix=False)

from core.health import lane_fallback_app  # noqa: E402
from tracking.redirect import ClickLaneRouter  # noqa: E402

application = ClickLaneRouter(lane_fallback_app)
