from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Role, User
from support.models import ContactMessage


def contact_messages(*, status: str | None = None) -> QuerySet[ContactMessage]:
    messages = ContactMessage.objects.select_related("user")
    if status is not None:
        messages = messages.filter(status=status)
    return messages


def brand_admin_emails() -> list[str]:
    return list(
        User.objects.filter(role=Role.BRAND_ADMIN, is_active=True)
        .order_by("pk")
        .values_list("email", flat=True)
    )
