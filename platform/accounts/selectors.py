from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import ApiToken, Invitation, Role, User, UserSession
from accounts.tokens import secret_hash


def api_tokens_of(user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")


def api_token_active(*, token_id: int) -> ApiToken | None:
    """The token with its user, if it still authenticates (not revoked or expired, user active)."""
    token = ApiToken.objects.select_related("user").filter(pk=token_id).first()
    if token is None or not token.is_active or not token.user.is_active:
        return None
    return token


def session_expires_at(*, session_key: str) -> dt.datetime | None:
    """When the stored session expires, or None when it is gone (logged out, expired)."""
    expires_at: dt.datetime | None = (
        Session.objects.filter(session_key=session_key, expire_date__gt=timezone.now())
        .values_list("expire_date", flat=True)
        .first()
    )
    return expires_at


def user_by_email(email: str) -> User | None:
    return User.objects.filter(email__iexact=email.strip()).first()


def is_brand_admin(user: Any) -> bool:
    """Whether ``user`` (a user, or an anonymous one) is a brand admin of the current brand."""
    return getattr(user, "role", None) == Role.BRAND_ADMIN


def brand_admin_ids() -> list[int]:
    """The active brand admins of the current brand (who hear about withdrawals and reviews)."""
    return list(
        User.objects.filter(role=Role.BRAND_ADMIN, is_active=True).order_by("pk").values_list("pk", flat=True)
    )


def user_contacts(user_ids: list[int]) -> dict[int, tuple[str, bool]]:
    """Email and whether the account is active, per user id (for notifications)."""
    rows = User.objects.filter(pk__in=user_ids).values_list("pk", "email", "is_active")
    return {pk: (email, active) for pk, email, active in rows}


def merchant_applications() -> QuerySet[User]:
    """Users who asked for the merchant role at signup, oldest first."""
    return User.objects.filter(requested_role=Role.MERCHANT, is_active=True).order_by("date_joined", "id")


def users_search(
    *, search: str = "", role: str | None = None, is_active: bool | None = None
) -> QuerySet[User]:
    """The brand's users matching a part of their email or name, a role and a status."""
    users = User.objects.all()
    search = search.strip()
    if search:
        users = users.filter(Q(email__icontains=search) | Q(full_name__icontains=search))
    if role is not None:
        users = users.filter(role=role)
    if is_active is not None:
        users = users.filter(is_active=is_active)
    return users


def user_sessions_of(*, user_id: int) -> QuerySet[UserSession]:
    """A user's sessions that may still be alive, most recently seen first. A session unseen
    for longer than a session lives has expired (Django's expiry counts from its last save,
    which is never after the last request)."""
    since = timezone.now() - dt.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    return UserSession.objects.filter(user_id=user_id, last_seen_at__gt=since).order_by(
        "-last_seen_at", "-id"
    )


def invitations_list(*, limit: int = 200) -> list[Invitation]:
    """The brand's invitations, newest first, with their inviters (one query)."""
    return list(Invitation.objects.select_related("inviter").order_by("-created_at", "-id")[:limit])


def invitation_by_token(token: str) -> Invitation | None:
    """The open, unexpired invitation of ``token`` in the current brand, or None."""
    if not token.strip():
        return None
    return (
        Invitation.objects.filter(
            token_hash=secret_hash(token.strip()),
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .select_related("inviter")
        .first()
    )
