"""Two-factor authentication with TOTP authenticators (RFC 6238) and single-use backup codes.

- Enrolment: ``two_factor_setup_begin`` makes a secret (an otpauth:// URI for the QR code),
  ``two_factor_setup_confirm`` proves the authenticator with a first code and returns 10 backup
  codes, shown once (only keyed hashes are stored).
- Login: after the password or the magic link, a user with two-factor is not logged in; the
  session holds a short-lived signed *pending* marker (``two_factor_pending_begin``), and
  ``login_two_factor_verify`` checks the code and only then calls ``auth.login``.
- Each code is accepted once: the time step of the last accepted code is kept per user and
  updated under the row lock, so a replayed code (or two concurrent uses) is refused.
- Codes are throttled per user and per IP (``rate_limit_acquire``: HTTP 429).
- A *fresh* verification (within ``TWO_FACTOR_FRESH_SECONDS``, remembered in the session) is
  asked before sensitive actions: withdrawals, payout details, API tokens.
- A brand chooses the roles for which two-factor is mandatory (``Tenant.two_factor_required_roles``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any

import pyotp
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.contrib import auth
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.error_codes import AccountErrorCode
from accounts.models import TwoFactor, TwoFactorBackupCode, User
from core.audit import audit_log
from core.clientip import client_ip
from core.errors import field_error
from core.ratelimit import (
    RateLimited,
    RateLimitSlot,
    rate_limit_acquire,
    rate_limit_release,
    rate_limit_reset,
)

ISSUER_FALLBACK = "Affiliate platform"
BACKUP_CODE_COUNT = 10
BACKUP_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i
PENDING_SESSION_KEY = "two_factor_pending"
FRESH_SESSION_KEY = "two_factor_verified_at"
PENDING_SALT = "accounts.two_factor.pending"
PENDING_MAX_AGE_SECONDS = 5 * 60
TWO_FACTOR_FRESH_SECONDS = 10 * 60
VALID_WINDOW = 1  # the previous and next 30-second steps too (clock drift)


# --- secrets at rest -----------------------------------------------------------------------


def _derived_key(purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
        settings.SECRET_KEY.encode()
    )


def _fernet() -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_derived_key(b"accounts.two_factor.secret")))


def secret_encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def secret_decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as error:  # SECRET_KEY rotated without re-encrypting: a bug to see
        raise RuntimeError("A two-factor secret cannot be decrypted with this SECRET_KEY.") from error


def backup_code_hash(code: str) -> str:
    normalized = code.strip().lower().replace("-", "").replace(" ", "")
    return hmac.new(
        _derived_key(b"accounts.two_factor.backup"), normalized.encode(), hashlib.sha256
    ).hexdigest()


def _new_backup_code() -> str:
    raw = "".join(secrets.choice(BACKUP_CODE_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


# --- reads ----------------------------------------------------------------------------------


def two_factor_enabled(*, user: Any) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return TwoFactor.objects.filter(user_id=user.pk, confirmed_at__isnull=False).exists()


def two_factor_required(*, user: Any, tenant: Any) -> bool:
    """Whether the brand (or, for operators, the public tenant) makes two-factor mandatory
    for the user's role."""
    return getattr(user, "role", None) in (tenant.two_factor_required_roles or [])


def two_factor_enrolment_required(*, user: Any, tenant: Any) -> bool:
    """Signed in, of a role where two-factor is mandatory, and not enrolled yet: the user may
    only enrol (or sign out)."""
    return (
        getattr(user, "is_authenticated", False)
        and two_factor_required(user=user, tenant=tenant)
        and not two_factor_enabled(user=user)
    )


def backup_codes_remaining(*, user: User) -> int:
    return TwoFactorBackupCode.objects.filter(user=user, used_at__isnull=True).count()


# --- enrolment ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TwoFactorSetup:
    secret: str  # base32, for manual entry
    otpauth_uri: str


def _issuer() -> str:
    tenant = getattr(connection, "tenant", None)
    return str(getattr(tenant, "name", "") or ISSUER_FALLBACK)


def two_factor_setup_begin(*, user: User) -> TwoFactorSetup:
    """A new secret for ``user``'s authenticator (replacing an unconfirmed one). Refused when
    two-factor is already on: disable it first."""
    secret = pyotp.random_base32()
    with transaction.atomic():
        current = TwoFactor.objects.select_for_update().filter(user=user).first()
        if current is not None and current.confirmed_at is not None:
            raise field_error(
                "code",
                "Two-factor authentication is already on.",
                AccountErrorCode.TWO_FACTOR_ALREADY_ENABLED,
            )
        TwoFactor.objects.update_or_create(
            user=user, defaults={"secret_encrypted": secret_encrypt(secret), "last_used_step": 0}
        )
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=_issuer())
    return TwoFactorSetup(secret=secret, otpauth_uri=uri)


