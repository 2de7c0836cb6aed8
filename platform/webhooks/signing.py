"""Signing secrets (made, encrypted at rest) and Standard Webhooks signatures.

A secret is ``whsec_`` + base64 of 24 random bytes (what Svix and the Standard Webhooks
libraries make and read). It is stored encrypted with Fernet under a key derived from
``SECRET_KEY`` by HKDF with a purpose of its own (the scheme of ``accounts.two_factor``'s
TOTP secrets), and shown to the admin only when it is made. Signatures come from the
``standardwebhooks`` library itself, so what receivers verify with it is what we sign.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 24
HINT_LENGTH = len(SECRET_PREFIX) + 4


def _fernet() -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"webhooks.endpoint.secret").derive(
        settings.SECRET_KEY.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def secret_new() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def secret_decrypt(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()


def signature_headers(
    *, secrets_in_use: list[str], message_id: str, timestamp: dt.datetime, body: str
) -> dict[str, str]:
    """The three Standard Webhooks headers. Several secrets (during a rotation) give several
    space-separated ``v1,`` signatures; a receiver accepts the message if one matches."""
    signatures = [Webhook(secret).sign(message_id, timestamp, body) for secret in secrets_in_use]
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": " ".join(signatures),
    }
