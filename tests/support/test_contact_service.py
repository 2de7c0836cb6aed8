"""The contact form's service: validation, honeypot, throttling, email and channel notification."""

from __future__ import annotations

import threading

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import close_old_connections, connection
from django_tenants.utils import tenant_context

from accounts.models import Role
from core.models import AuditEvent
from notifications.models import NotificationChannel
from notifications.tasks import deliver_notification_task
from support.models import ContactMessage, ContactMessageStatus
from support.services import (
    RATE_LIMIT_PER_EMAIL,
    RATE_LIMIT_PER_IP,
    contact_message_send,
    contact_message_status_set,
    ip_hash,
)
from support.tasks import contact_message_email_task
from tests.conftest import make_user
from tests.support.conftest import contact_values, fresh_email, fresh_ip


def _codes(error: ValidationError) -> dict[str, list[str]]:
    return {field: [item.code for item in items] for field, items in error.error_dict.items()}


def test_a_valid_message_is_stored_with_a_hashed_ip_and_audited(brand_a):
    member = make_user(brand_a)
    with tenant_context(brand_a):
        contact = contact_message_send(**contact_values(ip="203.0.113.7", user=member))
        assert contact is not None
        stored = ContactMessage.objects.get(pk=contact.pk)
        assert stored.status == ContactMessageStatus.NEW
        assert stored.locale == "fr"
        assert stored.user_id == member.pk
        assert stored.ip_hash == ip_hash("203.0.113.7")
        assert len(stored.ip_hash) == 32
        assert "203.0.113.7" not in stored.ip_hash
        assert AuditEvent.objects.filter(action="contact.received", target_id=str(contact.pk)).exists()


def test_missing_fields_bad_email_and_long_text_are_field_errors(brand_a):
    with tenant_context(brand_a):
        with pytest.raises(ValidationError) as missing:
            contact_message_send(**contact_values(name=" ", subject="", message=""))
        assert _codes(missing.value) == {
            "name": ["REQUIRED"],
            "subject": ["REQUIRED"],
            "message": ["REQUIRED"],
        }
        with pytest.raises(ValidationError) as invalid:
            contact_message_send(**contact_values(email="not-an-email", message="x" * 5001))
        assert _codes(invalid.value) == {"email": ["INVALID_EMAIL"], "message": ["TOO_LONG"]}
        assert ContactMessage.objects.count() == 0


def test_an_unknown_locale_falls_back_to_the_default_language(brand_a):
    with tenant_context(brand_a):
        contact = contact_message_send(**contact_values(locale="xx"))
        assert contact is not None
        assert contact.locale == "en"


def test_the_honeypot_drops_bots_silently(brand_a, django_capture_on_commit_callbacks):
    with tenant_context(brand_a), django_capture_on_commit_callbacks() as callbacks:
        assert contact_message_send(**contact_values(website="http://spam.example")) is None
        assert ContactMessage.objects.count() == 0
    assert callbacks == []


def test_too_many_messages_from_one_email_are_rate_limited(brand_a):
    email = fresh_email()
    with tenant_context(brand_a):
        for _ in range(RATE_LIMIT_PER_EMAIL):
            contact_message_send(**contact_values(email=email))
        with pytest.raises(ValidationError) as error:
            contact_message_send(**contact_values(email=email.upper()))
        assert _codes(error.value) == {"email": ["RATE_LIMITED"]}
        assert ContactMessage.objects.count() == RATE_LIMIT_PER_EMAIL


def test_too_many_messages_from_one_ip_are_rate_limited(brand_a):
    ip = fresh_ip()
    with tenant_context(brand_a):
        for _ in range(RATE_LIMIT_PER_IP):
            contact_message_send(**contact_values(ip=ip))
        with pytest.raises(ValidationError) as error:
            contact_message_send(**contact_values(ip=ip))
        assert _codes(error.value) == {"email": ["RATE_LIMITED"]}
        # Invalid attempts do not use up the allowance of another sender.
        assert contact_message_send(**contact_values()) is not None


