"""Writes on accounts: signup, password and magic-link login, logout, sessions, API tokens,
deactivation, reactivation and role changes.

Whatever ends or changes a user's authority (logout, token revocation, deactivation, a role
change) also tells the user's open websockets, on the brand's ``<schema>.user.<id>`` group, to
re-check their credential (``credentials_changed_publish``)."""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import CharField, Func, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from accounts.error_codes import AccountErrorCode
from accounts.models import ApiToken, ApiTokenScope, MagicLink, Role, User, UserSession
from accounts.selectors import user_by_email
from accounts.tokens import new_api_token, new_magic_link_secret, secret_hash, secrets_match, split_api_token
from accounts.two_factor import login_two_factor_verify, two_factor_enabled, two_factor_pending_begin
from core.agents import agent_details
from core.audit import audit_log
from core.clientip import client_ip  # also imported from here by other apps
from core.errors import field_error
from core.events import emit, publish_on_commit
from core.ids import CLICK_COOKIE
from core.ratelimit import (
    RateLimited,
    RateLimitSlot,
    rate_limit_acquire,
    rate_limit_hit,
    rate_limit_release,
    rate_limit_reset,
)
from core.tasks import enqueue_on_commit
from core.tenancy import current_schema
from tenants.models import MerchantSignup

SELF_SIGNUP_ROLES = frozenset({Role.AFFILIATE, Role.MERCHANT, Role.CUSTOMER})
BRAND_ROLES = frozenset({Role.BRAND_ADMIN, Role.STAFF, Role.MERCHANT, Role.AFFILIATE, Role.CUSTOMER})
CREDENTIALS_EVENT = "credentials.changed"
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
API_TOKEN_LAST_USED_RESOLUTION = dt.timedelta(minutes=1)
SESSION_LAST_SEEN_RESOLUTION = dt.timedelta(minutes=1)
# Set in a session's data when its UserSession is recorded at sign-in: only such sessions are
# touched, so a request of any other session costs no query here.
SESSION_RECORDED_KEY = "_user_session_recorded"
_COUNTRY = re.compile(r"[A-Z]{2}")


def _validated_email(email: str) -> str:
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError as error:
        raise field_error("email", "Enter a valid email address.", AccountErrorCode.INVALID) from error
    return email


def _validated_password(password: str) -> None:
    try:
        validate_password(password)
    except ValidationError as error:
        raise ValidationError(
            {"password": ValidationError(" ".join(error.messages), code=AccountErrorCode.PASSWORD_TOO_WEAK)}
        ) from error


def user_create(
    *, email: str, password: str | None, role: str, full_name: str = "", actor: Any = None
) -> User:
    """Create a user of the current schema (a brand's, or public for operators)."""
    email = _validated_email(email)
    if password is not None:
        _validated_password(password)
    if user_by_email(email) is not None:
        raise field_error("email", "An account with this email already exists.", AccountErrorCode.EMAIL_TAKEN)
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email=email, password=password, role=role, full_name=full_name.strip()
            )
            audit_log(actor=actor or user, action="user.created", target=user, role=role)
    except IntegrityError as error:  # a concurrent signup with the same email
        raise field_error(
            "email", "An account with this email already exists.", AccountErrorCode.EMAIL_TAKEN
        ) from error
    return user


@dataclass(frozen=True)
class LoginResult:
    """A first factor that passed: ``two_factor_required`` when the user has two-factor on and
    the session only waits for the code (``accounts.two_factor.login_two_factor_verify``);
    otherwise the user is logged in."""

    user: User
    two_factor_required: bool


def _login_complete(request: HttpRequest, user: User, backend: str, *, method: str) -> LoginResult:
    if two_factor_enabled(user=user):
        two_factor_pending_begin(request=request, user=user, backend=backend)
        return LoginResult(user=user, two_factor_required=True)
    auth.login(request, user, backend=backend)
    _login_recorded(request=request, user=user, method=method)
    return LoginResult(user=user, two_factor_required=False)


def _login_recorded(*, request: HttpRequest, user: User, method: str) -> None:
    """What every completed sign-in does after ``auth.login``: the audit entry (the user's
    security activity) and the session list."""
    audit_log(actor=user, action="user.login", target=user, method=method)
    user_session_record(request=request, user=user)