def _backup_codes_replace(user: User) -> list[str]:
    codes = [_new_backup_code() for _ in range(BACKUP_CODE_COUNT)]
    TwoFactorBackupCode.objects.filter(user=user).delete()
    TwoFactorBackupCode.objects.bulk_create(
        TwoFactorBackupCode(user=user, code_hash=backup_code_hash(code)) for code in codes
    )
    return codes


def _matching_step(secret: str, code: str, *, after_step: int) -> int | None:
    """The time step (near now) whose code is ``code`` and that comes after ``after_step``."""
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now_step = totp.timecode(timezone.now())
    for step in range(now_step - VALID_WINDOW, now_step + VALID_WINDOW + 1):
        if step > after_step and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _invalid_code() -> ValidationError:
    return field_error(
        "code", "This code is not valid. Try the current one.", AccountErrorCode.INVALID_TWO_FACTOR_CODE
    )


def two_factor_setup_confirm(*, request: HttpRequest | None, user: User, code: str) -> list[str]:
    """Turn two-factor on with a first code from the authenticator; returns the backup codes
    (shown once)."""
    with _Throttled(request, user), transaction.atomic():
        row = TwoFactor.objects.select_for_update().filter(user=user, confirmed_at__isnull=True).first()
        if row is None:
            raise field_error(
                "code", "Start the setup again: scan a new QR code.", AccountErrorCode.TWO_FACTOR_NOT_SET_UP
            )
        step = _matching_step(secret_decrypt(row.secret_encrypted), code, after_step=row.last_used_step)
        if step is None:
            raise _invalid_code()
        row.confirmed_at = timezone.now()
        row.last_used_step = step  # the confirmation code cannot be used again to log in
        row.save(update_fields=["confirmed_at", "last_used_step"])
        codes = _backup_codes_replace(user)
        audit_log(actor=user, action="two_factor.enabled", target=user)
    if request is not None:
        _mark_fresh(request)
    return codes


# --- verification ---------------------------------------------------------------------------


class _Throttled:
    """Count one code attempt per user and per IP (``rate_limit_acquire``); a success gives the
    slots back. Over a limit: ``RateLimited`` (HTTP 429 with Retry-After)."""

    def __init__(self, request: HttpRequest | None, user: User) -> None:
        ip = client_ip(request) if request is not None else ""
        self.window = settings.LOGIN_RATE_LIMIT_WINDOW_SECONDS
        self.user_bucket = f"two_factor:user:{user.pk}"
        self.buckets = (
            (f"two_factor:ip:{ip}", settings.LOGIN_RATE_LIMIT_PER_IP),
            (self.user_bucket, settings.LOGIN_RATE_LIMIT_PER_ACCOUNT),
        )
        self.slots: list[RateLimitSlot] = []

    def __enter__(self) -> None:
        for bucket, limit in self.buckets:
            slot = rate_limit_acquire(bucket, limit=limit, window_seconds=self.window)
            self.slots.append(slot)
            if not slot.allowed:
                for taken in self.slots:
                    rate_limit_release(taken)
                raise RateLimited(
                    {
                        "code": ValidationError(
                            f"Too many wrong codes. Try again in {slot.retry_after_seconds} seconds.",
                            code=AccountErrorCode.RATE_LIMITED,
                        )
                    },
                    retry_after_seconds=slot.retry_after_seconds,
                )

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:  # a good code: no failure to count
            rate_limit_release(self.slots[0])
            rate_limit_reset(self.user_bucket, window_seconds=self.window)


def _code_accept(user: User, code: str) -> str | None:
    """Accept a current TOTP code (once) or an unused backup code (once), atomically. Returns
    "totp" or "backup", or None."""
    with transaction.atomic():
        row = TwoFactor.objects.select_for_update().filter(user=user, confirmed_at__isnull=False).first()
        if row is None:
            return None
        step = _matching_step(secret_decrypt(row.secret_encrypted), code, after_step=row.last_used_step)
        if step is not None:
            row.last_used_step = step
            row.save(update_fields=["last_used_step"])
            return "totp"
        if len(code.strip()) < 10:
            return None
        used = TwoFactorBackupCode.objects.filter(
            user=user, code_hash=backup_code_hash(code), used_at__isnull=True
        ).update(used_at=timezone.now())
        if used:
            audit_log(actor=user, action="two_factor.backup_code_used", target=user)
            return "backup"
    return None


def two_factor_check(*, request: HttpRequest | None, user: User, code: str) -> str:
    """Check a code of ``user`` (TOTP or backup), throttled; raise a field error if wrong."""
    with _Throttled(request, user):
        kind = _code_accept(user, code)
        if kind is None:
            raise _invalid_code()
    return kind


def _mark_fresh(request: HttpRequest) -> None:
    request.session[FRESH_SESSION_KEY] = int(time.time())


