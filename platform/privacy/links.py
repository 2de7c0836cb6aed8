"""Short-lived download links of data exports, as for invoices: presigned on S3; on local disk
(development) a signed, expiring path on the brand's host served by ``privacy.views`` (the
token machinery is ``core.private_files``, shared with KYC documents)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.core.files.storage import default_storage

from core.private_files import (
    SignedLinkExpiredError,
    SignedLinkInvalidError,
    signed_token,
    signed_token_check,
)
from core.storage import TenantFileSystemStorage
from privacy.models import DataExport, ExportStatus

EXPORT_LINK_SALT = "privacy.export-download"

# The names privacy's callers and tests know.
ExportLinkInvalidError = SignedLinkInvalidError
ExportLinkExpiredError = SignedLinkExpiredError


def export_download_url(export: DataExport, seconds: int | None = None) -> str:
    if export.status != ExportStatus.READY or not export.file_key:
        return ""
    expire = seconds or settings.PRIVACY_EXPORT_LINK_SECONDS
    if isinstance(default_storage, TenantFileSystemStorage):
        token = signed_token(purpose=EXPORT_LINK_SALT, object_id=export.pk, seconds=expire)
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
    signed_token_check(token=token, purpose=EXPORT_LINK_SALT, object_id=export_id, schema_name=schema_name)