def user_login_two_factor(*, request: HttpRequest, code: str) -> User:
    """The second step of a login waiting for its code (TOTP or backup code)."""
    user = login_two_factor_verify(request=request, code=code)
    _login_recorded(request=request, user=user, method="two_factor")
    return user


@dataclass(frozen=True)
class SignupResult:
    """What signup did. Callers show the person only ``awaiting_approval`` (the same whether
    or not the email had an account); ``user`` is for the server's own follow-ups."""

    user: User | None  # the new account; None when the email already had one
    awaiting_approval: bool


def user_signup(
    *,
    request: HttpRequest,
    email: str,
    password: str,
    role: str,
    full_name: str = "",
    merchant_signup: str = MerchantSignup.APPROVAL,
) -> SignupResult:
    """Self-service signup inside a brand, answering the same whether or not the email has an
    account, like the magic-link request: nobody is signed in, and the address gets an email.
    A new account gets a sign-in link (its password starts working once the link is used, so
    signing up and then logging in cannot tell either); an existing owner is told that someone
    tried to sign up with their address.

    Merchants follow the brand's ``merchant_signup`` policy: OPEN signs them up as merchants,
    APPROVAL as customers who asked for the merchant role (a brand admin grants it with
    ``merchant_approve``), INVITE_ONLY refuses (a brand admin creates merchants)."""
    if role not in SELF_SIGNUP_ROLES:
        raise field_error("role", "This role cannot be chosen at signup.", AccountErrorCode.ROLE_NOT_ALLOWED)
    if role == Role.MERCHANT and merchant_signup == MerchantSignup.INVITE_ONLY:
        raise field_error(
            "role",
            "This brand invites its merchants: ask the brand for an invitation.",
            AccountErrorCode.MERCHANT_SIGNUP_BY_INVITATION,
        )
    awaiting_approval = role == Role.MERCHANT and merchant_signup != MerchantSignup.OPEN
    email = _validated_email(email)
    _validated_password(password)
    # Per address, new or not (so the limit tells nothing): caps the emails signup sends.
    state = rate_limit_hit(
        f"signup:{email}",
        limit=settings.LOGIN_RATE_LIMIT_PER_ACCOUNT + 1,
        window_seconds=settings.LOGIN_RATE_LIMIT_WINDOW_SECONDS,
    )
    if state.is_exceeded:
        raise field_error(
            "email",
            f"Too many signups with this address. Try again in {state.retry_after_seconds} seconds.",
            AccountErrorCode.RATE_LIMITED,
        )
    password_hash = make_password(password)  # hashed either way: both answers take as long
    existing = user_by_email(email)
    user = None
    if existing is None:
        try:
            with transaction.atomic():
                user = User.objects.create_user(
                    email=email,
                    password=None,  # unusable until the emailed link proves the address
                    role=Role.CUSTOMER if awaiting_approval else role,
                    requested_role=role if awaiting_approval else "",
                    signup_password=password_hash,
                    full_name=full_name.strip(),
                )
                audit_log(actor=user, action="user.signed_up", target=user, role=role)
                # The click -> signup step of the funnel: analytics subscribes (after commit).
                click_id = str(request.COOKIES.get(CLICK_COOKIE, ""))[:64] or None
                emit("user.signed_up", {"user_id": user.pk, "role": user.role, "click_id": click_id})
        except IntegrityError:  # a concurrent signup with the same email won
            existing = user_by_email(email)
    from accounts.tasks import send_signup_attempt_task  # tasks import services: import here

    if user is not None:
        _magic_link_issue(user=user, request=request)
    elif existing is not None:
        enqueue_on_commit(send_signup_attempt_task, existing.pk)
    return SignupResult(user=user, awaiting_approval=awaiting_approval)


def merchant_invite(*, actor: User, request: HttpRequest, email: str, full_name: str = "") -> User:
    """A brand admin creates a merchant (how merchants join an invite-only brand): the account
    gets an emailed sign-in link; later links come from the magic-link page."""
    user = user_create(email=email, password=None, role=Role.MERCHANT, full_name=full_name, actor=actor)
    _magic_link_issue(user=user, request=request)
    return user


