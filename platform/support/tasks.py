"""The email to the brand admins about a contact message (Celery, in the brand's schema)."""

from __future__ import annotations

from django.core.cache import cache

from config.celery import app
from core.emails import send_brand_email
from core.tenancy import tenant_connection
from support.models import ContactMessage
from support.selectors import brand_admin_emails


@app.task(autoretry_for=(OSError,), max_retries=5, retry_backoff=True)
def contact_message_email_task(message_id: int) -> None:
    """Email every active brand admin the message, once (a redelivered task sends nothing)."""
    contact = ContactMessage.objects.filter(pk=message_id).first()
    if contact is None:
        return
    recipients = brand_admin_emails()
    if not recipients:
        return
    sent_key = f"contact-email:{contact.pk}"
    if not cache.add(sent_key, 1, timeout=7 * 24 * 3600):
        return
    brand = tenant_connection().tenant.name
    text = (
        f"New message from the contact form of {brand}.\n\n"
        f"From: {contact.name} <{contact.email}>\n\n"
        f"Subject: {contact.subject}\n\n"
        f"{contact.message}\n"
    )
    try:
        send_brand_email(to=recipients, subject=f"Contact: {contact.subject} ({brand})", text=text)
    except OSError:
        cache.delete(sent_key)  # let the retry send it
        raise
