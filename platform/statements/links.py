"""Short-lived download links of statements and self-billing invoices, as for invoices and data
exports: presigned on S3; on local disk (development) a signed, expiring path on the brand's
host served by ``statements.views``. The brand's schema is signed in, so a link of brand A
opened on brand B's host is refused like a forged one."""

from __future__ import annotations

import time
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.core.files.storage import default_storage

from core.storage import TenantFileSystemStorage
from core.tenancy import current_schema

LINK_SALT = "statements.download"
FORMATS = {"pdf": "application/pdf", "csv": "text/csv; charset=utf-8"}


class LinkInvalidError(Exception):
    """Not a link this brand signed for this document."""


class LinkExpiredError(Exception):
    """A genuine link whose time is up."""


def download_url(*, document: str, pk: int, key: str, filename: str, seconds: int | None = None) -> str:
    """``document`` is "statement" or "self-billing"; ``key`` the file's storage key."""
    if not key:
        return ""
    expire = seconds or settings.STATEMENT_LINK_SECONDS
    extension = key.rsplit(".", 1)[-1]
    if isinstance(default_storage, TenantFileSystemStorage):
        token = signing.dumps(
            {
                "schema": current_schema(),
                "doc": document,
                "pk": pk,
                "ext": extension,
                "expires": int(time.time()) + expire,
            },
            salt=LINK_SALT,
        )
        return f"/statements/{document}/{pk}.{extension}?{urlencode({'token': token})}"
    return str(
        default_storage.url(  # type: ignore[call-arg]
            key,
            expire=expire,
            parameters={"ResponseContentDisposition": f'attachment; filename="{filename}"'},
        )
    )


def link_check(*, token: str, document: str, pk: int, extension: str, schema_name: str) -> None:
    try:
        claims = signing.loads(token, salt=LINK_SALT)
    except signing.BadSignature as error:
        raise LinkInvalidError from error
    if not isinstance(claims, dict) or (
        claims.get("schema"),
        claims.get("doc"),
        claims.get("pk"),
        claims.get("ext"),
    ) != (schema_name, document, pk, extension):
        raise LinkInvalidError
    if int(claims.get("expires", 0)) < time.time():
        raise LinkExpiredError
