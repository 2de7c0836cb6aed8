from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import ApiToken, User


def api_tokens_of(user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")


def user_by_email(email: str) -> User | None:
    return User.objects.filter(email__iexact=email.strip()).first()
