"""Reviewers' short-lived links to a KYC document: a path on the brand's host
(``/kyc/documents/<id>?token=…``) signed for this brand, this document and the reviewer it was
handed to (``core.private_files``), served by ``kyc.views``. The file itself is never publicly
addressable: on S3 it is private and streamed by the view, on local disk it is outside the
product-image route."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings

from accounts.models import User
from core.private_files import signed_token, signed_token_check
from kyc.models import KycDocument

DOCUMENT_LINK_PURPOSE = "kyc.document"


def document_link(document: KycDocument, *, viewer: User, seconds: int | None = None) -> str:
    token = signed_token(
        purpose=DOCUMENT_LINK_PURPOSE,
        object_id=document.pk,
        seconds=seconds or settings.KYC_DOCUMENT_LINK_SECONDS,
        user_id=viewer.pk,
    )
    return f"/kyc/documents/{document.pk}?{urlencode({'token': token})}"


def document_link_check(*, token: str, document_id: int, schema_name: str, user_id: int | None) -> None:
    """Raise ``SignedLinkInvalidError`` / ``SignedLinkExpiredError`` unless valid."""
    signed_token_check(
        token=token,
        purpose=DOCUMENT_LINK_PURPOSE,
        object_id=document_id,
        schema_name=schema_name,
        user_id=user_id,
    )
