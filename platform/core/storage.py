"""File storage whose every key starts with the current brand's schema: ``<schema>/<name>``.

The prefix is read from the connection at each call, so a brand can neither list nor open
another brand's files, and a name that tries to climb out (``../brand_x/...``) is refused
by the backends' own safe joins.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from storages.backends.s3 import S3Storage

from core.tenancy import current_schema


def tenant_prefix() -> str:
    return current_schema()


class TenantS3Storage(S3Storage):
    """S3 (or any S3-compatible endpoint) under ``<bucket>/<location>/<schema>/``."""

    @property
    def location(self) -> str:
        return "/".join(part for part in (self._base_location, tenant_prefix()) if part)

    @location.setter
    def location(self, value: str) -> None:
        self._base_location = value.strip("/")


class TenantFileSystemStorage(FileSystemStorage):
    """Local disk (development) under ``MEDIA_ROOT/<schema>/``."""

    @property
    def location(self) -> str:
        return os.path.abspath(os.path.join(str(self.base_location), tenant_prefix()))

    @property
    def base_url(self) -> str:
        return f"{settings.MEDIA_URL}{tenant_prefix()}/"
