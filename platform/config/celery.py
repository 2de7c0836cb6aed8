"""The Celery app. Tenant-aware: a task runs in the schema that was current when it was sent
(tenant-schemas-celery stamps it in the message headers)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]
for _path in (str(_ROOT / "platform"), str(_ROOT)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

from tenant_schemas_celery.app import CeleryApp  # noqa: E402

app = CeleryApp("platform")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
