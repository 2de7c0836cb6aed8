"""The notification centre's API over HTTP, Telegram linking by deep link and webhook, and
invoices sent to the customer's Telegram chat."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest
from django.test import Client
from django_tenants.utils import tenant_context

from accounts.models import Role, User
from affiliation.services import conversion_record
from notifications.models import Delivery, MessagingLink, Notification
from notifications.services import channel_configure
from notifications.tasks import user_message_task
from notifications.telegram import invoice_send_by_messaging
from tenants.models import Tenant
from tests.conftest import domain_of, make_user
from tests.engine import make_affiliate, make_click, make_program
from tests.notifications.conftest import CHANNELS, TELEGRAM_TOKEN
from tests.notifications.fakes import Providers

LIST = """
query($first: Int!, $after: String, $unread: Boolean! = false) {
  notifications(first: $first, after: $after, unreadOnly: $unread) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id kind title body url createdAt readAt } }
  }
  notificationUnreadCount
}
"""
MARK = "mutation($ids: [ID!]!) { notificationsMarkRead(ids: $ids) { unreadCount errors { code } } }"
MARK_ALL = "mutation { notificationsMarkAllRead { unreadCount errors { code } } }"
SETTINGS = """
{ notificationSettings { telegramAvailable telegramChat whatsappNumber
    kinds { kind label methods { method enabled available } } } }
