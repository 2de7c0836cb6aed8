"""Secrets for API tokens and magic links: generation, hashing, constant-time checks."""

from __future__ import annotations

import hashlib
import hmac
import secrets

API_TOKEN_MARKER = "afp"


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def secrets_match(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(secret_hash(secret), stored_hash)


def new_api_token() -> tuple[str, str, str]:
    """(full token shown once, visible prefix, hash of the secret part)."""
    prefix = f"{API_TOKEN_MARKER}_{secrets.token_hex(4)}"
    secret = secrets.token_urlsafe(32)
    return f"{prefix}_{secret}", prefix, secret_hash(secret)


def split_api_token(raw: str) -> tuple[str, str] | None:
    """``afp_1a2b3c4d_<secret>`` → (``afp_1a2b3c4d``, secret), or None if malformed."""
    parts = raw.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != API_TOKEN_MARKER or len(parts[1]) != 8 or not parts[2]:
        return None
    return f"{parts[0]}_{parts[1]}", parts[2]


def new_magic_link_secret() -> str:
    return secrets.token_urlsafe(32)