def test_the_brand_admins_are_emailed_once_by_the_task(brand_a, django_capture_on_commit_callbacks):
    admin = make_user(brand_a, role=Role.BRAND_ADMIN)
    make_user(brand_a, role=Role.AFFILIATE)
    mail.outbox.clear()
    with tenant_context(brand_a):
        with django_capture_on_commit_callbacks() as callbacks:
            contact = contact_message_send(**contact_values(subject="Invoices", message="Where are they?"))
        assert contact is not None
        assert len(callbacks) == 1  # the email task; no channel is subscribed
        contact_message_email_task.run(contact.pk)
        contact_message_email_task.run(contact.pk)  # a redelivered task sends nothing more
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert admin.email in sent.to
    assert "Invoices" in sent.subject
    assert "Where are they?" in sent.body
    assert contact.email in sent.body
    assert sent.alternatives  # the brand-themed HTML part


def test_the_email_task_enqueued_on_commit_carries_the_brand_schema(
    brand_a, monkeypatch, django_capture_on_commit_callbacks
):
    enqueued: list[tuple] = []
    monkeypatch.setattr(
        contact_message_email_task,
        "apply_async",
        lambda args, **options: enqueued.append((args, options["headers"]["_schema_name"])),
    )
    with tenant_context(brand_a), django_capture_on_commit_callbacks(execute=True):
        contact = contact_message_send(**contact_values())
    assert contact is not None
    assert enqueued == [((contact.pk,), brand_a.schema_name)]


def test_subscribed_channels_are_notified(brand_a, monkeypatch, django_capture_on_commit_callbacks):
    enqueued: list[tuple] = []
    monkeypatch.setattr(
        deliver_notification_task, "apply_async", lambda args, **options: enqueued.append(tuple(args))
    )
    monkeypatch.setattr(contact_message_email_task, "apply_async", lambda args, **options: None)
    with tenant_context(brand_a):
        subscribed = NotificationChannel.objects.create(
            kind="telegram", config={"chat_id": "-1001"}, secret="t", events=["contact.received"]
        )
        NotificationChannel.objects.create(
            kind="discord", config={"webhook_id": "1"}, secret="t", events=["invoice.created"]
        )
        with django_capture_on_commit_callbacks(execute=True):
            contact_message_send(**contact_values(name="Grace", subject="Hello there"))
    ((channel_id, event, text, document),) = enqueued
    assert (channel_id, event, document) == (subscribed.pk, "contact.received", None)
    assert "Grace" in text
    assert "Hello there" in text


def test_status_changes_are_validated_and_audited(brand_a):
    admin = make_user(brand_a, role=Role.BRAND_ADMIN)
    with tenant_context(brand_a):
        contact = contact_message_send(**contact_values())
        assert contact is not None
        contact_message_status_set(actor=admin, contact=contact, status="answered")
        contact.refresh_from_db()
        assert contact.status == "answered"
        with pytest.raises(ValidationError) as error:
            contact_message_status_set(actor=admin, contact=contact, status="deleted")
        assert _codes(error.value) == {"status": ["INVALID_STATUS"]}
        assert AuditEvent.objects.filter(action="contact.status_set", actor_id=admin.pk).count() == 1


@pytest.mark.live
def test_racing_sends_from_one_email_never_exceed_the_limit(live_brands):
    """12 simultaneous messages from one address: exactly the limit is kept (atomic counters)."""
    brand, _ = live_brands
    email = fresh_email()
    barrier = threading.Barrier(12)
    outcomes: list[str] = []
    lock = threading.Lock()

    def send() -> None:
        try:
            with tenant_context(brand):
                barrier.wait()
                try:
                    contact_message_send(**contact_values(email=email))
                    outcome = "ok"
                except ValidationError as error:
                    outcome = error.error_dict["email"][0].code
            with lock:
                outcomes.append(outcome)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert outcomes.count("ok") == RATE_LIMIT_PER_EMAIL
    assert outcomes.count("RATE_LIMITED") == 12 - RATE_LIMIT_PER_EMAIL
    with tenant_context(brand):
        assert ContactMessage.objects.filter(email=email).count() == RATE_LIMIT_PER_EMAIL