"""
PREFERENCE = """
mutation($kind: String!, $method: NotificationMethod!, $enabled: Boolean!) {
  notificationPreferenceSet(input: {kind: $kind, method: $method, enabled: $enabled}) {
    settings { kinds { kind methods { method enabled available } } }
    errors { field code }
  }
}
"""
LINK = "mutation { telegramLinkStart { url expiresAt errors { field code } } }"
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\n%%EOF\n"


def _notify(user: User, count: int, *, kind: str = "commission.created") -> list[Notification]:
    return [
        Notification.objects.create(
            user=user, kind=kind, event_id=uuid.uuid4(), title=f"Commission {i}", url="/commissions"
        )
        for i in range(count)
    ]


def test_my_notifications_newest_first_by_cursor_with_the_unread_count_and_reading(brand_a, gql) -> None:
    me, other = make_user(brand_a), make_user(brand_a)
    with tenant_context(brand_a):
        mine = _notify(me, 3)
        _notify(other, 2)
    client = gql(brand_a, me)

    first = client.data(LIST, {"first": 2})
    page = first["notifications"]
    assert [e["node"]["title"] for e in page["edges"]] == ["Commission 2", "Commission 1"]
    assert (page["totalCount"], page["pageInfo"]["hasNextPage"], first["notificationUnreadCount"]) == (
        3,
        True,
        3,
    )
    rest = client.data(LIST, {"first": 2, "after": page["pageInfo"]["endCursor"]})["notifications"]
    assert [e["node"]["title"] for e in rest["edges"]] == ["Commission 0"]

    assert client.data(MARK, {"ids": [str(mine[2].pk)]})["notificationsMarkRead"] == {
        "unreadCount": 2,
        "errors": [],
    }
    unread = client.data(LIST, {"first": 10, "unread": True})["notifications"]
    assert [e["node"]["title"] for e in unread["edges"]] == ["Commission 1", "Commission 0"]
    assert client.data(MARK_ALL)["notificationsMarkAllRead"]["unreadCount"] == 0
    with tenant_context(brand_a):
        assert Notification.objects.filter(user=other, read_at__isnull=True).count() == 2


def test_anonymous_callers_have_no_notifications(brand_a, gql) -> None:
    body = gql(brand_a).execute("{ notificationUnreadCount }")
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    body = gql(brand_a).execute(MARK_ALL)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_settings_show_each_kind_of_my_role_with_defaults_and_honour_changes(brand_a, gql) -> None:
    affiliate = make_user(brand_a, role=Role.AFFILIATE)
    client = gql(brand_a, affiliate)

    settings = client.data(SETTINGS)["notificationSettings"]
    kinds = {
        k["kind"]: {m["method"]: (m["enabled"], m["available"]) for m in k["methods"]}
        for k in settings["kinds"]
    }
    assert set(kinds) == {
        "commission.created",
        "commission.reversed",
        "affiliate.joined",
        "withdrawal.approved",
        "withdrawal.paid",
        "withdrawal.rejected",
        "withdrawal.failed",
        "kyc.decided",
        "kyc.expiring",
        "kyc.expired",
        "subscription.payment_failed",  # an affiliate may hold a membership
        "stripe_connect.payout_failed",
    }
    assert kinds["commission.created"] == {
        "IN_APP": (True, True),
        "EMAIL": (True, True),
        "TELEGRAM": (False, False),
        "WHATSAPP": (False, False),
    }
    assert kinds["affiliate.joined"]["EMAIL"] == (False, True)
    assert "EMAIL" not in kinds["withdrawal.paid"]
    assert (settings["telegramAvailable"], settings["telegramChat"]) == (False, None)

    changed = client.data(PREFERENCE, {"kind": "commission.created", "method": "EMAIL", "enabled": False})
    payload = changed["notificationPreferenceSet"]
    assert payload["errors"] == []
    (commission,) = [k for k in payload["settings"]["kinds"] if k["kind"] == "commission.created"]
    assert {"method": "EMAIL", "enabled": False, "available": True} in commission["methods"]

    refused = client.data(PREFERENCE, {"kind": "commission.created", "method": "TELEGRAM", "enabled": True})
    assert refused["notificationPreferenceSet"]["errors"] == [{"field": "method", "code": "NOT_LINKED"}]
    refused = client.data(PREFERENCE, {"kind": "withdrawal.requested", "method": "IN_APP", "enabled": False})
    assert refused["notificationPreferenceSet"]["errors"] == [{"field": "kind", "code": "UNKNOWN_EVENT"}]


def _same_id_in(brand: Tenant, user: User) -> User:
    """A user of ``brand`` with the same id as ``user`` (ids are per brand schema)."""
    with tenant_context(brand):
        User.objects.filter(pk=user.pk).delete()
        return User.objects.create_user(
            id=user.pk, email=f"twin-{uuid.uuid4().hex[:8]}@example.com", password="x", role=user.role
        )


def test_brand_b_user_with_the_same_id_never_sees_brand_a_notifications(brand_a, brand_b, gql) -> None:
    user_a = make_user(brand_a)
    user_b = _same_id_in(brand_b, user_a)
    assert user_a.pk == user_b.pk
    with tenant_context(brand_a):
        (theirs,) = _notify(user_a, 1)
    client_b = gql(brand_b, user_b)

    data = client_b.data(LIST, {"first": 10})
    assert (data["notifications"]["totalCount"], data["notificationUnreadCount"]) == (0, 0)
    assert client_b.data(MARK, {"ids": [str(theirs.pk)]})["notificationsMarkRead"]["unreadCount"] == 0
    client_b.data(MARK_ALL)
    with tenant_context(brand_a):
        theirs.refresh_from_db()
        assert theirs.read_at is None
    assert gql(brand_a, user_a).data(LIST, {"first": 10})["notificationUnreadCount"] == 1


# --- Telegram ---------------------------------------------------------------------------------


@pytest.fixture
def bot(brand_a, providers: Providers) -> Any:
    """Brand A's Telegram channel (the admins' alert bot, which users link their chats to)."""
    admin = make_user(brand_a, role=Role.BRAND_ADMIN)
    with tenant_context(brand_a):
        return channel_configure(
            actor=admin, kind="telegram", events=["invoice.created"], **CHANNELS["telegram"]
        )


def _webhook(brand: Tenant, channel_id: int, update: dict[str, Any], secret: str) -> Any:
    return Client().post(
        f"/notifications/telegram/{channel_id}/",
        data=json.dumps(update),
        content_type="application/json",
        HTTP_HOST=domain_of(brand),
        HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=secret,
    )


def test_a_user_links_their_telegram_chat_by_deep_link_once(brand_a, brand_b, gql, providers, bot) -> None:
    affiliate = make_user(brand_a, role=Role.AFFILIATE)
    client = gql(brand_a, affiliate)

    started = client.data(LINK)["telegramLinkStart"]
    assert started["errors"] == []
    match = re.fullmatch(
        r"https://t\.me/AlphaNotifierBot\?start=(?P<token>[A-Za-z0-9_-]{16,64})", started["url"]
    )
    assert match is not None
    webhook_url, secret = providers.telegram.webhooks[TELEGRAM_TOKEN]
    assert webhook_url.endswith(f"/notifications/telegram/{bot.pk}/")
    assert domain_of(brand_a) in webhook_url
    update = providers.telegram.start_update(
        user_id=555001, username="Ana_Doe", text=f"/start {match['token']}"
    )

    assert _webhook(brand_a, bot.pk, update, "wrong").status_code == 403
    assert _webhook(brand_b, bot.pk, update, secret).status_code in (403, 404)  # another brand's bot
    answered = _webhook(brand_a, bot.pk, update, secret)

    assert answered.status_code == 200
    reply = answered.json()
    assert (reply["method"], reply["chat_id"]) == ("sendMessage", 555001)
    assert reply["text"].startswith("Linked")
    with tenant_context(brand_a):
        link = MessagingLink.objects.get(user=affiliate)
    assert (link.method, link.chat_id, link.username) == ("telegram", "555001", "ana_doe")
    again = _webhook(brand_a, bot.pk, update, secret).json()  # the token is spent
    assert "expired" in again["text"]
    settings = client.data(SETTINGS)["notificationSettings"]
    assert (settings["telegramAvailable"], settings["telegramChat"]) == (True, "@ana_doe")


def test_a_linked_user_who_opted_in_gets_commissions_on_telegram(
    brand_a, gql, providers, bot, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    queued: list[tuple[Any, ...]] = []
    monkeypatch.setattr(user_message_task, "apply_async", lambda args, **options: queued.append(tuple(args)))
    with tenant_context(brand_a):
        program = make_program(cascade_rates=[])
        affiliate = make_affiliate(brand_a, program)
        MessagingLink.objects.create(user=affiliate.user, method="telegram", chat_id="555002", username="ana")
    providers.telegram.chats.add("555002")
    gql(brand_a, affiliate.user).data(
        PREFERENCE, {"kind": "commission.created", "method": "TELEGRAM", "enabled": True}
    )
    with tenant_context(brand_a):
        click = make_click(affiliate)
        with django_capture_on_commit_callbacks(execute=True):
            conversion_record(
                source="api", order_id="T-1", amount="50.00", currency="EUR", click_id=str(click.pk)
            )
        (args,) = queued
        user_message_task.apply(args=args)

    (sent,) = providers.telegram.received
    assert sent.path.endswith("/sendMessage")
    assert sent.json["chat_id"] == "555002"
    assert sent.json["text"].startswith("Commission earned: 10.00 EUR")


def test_an_invoice_goes_to_the_telegram_chat_the_customer_chose(
    brand_a, providers, bot, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    queued: list[tuple[Any, ...]] = []
    monkeypatch.setattr(user_message_task, "apply_async", lambda args, **options: queued.append(tuple(args)))
    customer = make_user(brand_a, role=Role.CUSTOMER)
    with tenant_context(brand_a):
        MessagingLink.objects.create(user=customer, method="telegram", chat_id="555003", username="ana_doe")
        send = {
            "contact_channel": "telegram",
            "contact": "@Ana_Doe",
            "payer_id": None,  # checked out as a guest: found by the @username they gave
            "key": "invoice:INV-1",
            "text": "Alpha: invoice INV-1, 29.00 EUR.",
            "document": ("INV-1.pdf", PDF, "application/pdf"),
        }
        with django_capture_on_commit_callbacks(execute=True):
            assert invoice_send_by_messaging(**send) is True
            assert invoice_send_by_messaging(**send) is True  # a redelivered task: claimed once
        assert (
            invoice_send_by_messaging(**{**send, "contact": "@someone_else", "key": "invoice:INV-2"}) is False
        )
        assert (
            invoice_send_by_messaging(**{**send, "contact_channel": "email", "key": "invoice:INV-3"}) is False
        )
        assert Delivery.objects.filter(key__startswith="invoice:").count() == 1
    providers.telegram.chats.add("555003")
    (args,) = queued
    with tenant_context(brand_a):
        user_message_task.apply(args=args)

    (sent,) = providers.telegram.received
    assert sent.path.endswith("/sendDocument")
    assert (sent.fields["chat_id"], sent.files["document"].content) == ("555003", PDF)
    assert sent.files["document"].filename == "INV-1.pdf"


def test_the_invoice_task_sends_the_pdf_to_the_customers_linked_telegram_chat(
    brand_a, providers, bot, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    """Through billing's invoice task: the payment says Telegram, the payer linked their chat."""
    from payments.models import Invoice, Payment
    from payments.tasks import invoice_deliver_task
    from tests.payments.test_delivery_retry import _invoice

    queued: list[tuple[Any, ...]] = []
    monkeypatch.setattr(user_message_task, "apply_async", lambda args, **options: queued.append(tuple(args)))
    with tenant_context(brand_a):
        invoice = _invoice(brand_a)
        payment = invoice.payment
        Payment.objects.filter(pk=payment.pk).update(
            payer_contact_channel="telegram", payer_contact="@ana_doe"
        )
        MessagingLink.objects.create(
            user_id=payment.payer_id, method="telegram", chat_id="555004", username="ana"
        )
        Invoice.objects.filter(pk=invoice.pk).update(emailed_at=None)
        with django_capture_on_commit_callbacks(execute=True):
            invoice_deliver_task.run(invoice.pk)
            invoice_deliver_task.run(invoice.pk)  # redelivered: sent once
        (args,) = queued
        providers.telegram.chats.add("555004")
        user_message_task.apply(args=args)

    (sent,) = providers.telegram.received
    assert sent.path.endswith("/sendDocument")
    assert sent.fields["chat_id"] == "555004"
    assert sent.files["document"].filename == f"{invoice.number}.pdf"
    assert sent.files["document"].content.startswith(b"%PDF")
    assert invoice.number in sent.fields["caption"]
