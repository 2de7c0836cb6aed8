"""Short-lived download links of data exports, as for invoices: presigned on S3; on local disk
(development) a signed, expiring path on the brand's host served by ``privacy.views``."""

from __future__ import annotations

import time
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.core.files.storage import default_storage

from core.storage import TenantFileSystemStorage
from core.tenancy import current_schema
from privacy.models import DataExport, ExportStatus

EXPORT_LINK_SALT = "privacy.export-download"


class ExportLinkInvalidError(Exception):
    """Not a link this brand signed for this export."""


class ExportLinkExpiredError(Exception):
    """A genuine link whose time is up."""


def export_download_url(export: DataExport, seconds: int | None = None) -> str:
    if export.status != ExportStatus.READY or not export.file_key:
        return ""
    expire = seconds or settings.PRIVACY_EXPORT_LINK_SECONDS
    if isinstance(default_storage, TenantFileSystemStorage):
        token = signing.dumps(
            {"schema": current_schema(), "export": export.pk, "expires": int(time.time()) + expire},
            salt=EXPORT_LINK_SALT,
        )
        return f"/exports/{export.pk}.zip?{urlencode({'token': token})}"
    return str(
        default_storage.url(  # type: ignore[call-arg]
            export.file_key,
            expire=expire,
            parameters={"ResponseContentDisposition": f'attachment; filename="data-export-{export.pk}.zip"'},
        )
    )


def export_link_check(*, token: str, export_id: int, schema_name: str) -> None:
    """Raise unless ``token`` is this brand's signature for this export and still valid (the
    schema is signed in: a brand-A link opened on brand B's host is refused like a forged one)."""
    try:
        claims = signing.loads(token, salt=EXPORT_LINK_SALT)
    except signing.BadSignature as error:
        raise ExportLinkInvalidError from error
    if (
        not isinstance(claims, dict)
        or claims.get("schema") != schema_name
        or claims.get("export") != export_id
    ):
        raise ExportLinkInvalidError
    if int(claims.get("expires", 0)) < time.time():
        raise ExportLinkExpiredError
