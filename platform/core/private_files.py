"""Short-lived signed links to a brand's private files, served by a view on the brand's host.

A link's token signs the brand's schema, what it is for (``purpose``, also the signing salt),
the object's id, an expiry and optionally the user it was handed to. A token of brand A opened
on brand B's host, for another object or another purpose, is refused like a forged one
(``SignedLinkInvalidError``); a genuine token whose time is up raises ``SignedLinkExpiredError``
so the view can answer "ask for a fresh one". Used by privacy's data exports and KYC documents.
"""

from __future__ import annotations

import time
from typing import Any

from django.core import signing

from core.tenancy import current_schema


class SignedLinkInvalidError(Exception):
    """Not a token this brand signed for this object and purpose."""


class SignedLinkExpiredError(Exception):
    """A genuine token whose time is up."""


def signed_token(*, purpose: str, object_id: int, seconds: int, user_id: int | None = None) -> str:
    """A token for ``object_id`` in the current brand, valid ``seconds``."""
    claims: dict[str, Any] = {
        "schema": current_schema(),
        "object": object_id,
        "expires": int(time.time()) + int(seconds),
    }
    if user_id is not None:
        claims["user"] = user_id
    return signing.dumps(claims, salt=purpose)


def signed_token_check(
    *, token: str, purpose: str, object_id: int, schema_name: str, user_id: int | None = None
) -> None:
    """Raise unless ``token`` is ``schema_name``'s signature for ``object_id`` and ``purpose``
    (and, when the token names a user, ``user_id`` is that user) and still valid."""
    try:
        claims = signing.loads(token, salt=purpose)
    except signing.BadSignature as error:
        raise SignedLinkInvalidError from error
    if (
        not isinstance(claims, dict)
        or claims.get("schema") != schema_name
        or claims.get("object") != object_id
    ):
        raise SignedLinkInvalidError
    if "user" in claims and claims["user"] != user_id:
        raise SignedLinkInvalidError
    if int(claims.get("expires", 0)) < time.time():
        raise SignedLinkExpiredError
