from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accounts.models import ApiToken, Role, User


def api_tokens_of(user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")


def user_by_email(email: str) -> User | None:
    return User.objects.filter(email__iexact=email.strip()).first()


def is_brand_admin(user: Any) -> bool:
    """Whether ``user`` (a user, or an anonymous one) is a brand admin of the current brand."""
    return getattr(user, "role", None) == Role.BRAND_ADMIN


def merchant_applications() -> QuerySet[User]:
    """Users who asked for the merchant role at signup, oldest first."""
    return User.objects.filter(requested_role=Role.MERCHANT, is_active=True).order_by("date_joined", "id")
