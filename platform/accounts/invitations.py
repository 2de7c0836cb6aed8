"""Writes on invitations: a brand admin invites a merchant, another brand admin or a staff
member by email; the invitee sets a password on the brand's host (or, already having an
account there, signs in and takes the role).

Tokens follow the magic link's pattern: the sending task makes the secret and stores only its
hash, so the secret never travels through the broker. A token works once, for
``INVITATION_TTL`` after it was sent; resending makes a new token (the old one stops working)
and restarts the clock; revoking kills it. Every write is audited.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import auth
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.error_codes import AccountErrorCode
from accounts.models import Invitation, Role, User
from accounts.selectors import user_by_email
from accounts.services import (
    _validated_email,
    _validated_password,
    user_role_change,
    user_session_record,
)
from accounts.tokens import new_magic_link_secret, secret_hash
from core.audit import audit_log
from core.errors import field_error
from core.tasks import enqueue_on_commit

INVITATION_TTL = dt.timedelta(days=7)
INVITABLE_ROLES = frozenset({Role.MERCHANT, Role.BRAND_ADMIN, Role.STAFF})


def _invalid() -> ValidationError:
    return field_error(
        "token",
        "This invitation is invalid, expired, revoked or already used. Ask for a new one.",
        AccountErrorCode.INVALID_OR_EXPIRED_INVITATION,
    )


def _enqueue_send(invitation: Invitation) -> None:
    from accounts.tasks import send_invitation_task  # tasks import services: import here

    enqueue_on_commit(send_invitation_task, invitation.pk)


def invitation_create(*, actor: User | None, email: str, role: str, full_name: str = "") -> Invitation:
    """Invite ``email`` to the current brand as ``role`` and email the link (after commit).

    An address with an open invitation is refused (resend that one instead); an expired open
    invitation is closed and replaced. An address that already has an account may be invited:
    its owner signs in and takes the role."""
    if role not in INVITABLE_ROLES:
        raise field_error(
            "role", "Invite a merchant, a brand admin or a staff member.", AccountErrorCode.ROLE_NOT_ALLOWED
        )
    email = _validated_email(email)
    existing = user_by_email(email)
    if existing is not None and existing.role == role:
        raise field_error("email", "This person already has this role.", AccountErrorCode.EMAIL_TAKEN)
    now = timezone.now()
    try:
        with transaction.atomic():
            Invitation.objects.filter(
                email=email, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__lte=now
            ).update(revoked_at=now, token_hash=None)
            invitation = Invitation.objects.create(
                email=email,
                role=role,
                full_name=full_name.strip()[:150],
                inviter=actor,
                expires_at=now + INVITATION_TTL,
            )
            audit_log(actor=actor, action="invitation.created", target=invitation, email=email, role=role)
            _enqueue_send(invitation)
    except IntegrityError as error:  # an open invitation of this address (or a concurrent one)
        raise field_error(
            "email",
            "This address already has a pending invitation: resend it instead.",
            AccountErrorCode.INVITATION_PENDING,
        ) from error
    return invitation


def _open_locked(invitation_id: int) -> Invitation:
    invitation = (
        Invitation.objects.select_for_update()
        .filter(pk=invitation_id, accepted_at__isnull=True, revoked_at__isnull=True)
        .first()
    )
    if invitation is None:
        if Invitation.objects.filter(pk=invitation_id).exists():
            raise field_error(
                "id", "This invitation was accepted or revoked.", AccountErrorCode.INVITATION_CLOSED
            )
        raise field_error("id", "No invitation has this id.", AccountErrorCode.NOT_FOUND)
    return invitation


def invitation_resend(*, actor: User | None, invitation_id: int) -> Invitation:
    """Send a new link: the previous token stops working now, the new one is valid 7 days."""
    with transaction.atomic():
        invitation = _open_locked(invitation_id)
        invitation.token_hash = None
        invitation.sent_at = None
        invitation.expires_at = timezone.now() + INVITATION_TTL
        invitation.save(update_fields=["token_hash", "sent_at", "expires_at"])
        audit_log(actor=actor, action="invitation.resent", target=invitation, email=invitation.email)
        _enqueue_send(invitation)
    return invitation


def invitation_revoke(*, actor: User | None, invitation_id: int) -> Invitation:
    """Kill an open invitation's link for good."""
    with transaction.atomic():
        invitation = _open_locked(invitation_id)
        invitation.revoked_at = timezone.now()
        invitation.token_hash = None
        invitation.save(update_fields=["revoked_at", "token_hash"])
        audit_log(actor=actor, action="invitation.revoked", target=invitation, email=invitation.email)
    return invitation