def merchant_approve(*, actor: User, user_id: int, approve: bool = True) -> User:
    """Grant (or refuse) the merchant role a user asked for at signup. A user who asked for
    nothing answers like a missing one."""
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id, requested_role=Role.MERCHANT).first()
        if user is None:
            raise field_error("userId", "No merchant application has this id.", AccountErrorCode.NOT_FOUND)
        if approve:
            user.role = Role.MERCHANT
        user.requested_role = ""
        user.save(update_fields=["role", "requested_role"])
        audit_log(
            actor=actor,
            action="merchant.approved" if approve else "merchant.refused",
            target=user,
        )
        if approve:  # open websockets continue with the merchant's permissions
            credentials_changed_publish(user_id=user.pk)
    return user


def _login_buckets(email: str, ip: str) -> tuple[str, str]:
    return f"login:account:{email.strip().lower()}", f"login:ip:{ip}"


def user_login(*, request: HttpRequest, email: str, password: str) -> LoginResult:
    """Password login, throttled on failures: per account and per client IP, with limits of
    their own. Each attempt takes a slot in both buckets before the password is checked (an
    atomic count, so concurrent attempts cannot all slip under the limit); a success gives
    them back (and clears the account's failures), so successful logins never lock anyone.
    A user with two-factor on is not logged in yet: the session waits for the code.
    Over a limit: ``RateLimited`` (HTTP 429 with Retry-After in the API)."""
    window = settings.LOGIN_RATE_LIMIT_WINDOW_SECONDS
    account_bucket, ip_bucket = _login_buckets(email, client_ip(request))
    slots: list[RateLimitSlot] = []
    for bucket, limit in (
        (ip_bucket, settings.LOGIN_RATE_LIMIT_PER_IP),
        (account_bucket, settings.LOGIN_RATE_LIMIT_PER_ACCOUNT),
    ):
        slot = rate_limit_acquire(bucket, limit=limit, window_seconds=window)
        slots.append(slot)
        if not slot.allowed:
            for taken in slots:  # a refused attempt counts as no failure
                rate_limit_release(taken)
            raise RateLimited(
                {
                    "email": ValidationError(
                        f"Too many failed logins. Try again in {slot.retry_after_seconds} seconds.",
                        code=AccountErrorCode.RATE_LIMITED,
                    )
                },
                retry_after_seconds=slot.retry_after_seconds,
            )
    user = auth.authenticate(request, username=email.strip().lower(), password=password)
    if user is None:
        audit_log(
            actor=None, action="user.login_failed", subject=user_by_email(email), email=email.strip()[:254]
        )
        raise field_error("password", "Wrong email or password.", AccountErrorCode.INVALID_CREDENTIALS)
    ip_slot, _ = slots
    rate_limit_release(ip_slot)
    rate_limit_reset(account_bucket, window_seconds=window)
    return _login_complete(request, user, getattr(user, "backend", MODEL_BACKEND), method="password")


def user_topic(user_id: int) -> str:
    """The topic of one user's credentials: group ``<schema>.user.<id>`` (ids repeat across
    brands, the schema tells them apart)."""
    return f"user.{user_id}"


def credentials_changed_publish(*, user_id: int) -> None:
    """After commit, tell the user's open websockets to re-check their credential: they close
    (4401) when it no longer authenticates, and end running subscriptions when the role changed.
    The message carries no verdict; each socket re-reads its own session or token."""
    publish_on_commit(topic=user_topic(user_id), message_type=CREDENTIALS_EVENT, payload={"user_id": user_id})


def user_logout(*, request: HttpRequest) -> None:
    """End this browser session (its websockets with it; the user's other sessions stay)."""
    user_id = request.user.pk if request.user.is_authenticated else None
    if user_id is not None:
        audit_log(actor=request.user, action="user.logout")
    if request.session.session_key:
        UserSession.objects.filter(session_key_hash=session_key_hash(request.session.session_key)).delete()
    auth.logout(request)
    if user_id is not None:
        credentials_changed_publish(user_id=user_id)


