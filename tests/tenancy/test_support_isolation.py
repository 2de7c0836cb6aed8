"""Contact messages stay inside their brand: the inbox, status changes, throttle buckets, tasks."""

from __future__ import annotations

from django.core import mail
from django_tenants.utils import tenant_context

from accounts.models import Role
from support.models import ContactMessage
from support.services import RATE_LIMIT_PER_IP, contact_message_send, ip_hash
from support.tasks import contact_message_email_task
from tests.conftest import make_user
from tests.support.conftest import contact_values, fresh_ip
from tests.support.test_contact_graphql import LIST, SEND, SET_STATUS, _input


def test_brand_b_admin_never_sees_or_touches_brand_a_messages(brand_a, brand_b, gql):
    gql(brand_a).data(SEND, {"input": _input(subject="For Alpha only")}, REMOTE_ADDR=fresh_ip())
    with tenant_context(brand_a):
        contact = ContactMessage.objects.get()
    admin_b = make_user(brand_b, role=Role.BRAND_ADMIN)
    client_b = gql(brand_b, admin_b)

    page = client_b.data(LIST, {"first": 50})["contactMessages"]
    assert page["totalCount"] == 0
    assert page["edges"] == []
    body = client_b.execute(SET_STATUS, {"id": str(contact.pk), "status": "CLOSED"})
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    with tenant_context(brand_a):
        assert ContactMessage.objects.get().status == "new"

    admin_a = make_user(brand_a, role=Role.BRAND_ADMIN)
    assert gql(brand_a, admin_a).data(LIST, {"first": 50})["contactMessages"]["totalCount"] == 1


def test_brand_b_has_its_own_throttle_bucket_and_ip_hash(brand_a, brand_b, gql):
    ip = fresh_ip()
    for _ in range(RATE_LIMIT_PER_IP):
        assert gql(brand_a).data(SEND, {"input": _input()}, REMOTE_ADDR=ip)["contactMessageSend"]["ok"]
    limited = gql(brand_a).data(SEND, {"input": _input()}, REMOTE_ADDR=ip)["contactMessageSend"]
    assert limited["errors"][0]["code"] == "RATE_LIMITED"

    payload = gql(brand_b).data(SEND, {"input": _input()}, REMOTE_ADDR=ip)["contactMessageSend"]
    assert payload == {"ok": True, "errors": []}
    with tenant_context(brand_a):
        hash_a = ip_hash(ip)
    with tenant_context(brand_b):
        assert ContactMessage.objects.get().ip_hash == ip_hash(ip) != hash_a


def test_the_email_task_only_reaches_its_own_brand_admins(brand_a, brand_b):
    admin_a = make_user(brand_a, role=Role.BRAND_ADMIN)
    admin_b = make_user(brand_b, role=Role.BRAND_ADMIN)
    mail.outbox.clear()
    with tenant_context(brand_a):
        contact = contact_message_send(**contact_values())
        assert contact is not None
    with tenant_context(brand_b):
        contact_message_email_task.run(contact.pk)  # the same id in brand B's schema: nothing there
    assert mail.outbox == []
    with tenant_context(brand_a):
        contact_message_email_task.run(contact.pk)
    (sent,) = mail.outbox
    assert admin_a.email in sent.to
    assert admin_b.email not in sent.to
