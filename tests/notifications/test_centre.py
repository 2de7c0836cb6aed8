"""The notification centre: who is told of which event, on which method, once (notifications.centre,
notifications.kinds, the subscribers), and its API over HTTP."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.core import mail
from django_tenants.utils import tenant_context

from accounts.models import Role
from affiliation.models import AffiliateStatus
from affiliation.services import affiliate_join, conversion_record
from core.events import Event, dispatch
from core.models import OutboxEvent
from notifications.centre import notification_preference_set, notifications_mark_read, notify_event
from notifications.models import Delivery, MessagingLink, Notification, NotificationPreference
from notifications.tasks import notification_email_task, user_message_task
from tenants.models import Tenant
from tests.conftest import make_user
from tests.engine import make_affiliate, make_click, make_program


@pytest.fixture
def queued(monkeypatch: Any) -> list[tuple[str, tuple[Any, ...]]]:
    """Tasks the centre enqueues, captured instead of sent to the broker (run them with .apply)."""
    sent: list[tuple[str, tuple[Any, ...]]] = []
    for task in (notification_email_task, user_message_task):
        monkeypatch.setattr(
            task, "apply_async", lambda args, task=task, **options: sent.append((task.name, tuple(args)))
        )
    return sent


def _sale(brand: Tenant, capture: Any, *, order_id: str = "A-1", amount: str = "200.00") -> Any:
    """A program, an affiliate, a click and a sale; after-commit subscribers run (captured)."""
    program = make_program(cascade_rates=[])
    affiliate = make_affiliate(brand, program)
    click = make_click(affiliate)
    with capture(execute=True):
        conversion_record(
            source="api", order_id=order_id, amount=amount, currency="EUR", click_id=str(click.pk)
        )
    return affiliate


def _emails(queued: list[tuple[str, tuple[Any, ...]]]) -> list[tuple[Any, ...]]:
    return [args for name, args in queued if name == notification_email_task.name]


def test_a_sale_tells_the_affiliate_in_the_app_and_by_email_once(
    brand_a: Tenant, queued: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with tenant_context(brand_a):
        affiliate = _sale(brand_a, django_capture_on_commit_callbacks)

        (notification,) = Notification.objects.filter(user=affiliate.user)
        event = OutboxEvent.objects.get(pk=notification.event_id)
        # Dispatched again (the sweep, a redelivery) or handled twice: nothing more.
        assert dispatch(brand_a.schema_name, event.id) is False
        again = Event(
            event.id, event.name, event.version, event.payload, event.occurred_at, brand_a.schema_name
        )
        with django_capture_on_commit_callbacks(execute=True):
            assert notify_event(again) == 0
        assert Notification.objects.filter(user=affiliate.user).count() == 1

    assert notification.kind == "commission.created"
    assert notification.title == "Commission earned: 40.00 EUR"
    assert notification.body == "A sale earned you 40.00 EUR (pending)."
    assert notification.url == "/commissions"
    assert notification.read_at is None
    (email,) = _emails(queued)
    assert email[0] == affiliate.user.pk
    assert email[1] == "Commission earned: 40.00 EUR"


def test_the_email_carries_the_brand_link_and_reaches_the_dev_outbox(
    brand_a: Tenant, queued: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with tenant_context(brand_a):
        affiliate = _sale(brand_a, django_capture_on_commit_callbacks)
        mail.outbox.clear()
        (args,) = _emails(queued)
        notification_email_task.apply(args=args)

    (message,) = mail.outbox
    assert message.to == [affiliate.user.email]
    assert message.subject == f"Commission earned: 40.00 EUR ({brand_a.name})"
    assert "/commissions" in message.body


def test_texts_follow_the_brand_language(
    brand_a: Tenant, queued: Any, django_capture_on_commit_callbacks: Any
) -> None:
    brand_a.language = "fr"
    brand_a.save(update_fields=["language"])
    with tenant_context(brand_a):
        affiliate = _sale(brand_a, django_capture_on_commit_callbacks)
        notification = Notification.objects.get(user=affiliate.user)
    assert notification.title == "Commission gagnée : 40.00 EUR"
    assert notification.body == "Une vente vous a rapporté 40.00 EUR (en attente)."


def test_an_opted_out_kind_is_not_delivered_on_that_method(
    brand_a: Tenant, queued: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with tenant_context(brand_a):
        program = make_program(cascade_rates=[])
        quiet, emailless = make_affiliate(brand_a, program), make_affiliate(brand_a, program)
        notification_preference_set(
            user=quiet.user, kind="commission.created", method="in_app", enabled=False
        )
        notification_preference_set(user=quiet.user, kind="commission.created", method="email", enabled=False)
        notification_preference_set(
            user=emailless.user, kind="commission.created", method="email", enabled=False
        )
        for index, affiliate in enumerate((quiet, emailless)):
            click = make_click(affiliate)
            with django_capture_on_commit_callbacks(execute=True):
                conversion_record(
                    source="api",
                    order_id=f"B-{index}",
                    amount="10.00",
                    currency="EUR",
                    click_id=str(click.pk),
                )

        assert not Notification.objects.filter(user=quiet.user).exists()
        assert Notification.objects.filter(user=emailless.user).count() == 1
        assert _emails(queued) == []
        assert not Delivery.objects.exists()


def test_withdrawal_requests_reach_brand_admins_and_the_statuses_the_affiliate(
    brand_a: Tenant, queued: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from payouts.services import withdrawal_approve, withdrawal_request
    from tests.payouts.test_withdrawals import PAYPAL, _earn

    with tenant_context(brand_a):
        admin = make_user(brand_a, role=Role.BRAND_ADMIN)
        other_admin = make_user(brand_a, role=Role.BRAND_ADMIN)
        program = make_program(cascade_rates=[])
        affiliate = make_affiliate(brand_a, program)
        _earn(affiliate, "100.00", "fund-1")
        with django_capture_on_commit_callbacks(execute=True):
            withdrawal = withdrawal_request(
                affiliate=affiliate, amount="25.00", method="paypal", details=PAYPAL
            )
        with django_capture_on_commit_callbacks(execute=True):
            withdrawal_approve(actor=admin, withdrawal=withdrawal)

        for user in (admin, other_admin):
            (told,) = Notification.objects.filter(user=user)
            assert (told.kind, told.title, told.url) == (
                "withdrawal.requested",
                "Withdrawal requested: 25.00 EUR",
                "/admin/withdrawals",
            )
        (approved,) = Notification.objects.filter(user=affiliate.user)
        assert (approved.kind, approved.title) == ("withdrawal.approved", "Withdrawal approved: 25.00 EUR")
    # Money: admins are emailed the request; the affiliate's status emails stay with payouts.
    assert sorted(args[0] for args in _emails(queued)) == sorted([admin.pk, other_admin.pk])


def test_a_pending_member_is_announced_to_admins_and_welcomed(
    brand_a: Tenant, queued: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with tenant_context(brand_a):
        admin = make_user(brand_a, role=Role.BRAND_ADMIN)
        program = make_program(cascade_rates=[], auto_approve=False)
        user = make_user(brand_a, role=Role.AFFILIATE)
        with django_capture_on_commit_callbacks(execute=True):
            affiliate = affiliate_join(user=user, program=program, referral_code="")
        assert affiliate.status == AffiliateStatus.PENDING
        (welcome,) = Notification.objects.filter(user=user)
        (review,) = Notification.objects.filter(user=admin)
    assert (welcome.title, welcome.body) == ("You joined a program", "Your membership is pending.")
    assert (review.title, review.url) == ("New affiliate to review", "/admin/users")


def test_preferences_refuse_unknown_kinds_other_roles_kinds_and_unlinked_chats(brand_a: Tenant) -> None:
    from django.core.exceptions import ValidationError

    with tenant_context(brand_a):
        affiliate = make_user(brand_a, role=Role.AFFILIATE)
        cases = [
            ("nothing.happened", "in_app", True, "UNKNOWN_EVENT"),
            ("withdrawal.requested", "in_app", True, "UNKNOWN_EVENT"),  # an admins' kind
            ("withdrawal.paid", "email", True, "INVALID"),  # payouts emails it already
            ("commission.created", "telegram", True, "NOT_LINKED"),
        ]
        for kind, method, enabled, code in cases:
            with pytest.raises(ValidationError) as raised:
                notification_preference_set(user=affiliate, kind=kind, method=method, enabled=enabled)
            assert [e.code for errors in raised.value.error_dict.values() for e in errors] == [code]
        assert not NotificationPreference.objects.exists()
        MessagingLink.objects.create(user=affiliate, method="telegram", chat_id="42", username="ana_doe")
        notification_preference_set(
            user=affiliate, kind="commission.created", method="telegram", enabled=True
        )
        assert NotificationPreference.objects.get().enabled is True


def test_marking_read_touches_only_my_notifications(
    brand_a: Tenant, django_capture_on_commit_callbacks: Any
) -> None:
    with tenant_context(brand_a):
        me, other = make_user(brand_a), make_user(brand_a)
        mine = [
            Notification.objects.create(
                user=me, kind="commission.created", event_id=uuid.uuid4(), title=f"n{i}"
            )
            for i in range(3)
        ]
        theirs = Notification.objects.create(
            user=other, kind="commission.created", event_id=uuid.uuid4(), title="x"
        )
        with django_capture_on_commit_callbacks(execute=True):
            assert notifications_mark_read(user=me, notification_ids=[mine[0].pk, theirs.pk]) == 2
        theirs.refresh_from_db()
        assert theirs.read_at is None
        assert notifications_mark_read(user=me) == 0
        assert Notification.objects.filter(user=other, read_at__isnull=True).count() == 1


def test_my_data_export_holds_my_notifications_and_linked_chats_and_erasure_removes_them(
    brand_a: Tenant,
) -> None:
    from privacy.export import export_data
    from privacy.services import user_anonymise

    with tenant_context(brand_a):
        me, other = make_user(brand_a), make_user(brand_a)
        Notification.objects.create(user=me, kind="commission.created", event_id=uuid.uuid4(), title="Mine")
        Notification.objects.create(
            user=other, kind="commission.created", event_id=uuid.uuid4(), title="Theirs"
        )
        MessagingLink.objects.create(user=me, method="telegram", chat_id="42", username="ana_doe")
        notification_preference_set(user=me, kind="commission.created", method="email", enabled=False)

        exported = export_data(me)["notifications.json"]
        assert [row["title"] for row in exported["notifications"]] == ["Mine"]
        assert exported["linked_chats"][0]["username"] == "ana_doe"
        assert exported["preferences"] == [
            {"kind": "commission.created", "method": "email", "enabled": False}
        ]

        user_anonymise(user=me)
        assert not Notification.objects.filter(user=me).exists()
        assert not MessagingLink.objects.filter(user=me).exists()
        assert Notification.objects.filter(user=other).count() == 1


def test_the_merchant_a_sale_was_recorded_for_hears_of_it_in_the_app_only(
    brand_a: Tenant, queued: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from affiliation.models import Conversion

    with tenant_context(brand_a):
        merchant = make_user(brand_a, role=Role.MERCHANT)
        program = make_program(cascade_rates=[])
        affiliate = make_affiliate(brand_a, program)
        click = make_click(affiliate)
        result = conversion_record(
            source="api", order_id="M-1", amount="80.00", currency="EUR", click_id=str(click.pk)
        )
        Conversion.objects.filter(pk=result.conversion.pk).update(merchant=merchant)
        row = OutboxEvent.objects.get(name="conversion.created", payload__conversion_id=result.conversion.pk)
        event = Event(row.id, row.name, row.version, row.payload, row.occurred_at, brand_a.schema_name)
        with django_capture_on_commit_callbacks(execute=True):
            assert notify_event(event) == 1
        (told,) = Notification.objects.filter(user=merchant)
    assert (told.title, told.body, told.url) == (
        "New sale: 80.00 EUR",
        "Order M-1 was credited to an affiliate.",
        "/merchant/sales",
    )
    assert _emails(queued) == []  # email is off by default for sales


def test_a_page_of_notifications_costs_the_same_queries_whatever_its_size(brand_a: Tenant, gql: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    query = "{ notifications(first: 20) { totalCount edges { node { id title readAt } } } notificationUnreadCount }"
    few, many = make_user(brand_a), make_user(brand_a)
    with tenant_context(brand_a):
        for user, count in ((few, 2), (many, 20)):
            for index in range(count):
                Notification.objects.create(
                    user=user, kind="commission.created", event_id=uuid.uuid4(), title=f"n{index}"
                )
    counts = []
    for user in (few, many):
        client = gql(brand_a, user)
        client.data(query)  # warm: session and rate-limit reads happen on every request alike
        with CaptureQueriesContext(connection) as captured:
            data = client.data(query)
        assert len(data["notifications"]["edges"]) == (2 if user is few else 20)
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_the_purge_forgets_old_claims_read_notifications_and_spent_tokens_only(
    brand_a: Tenant, settings: Any
) -> None:
    import datetime as dt

    from django.utils import timezone

    from notifications.centre import notifications_purge
    from notifications.models import TelegramLinkToken

    settings.OUTBOX_RETENTION_DAYS, settings.NOTIFICATIONS_READ_RETENTION_DAYS = 30, 180
    now = timezone.now()
    with tenant_context(brand_a):
        user = make_user(brand_a)
        old_claim, new_claim = Delivery.objects.create(key="old"), Delivery.objects.create(key="new")
        Delivery.objects.filter(pk=old_claim.pk).update(created_at=now - dt.timedelta(days=32))
        _read_long_ago, unread_long_ago, _read_lately = (
            Notification.objects.create(
                user=user, kind="commission.created", event_id=uuid.uuid4(), title=title, read_at=read_at
            )
            for title, read_at in (
                ("old", now - dt.timedelta(days=181)),
                ("unread", None),
                ("recent", now - dt.timedelta(days=3)),
            )
        )
        Notification.objects.filter(pk=unread_long_ago.pk).update(created_at=now - dt.timedelta(days=400))
        TelegramLinkToken.objects.create(
            user=user, token_hash="a" * 64, expires_at=now - dt.timedelta(days=2)
        )
        TelegramLinkToken.objects.create(
            user=user, token_hash="b" * 64, expires_at=now + dt.timedelta(minutes=5)
        )

        assert notifications_purge(now=now) == {"deliveries": 1, "notifications": 1, "link_tokens": 1}
        assert list(Delivery.objects.values_list("key", flat=True)) == [new_claim.key]
        assert set(Notification.objects.filter(user=user).values_list("title", flat=True)) == {
            "unread",
            "recent",
        }
        assert TelegramLinkToken.objects.filter(user=user).count() == 1