def _brand_admin_removal_check(*, user_id: int) -> None:
    """Refuse to leave the brand without an active brand admin. Called when ``user_id`` is an
    active admin about to stop being one: locks every active admin row in primary-key order
    (before the user's own row, so two admins demoting each other wait in line instead of
    deadlocking, and the second one sees the first one's change)."""
    if not User.objects.filter(pk=user_id, role=Role.BRAND_ADMIN, is_active=True).exists():
        return
    admins = list(
        User.objects.select_for_update()
        .filter(role=Role.BRAND_ADMIN, is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if admins == [user_id]:
        raise field_error(
            "userId",
            "This is the brand's last active admin: make someone else an admin first.",
            AccountErrorCode.LAST_BRAND_ADMIN,
        )


def _user_locked(user_id: int) -> User:
    """The user, row-locked; another brand's id answers like a missing one (other schema)."""
    locked = User.objects.select_for_update().filter(pk=user_id).first()
    if locked is None:
        raise field_error("userId", "No user has this id.", AccountErrorCode.NOT_FOUND)
    return locked


def user_deactivate(*, actor: User | None, user: User) -> User:
    """Stop ``user`` from signing in or using any session, token or open websocket, at once:
    their sessions are deleted, their API tokens revoked (a reactivated account starts with
    none), and their open websockets told to re-check (they close with 4401)."""
    if actor is not None and actor.pk == user.pk:
        raise field_error(
            "userId", "You cannot deactivate yourself.", AccountErrorCode.CANNOT_DEACTIVATE_SELF
        )
    with transaction.atomic():
        _brand_admin_removal_check(user_id=user.pk)
        locked = _user_locked(user.pk)
        if locked.is_active:
            locked.is_active = False
            locked.save(update_fields=["is_active"])
            _user_sessions_end(UserSession.objects.filter(user=locked))
            ApiToken.objects.filter(user=locked, revoked_at__isnull=True).update(revoked_at=timezone.now())
            audit_log(actor=actor, action="user.deactivated", target=locked)
            credentials_changed_publish(user_id=locked.pk)
    return locked


def user_reactivate(*, actor: User | None, user: User) -> User:
    """Let a deactivated user sign in again (with a new session; their old sessions and tokens
    stay ended)."""
    with transaction.atomic():
        locked = _user_locked(user.pk)
        if not locked.is_active:
            locked.is_active = True
            locked.save(update_fields=["is_active"])
            audit_log(actor=actor, action="user.reactivated", target=locked)
    return locked


def user_role_change(*, actor: User | None, user: User, role: str) -> User:
    """Give ``user`` another role inside the brand; open websockets end their running
    subscriptions and continue with the new role's permissions. The brand's last active
    admin keeps the role."""
    if role not in BRAND_ROLES:
        raise field_error("role", "Choose a role of the brand.", AccountErrorCode.ROLE_NOT_ALLOWED)
    with transaction.atomic():
        if role != Role.BRAND_ADMIN:
            _brand_admin_removal_check(user_id=user.pk)
        locked = _user_locked(user.pk)
        if locked.role != role:
            previous = locked.role
            locked.role = role
            locked.save(update_fields=["role"])
            audit_log(actor=actor, action="user.role_changed", target=locked, previous=previous, role=role)
            credentials_changed_publish(user_id=locked.pk)
    return locked


def session_key_hash(session_key: str) -> str:
    return hashlib.sha256(session_key.encode()).hexdigest()


def ip_network_of(ip: str) -> str:
    """The network an address belongs to, never the address: /24 for IPv4, /48 for IPv6."""
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return ""
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def request_country(request: HttpRequest) -> str:
    """The two-letter country a trusted proxy put in ``CLICK_COUNTRY_HEADER``, or ""."""
    header = settings.CLICK_COUNTRY_HEADER
    if not header:
        return ""
    value = str(request.META.get("HTTP_" + header.upper().replace("-", "_"), "")).strip().upper()
    return value if _COUNTRY.fullmatch(value) and value != "XX" else ""


_seen_recently: dict[tuple[str, str], dt.datetime] = {}
_SEEN_RECENTLY_MAX = 10_000


def _user_session_upsert(*, request: HttpRequest, user: User, now: dt.datetime) -> None:
    """One statement: insert the request's session with its device, network and country, or,
    when it is already recorded, move its ``last_seen_at``."""

    details = agent_details(str(request.META.get("HTTP_USER_AGENT", ""))[:512])
    key_hash = session_key_hash(request.session.session_key or "")
    UserSession.objects.bulk_create(
        [
            UserSession(
                user=user,
                session_key_hash=key_hash,
                created_at=now,
                last_seen_at=now,
                ip_network=ip_network_of(client_ip(request)),
                country=request_country(request),
                device_type=details.device_type,
                browser=details.browser,
                os=details.os,
            )
        ],
        update_conflicts=True,
        unique_fields=["session_key_hash"],
        update_fields=["last_seen_at"],
    )
    if len(_seen_recently) >= _SEEN_RECENTLY_MAX:
        _seen_recently.clear()
    _seen_recently[(current_schema(), key_hash)] = now


def user_session_record(*, request: HttpRequest, user: User) -> None:
    """Record the request's just signed-in session (Django gave it a new key at login). Every
    path that calls ``auth.login`` calls this too, or the session is not listed."""
    _user_session_upsert(request=request, user=user, now=timezone.now())
    request.session[SESSION_RECORDED_KEY] = True


def user_session_seen_recently(*, session_key: str) -> bool:
    """Whether this process moved the session's ``last_seen_at`` less than a minute ago."""
    seen = _seen_recently.get((current_schema(), session_key_hash(session_key)))
    return seen is not None and timezone.now() - seen < SESSION_LAST_SEEN_RESOLUTION


def user_session_touch(*, request: HttpRequest) -> None:
    """Move the recorded session's ``last_seen_at``, at most once a minute per process (the
    memory skips the database in between), in one statement (an upsert)."""
    if request.session.session_key and request.session.get(SESSION_RECORDED_KEY):
        _user_session_upsert(request=request, user=request.user, now=timezone.now())  # type: ignore[arg-type]


class _Sha256Hex(Func):
    """``encode(sha256(text), 'hex')``: PostgreSQL's built-in SHA-256 (Django's ``SHA256``
    needs the pgcrypto extension)."""

    template = "encode(sha256(convert_to(%(expressions)s, 'UTF8')), 'hex')"
    output_field = CharField()


def _user_sessions_end(sessions: QuerySet[UserSession]) -> None:
    """Delete the Django sessions behind ``sessions`` and their records: the browsers' cookies
    point at nothing from the next request on. Django's table holds keys, not hashes, so the
    match hashes its (brand's) rows in the database: one statement, a scan of the table."""
    hashes = list(sessions.values_list("session_key_hash", flat=True))
    if not hashes:
        return
    Session.objects.annotate(key_hash=_Sha256Hex("session_key")).filter(key_hash__in=hashes).delete()
    UserSession.objects.filter(session_key_hash__in=hashes).delete()


def user_session_revoke(*, actor: User, session_id: int, own: bool = True) -> UserSession:
    """Sign a browser out: its session ends and its websockets close (4401). With ``own`` the
    session must be the actor's (another user's answers like a missing one); brand admins
    pass ``own=False`` to end any session of the brand."""
    with transaction.atomic():
        sessions = UserSession.objects.select_for_update().filter(pk=session_id)
        if own:
            sessions = sessions.filter(user=actor)
        session = sessions.first()
        if session is None:
            raise field_error("id", "No such session.", AccountErrorCode.NOT_FOUND)
        _user_sessions_end(UserSession.objects.filter(pk=session.pk))
        audit_log(actor=actor, action="user_session.revoked", target=session, user_id=session.user_id)
        credentials_changed_publish(user_id=session.user_id)
    return session


def magic_link_request(*, request: HttpRequest, email: str) -> MagicLink | None:
    """Send a login link if the account exists. The caller answers the same either way, so the
    form cannot be used to find out who has an account."""
    window = settings.LOGIN_RATE_LIMIT_WINDOW_SECONDS
    account_bucket, _ = _login_buckets(email, "")
    state = rate_limit_hit(
        f"magic:{account_bucket}", limit=settings.LOGIN_RATE_LIMIT_PER_ACCOUNT + 1, window_seconds=window
    )
    if state.is_exceeded:
        raise field_error(
            "email",
            f"Too many login links requested. Try again in {state.retry_after_seconds} seconds.",
            AccountErrorCode.RATE_LIMITED,
        )
    user = user_by_email(email)
    if user is None or not user.is_active:
        return None
    return _magic_link_issue(user=user, request=request)


def _magic_link_issue(*, user: User, request: HttpRequest) -> MagicLink:
    from accounts.tasks import send_magic_link_task  # tasks import services: import here, not at top

    with transaction.atomic():
        link = MagicLink.objects.create(
            user=user,
            expires_at=timezone.now() + dt.timedelta(seconds=settings.MAGIC_LINK_TTL_SECONDS),
            requested_ip=client_ip(request) or None,
        )
        enqueue_on_commit(send_magic_link_task, link.pk)
    return link


def magic_link_send(*, link_id: int, deliver: Callable[[MagicLink, str], None]) -> bool:
    """Give an unsent, unexpired link its secret and ``deliver`` it, exactly once.

    The row stays locked while delivering: if delivery fails, the secret is rolled back with
    it and a retry starts afresh; a second run after success finds the link sent and does
    nothing. Returns whether this call delivered.
    """
    with transaction.atomic():
        link = MagicLink.objects.select_for_update().select_related("user").filter(pk=link_id).first()
        if link is None or link.sent_at is not None or link.expires_at <= timezone.now():
            return False
        secret = new_magic_link_secret()
        link.token_hash = secret_hash(secret)
        link.sent_at = timezone.now()
        link.save(update_fields=["token_hash", "sent_at"])
        deliver(link, secret)
    return True


def magic_link_login(*, request: HttpRequest, token: str) -> LoginResult:
    """Log in with a link: valid once, within 15 minutes of the request (a user with
    two-factor on then gives the code, as after a password)."""
    now = timezone.now()
    with transaction.atomic():
        link = (
            MagicLink.objects.select_for_update()
            .select_related("user")
            .filter(token_hash=secret_hash(token.strip()), used_at__isnull=True, expires_at__gt=now)
            .first()
        )
        if link is None or not link.user.is_active:
            raise field_error(
                "token",
                "This login link is invalid, expired or already used. Request a new one.",
                AccountErrorCode.INVALID_OR_EXPIRED_LINK,
            )
        link.used_at = now
        link.save(update_fields=["used_at"])
        user = link.user
        if user.signup_password:  # the address is proven: the password chosen at signup works
            user.password, user.signup_password = user.signup_password, ""
            user.save(update_fields=["password", "signup_password"])
    return _login_complete(request, link.user, MODEL_BACKEND, method="magic_link")


def api_token_create(
    *, user: User, name: str, scopes: list[str], expires_in_days: int | None = None
) -> tuple[ApiToken, str]:
    """Create a token; returns it with the full secret, which is never shown again."""
    errors: dict[str, ValidationError] = {}
    name = name.strip()
    if not name:
        errors["name"] = ValidationError(
            "Name the token after what will use it.", code=AccountErrorCode.REQUIRED
        )
    if not scopes or any(scope not in ApiTokenScope.values for scope in scopes):
        errors["scopes"] = ValidationError(
            "Choose at least one of the scopes read and write.", code=AccountErrorCode.INVALID_SCOPE
        )
    if expires_in_days is not None and not 1 <= expires_in_days <= 3650:
        errors["expiresInDays"] = ValidationError(
            "Choose between 1 and 3650 days, or no expiry.", code=AccountErrorCode.INVALID
        )
    if errors:
        raise ValidationError(errors)
    raw, prefix, hashed = new_api_token()
    expires_at = timezone.now() + dt.timedelta(days=expires_in_days) if expires_in_days else None
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name,
            prefix=prefix,
            secret_hash=hashed,
            scopes=sorted(set(scopes)),
            expires_at=expires_at,
        )
        audit_log(actor=user, action="api_token.created", target=token, scopes=token.scopes)
    return token, raw


def api_token_revoke(*, user: User, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens. Another user's token answers like a missing one."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(pk=token_id, user=user).first()
        if token is None:
            raise field_error("id", "No such API token.", AccountErrorCode.NOT_FOUND)
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            audit_log(actor=user, action="api_token.revoked", target=token)
            credentials_changed_publish(user_id=user.pk)
    return token


def api_token_authenticate(raw: str) -> ApiToken | None:
    """The active token matching ``raw`` in the current schema, or None."""
    parts = split_api_token(raw)
    if parts is None:
        return None
    prefix, secret = parts
    token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    if token is None or not secrets_match(secret, token.secret_hash):
        return None
    if not token.is_active or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > API_TOKEN_LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