def invitation_send(*, invitation_id: int, deliver: Callable[[Invitation, str], None]) -> bool:
    """Give an unsent, open, unexpired invitation its token and ``deliver`` it, exactly once
    (the row stays locked while delivering: a failed send rolls the token back)."""
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update()
            .filter(pk=invitation_id, accepted_at__isnull=True, revoked_at__isnull=True, sent_at__isnull=True)
            .first()
        )
        if invitation is None or invitation.expires_at <= timezone.now():
            return False
        secret = new_magic_link_secret()
        invitation.token_hash = secret_hash(secret)
        invitation.sent_at = timezone.now()
        invitation.save(update_fields=["token_hash", "sent_at"])
        deliver(invitation, secret)
    return True


def invitation_accept(
    *, request: HttpRequest, token: str, password: str | None = None, full_name: str = ""
) -> User:
    """Accept an invitation and sign in.

    A new address gets an account with the invited role and the chosen password. An address
    that already has an account in the brand must be signed in as that account (the token
    alone does not sign anyone into an existing account); it takes the invited role."""
    now = timezone.now()
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update()
            .filter(
                token_hash=secret_hash(token.strip()),
                accepted_at__isnull=True,
                revoked_at__isnull=True,
                expires_at__gt=now,
            )
            .first()
            if token.strip()
            else None
        )
        if invitation is None:
            raise _invalid()
        existing = user_by_email(invitation.email)
        current: Any = getattr(request, "user", None)
        if existing is not None:
            if not existing.is_active:
                raise _invalid()
            if current is None or not current.is_authenticated:
                raise field_error(
                    "token",
                    "You already have an account here: sign in, then open the invitation again.",
                    AccountErrorCode.SIGN_IN_REQUIRED,
                )
            if current.pk != existing.pk:
                raise field_error(
                    "token",
                    "This invitation is for another account: sign out and sign in as the invitee.",
                    AccountErrorCode.WRONG_ACCOUNT,
                )
            user = user_role_change(actor=invitation.inviter, user=existing, role=invitation.role)
        else:
            if not password:
                raise field_error("password", "Choose a password.", AccountErrorCode.REQUIRED)
            _validated_password(password)
            try:
                with transaction.atomic():
                    user = User.objects.create_user(
                        email=invitation.email,
                        password=password,
                        role=invitation.role,
                        full_name=(full_name.strip() or invitation.full_name)[:150],
                    )
            except IntegrityError as error:  # the address signed up meanwhile
                raise field_error(
                    "token",
                    "You already have an account here: sign in, then open the invitation again.",
                    AccountErrorCode.SIGN_IN_REQUIRED,
                ) from error
            audit_log(actor=user, action="user.created", target=user, role=invitation.role)
        invitation.accepted_at = now
        invitation.accepted_by = user
        invitation.token_hash = None
        invitation.save(update_fields=["accepted_at", "accepted_by", "token_hash"])
        audit_log(actor=user, action="invitation.accepted", target=invitation, role=invitation.role)
    if existing is None:  # an existing account is signed in already (its role change told its sockets)
        auth.login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        user_session_record(request=request, user=user)  # in the person's session list
    return user
