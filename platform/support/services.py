"""The contact form: validate, throttle, store, then tell the brand admins (email and channels).

A filled ``website`` field (the honeypot, hidden from people) marks a bot: the message is
dropped and the caller answers as if it were sent, so the bot learns nothing.
"""

from __future__ import annotations

import hmac
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from core.audit import audit_log
from core.errors import field_error
from core.ratelimit import rate_limit_hit
from core.tasks import enqueue_on_commit
from core.tenancy import current_schema
from notifications.models import NotificationEvent
from notifications.services import notify_brand
from support.error_codes import SupportErrorCode as Code
from support.models import (
    MESSAGE_MAX_LENGTH,
    NAME_MAX_LENGTH,
    SUBJECT_MAX_LENGTH,
    ContactMessage,
    ContactMessageStatus,
)
from support.tasks import contact_message_email_task

RATE_LIMIT_PER_IP = 5
RATE_LIMIT_PER_EMAIL = 5
RATE_LIMIT_WINDOW_SECONDS = 3600
EMAIL_MAX_LENGTH = 254


def ip_hash(ip: str) -> str:
    """HMAC-SHA256 keyed with the secret key, of the brand's schema and the IP, as the click lane
    hashes it: the same sender hashes differently per brand and the IPv4 space cannot be replayed."""
    message = current_schema().encode() + b"\x00" + ip.encode()
    return hmac.digest(settings.SECRET_KEY.encode(), message, "sha256")[:16].hex()


def _buckets(ip_digest: str, email: str) -> tuple[str, str]:
    return f"contact:ip:{ip_digest}", f"contact:email:{email.lower()}"


def _validated(name: str, email: str, subject: str, message: str) -> dict[str, str]:
    values = {
        "name": name.strip(),
        "email": email.strip(),
        "subject": subject.strip(),
        "message": message.strip(),
    }
    limits = {
        "name": NAME_MAX_LENGTH,
        "email": EMAIL_MAX_LENGTH,
        "subject": SUBJECT_MAX_LENGTH,
        "message": MESSAGE_MAX_LENGTH,
    }
    errors: dict[str, ValidationError] = {}
    for field, value in values.items():
        if not value:
            errors[field] = ValidationError("This field is required.", code=Code.REQUIRED)
        elif len(value) > limits[field]:
            errors[field] = ValidationError(
                f"At most {limits[field]} characters, please.", code=Code.TOO_LONG
            )
    if "email" not in errors:
        try:
            validate_email(values["email"])
        except ValidationError:
            errors["email"] = ValidationError("Enter a valid email address.", code=Code.INVALID_EMAIL)
    if errors:
        raise ValidationError(errors)
    return values


def contact_message_send(
    *,
    name: str,
    email: str,
    subject: str,
    message: str,
    locale: str = "en",
    ip: str = "",
    user: Any = None,
    website: str = "",
) -> ContactMessage | None:
    """Store a contact message and notify the brand admins after commit.

    Returns None when the honeypot caught a bot. Throttled per hashed IP and per email
    (``RATE_LIMITED`` on ``email``): invalid input does not count, refused sends do.
    """
    if website.strip():
        return None
    values = _validated(name, email, subject, message)
    digest = ip_hash(ip) if ip else ""
    ip_bucket, email_bucket = _buckets(digest, values["email"])
    buckets = [(email_bucket, RATE_LIMIT_PER_EMAIL)] + ([(ip_bucket, RATE_LIMIT_PER_IP)] if digest else [])
    # Count first (atomic INCR), then check: concurrent sends cannot all slip under the limit.
    # A bucket is exceeded at its limit, so ``limit + 1`` lets exactly ``limit`` messages through.
    states = [
        rate_limit_hit(bucket, limit=limit + 1, window_seconds=RATE_LIMIT_WINDOW_SECONDS)
        for bucket, limit in buckets
    ]
    for state in states:
        if state.is_exceeded:
            minutes = max(1, state.retry_after_seconds // 60)
            raise field_error(
                "email", f"Too many messages. Try again in {minutes} minutes.", Code.RATE_LIMITED
            )
    languages = {code for code, _ in settings.LANGUAGES}
    signed_in = user if getattr(user, "is_authenticated", False) else None
    with transaction.atomic():
        contact = ContactMessage.objects.create(
            **values,
            locale=locale if locale in languages else settings.LANGUAGE_CODE.split("-")[0],
            ip_hash=digest,
            user=signed_in,
        )
        audit_log(actor=signed_in, action="contact.received", target=contact, email=contact.email)
        enqueue_on_commit(contact_message_email_task, contact.pk)
        notify_brand(
            NotificationEvent.CONTACT_RECEIVED,
            f"Contact message from {contact.name} <{contact.email}>: {contact.subject}",
        )
    return contact


def contact_message_status_set(*, actor: Any, contact: ContactMessage, status: str) -> ContactMessage:
    if status not in ContactMessageStatus.values:
        raise field_error("status", "Unknown status.", Code.INVALID_STATUS)
    if contact.status == status:
        return contact
    previous = contact.status
    with transaction.atomic():
        contact.status = status
        contact.save(update_fields=["status"])
        audit_log(actor=actor, action="contact.status_set", target=contact, previous=previous, status=status)
    return contact