def two_factor_verify(*, request: HttpRequest, user: User, code: str) -> None:
    """A fresh verification by a signed-in user, before a sensitive action."""
    two_factor_check(request=request, user=user, code=code)
    _mark_fresh(request)


def two_factor_is_fresh(*, request: HttpRequest | None) -> bool:
    if request is None:
        return False
    verified_at = request.session.get(FRESH_SESSION_KEY)
    return isinstance(verified_at, int) and time.time() - verified_at <= TWO_FACTOR_FRESH_SECONDS


def fresh_two_factor_required(*, request: HttpRequest | None, user: Any, api_token: Any = None) -> None:
    """Raise a user error (code FRESH_TWO_FACTOR_REQUIRED) when ``user`` has two-factor and has
    not verified a code in this session lately. API tokens are a machine path: unaffected."""
    if api_token is not None or not two_factor_enabled(user=user):
        return
    if not two_factor_is_fresh(request=request):
        raise field_error(
            "code",
            "Confirm with a code from your authenticator app first.",
            AccountErrorCode.FRESH_TWO_FACTOR_REQUIRED,
        )


# --- login ----------------------------------------------------------------------------------


def two_factor_pending_begin(*, request: HttpRequest, user: User, backend: str) -> None:
    """The first factor passed: remember who, signed and short-lived, without logging in."""
    if request.user.is_authenticated:
        auth.logout(request)
    request.session.cycle_key()
    schema = connection.schema_name  # type: ignore[attr-defined]
    request.session[PENDING_SESSION_KEY] = signing.dumps(
        {"user": user.pk, "backend": backend, "schema": schema}, salt=PENDING_SALT
    )


def two_factor_pending_user(*, request: HttpRequest) -> tuple[User, str] | None:
    """The user (and auth backend) waiting for a second factor in this session, or None."""
    marker = request.session.get(PENDING_SESSION_KEY)
    if not marker:
        return None
    try:
        data = signing.loads(marker, salt=PENDING_SALT, max_age=PENDING_MAX_AGE_SECONDS)
    except signing.BadSignature:  # expired included
        return None
    if data.get("schema") != connection.schema_name:  # type: ignore[attr-defined]
        return None
    user = User.objects.filter(pk=data.get("user"), is_active=True).first()
    return (user, str(data["backend"])) if user is not None else None


def login_two_factor_verify(*, request: HttpRequest, code: str) -> User:
    """Complete a login waiting for its second factor."""
    pending = two_factor_pending_user(request=request)
    if pending is None:
        request.session.pop(PENDING_SESSION_KEY, None)
        raise field_error(
            "code",
            "Your sign-in expired. Sign in again.",
            AccountErrorCode.TWO_FACTOR_LOGIN_EXPIRED,
        )
    user, backend = pending
    kind = two_factor_check(request=request, user=user, code=code)
    request.session.pop(PENDING_SESSION_KEY, None)
    auth.login(request, user, backend=backend)
    _mark_fresh(request)
    if kind == "backup":
        audit_log(actor=user, action="two_factor.login_with_backup_code", target=user)
    return user


# --- management -----------------------------------------------------------------------------


def two_factor_backup_codes_regenerate(*, request: HttpRequest | None, user: User, code: str) -> list[str]:
    """New backup codes (the old ones stop working), after a code."""
    two_factor_check(request=request, user=user, code=code)
    with transaction.atomic():
        codes = _backup_codes_replace(user)
        audit_log(actor=user, action="two_factor.backup_codes_regenerated", target=user)
    return codes


def two_factor_disable(*, request: HttpRequest | None, user: User, tenant: Any, code: str) -> None:
    """Turn two-factor off, after a code; not when the brand makes it mandatory for the role."""
    if two_factor_required(user=user, tenant=tenant):
        raise field_error(
            "code",
            "Two-factor authentication is mandatory for your role in this brand.",
            AccountErrorCode.TWO_FACTOR_MANDATORY,
        )
    two_factor_check(request=request, user=user, code=code)
    with transaction.atomic():
        TwoFactor.objects.filter(user=user).delete()
        TwoFactorBackupCode.objects.filter(user=user).delete()
        audit_log(actor=user, action="two_factor.disabled", target=user)


def two_factor_reset(*, actor: User, user_id: int) -> User:
    """Recovery by a brand admin (or an operator, for operators): remove a user's
    authenticator and backup codes; the user enrols again at the next sign-in."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise field_error("userId", "No user has this id.", AccountErrorCode.NOT_FOUND)
    if user.pk == actor.pk:
        raise field_error(
            "userId",
            "You cannot reset your own two-factor authentication: ask another admin.",
            AccountErrorCode.CANNOT_RESET_OWN_TWO_FACTOR,
        )
    with transaction.atomic():
        deleted, _ = TwoFactor.objects.filter(user=user).delete()
        TwoFactorBackupCode.objects.filter(user=user).delete()
        audit_log(actor=actor, action="two_factor.reset", target=user, had_two_factor=bool(deleted))
    return user
