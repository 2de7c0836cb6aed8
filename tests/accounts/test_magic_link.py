from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import MagicLink
from accounts.services import magic_link_send
from tests.conftest import make_user

REQUEST = 'mutation { magicLinkRequest(email: "%s") { ok errors { code } } }'
LOGIN = "mutation Login($token: String!) { magicLinkLogin(token: $token) { user { email } errors { field code } } }"


def _issue(brand, user, *, age=dt.timedelta(0)):
    """A sent link, as the task leaves it; returns the secret it delivered."""
    delivered = []
    with tenant_context(brand):
        link = MagicLink.objects.create(user=user, expires_at=timezone.now() + dt.timedelta(minutes=15))
        assert magic_link_send(link_id=link.pk, deliver=lambda _link, secret: delivered.append(secret))
        MagicLink.objects.filter(pk=link.pk).update(expires_at=link.expires_at - age)
    return delivered[0]


def test_a_link_logs_in_once(gql, brand_a):
    user = make_user(brand_a)
    secret = _issue(brand_a, user)
    client = gql(brand_a)

    first = client.data(LOGIN, {"token": secret})["magicLinkLogin"]
    second = gql(brand_a).data(LOGIN, {"token": secret})["magicLinkLogin"]

    assert first == {"user": {"email": user.email}, "errors": []}
    assert client.data("{ me { email } }")["me"]["email"] == user.email
    assert second == {"user": None, "errors": [{"field": "token", "code": "INVALID_OR_EXPIRED_LINK"}]}


def test_a_link_expires_after_15_minutes(gql, brand_a):
    secret = _issue(brand_a, make_user(brand_a), age=dt.timedelta(minutes=15, seconds=1))

    payload = gql(brand_a).data(LOGIN, {"token": secret})["magicLinkLogin"]

    assert payload["errors"] == [{"field": "token", "code": "INVALID_OR_EXPIRED_LINK"}]


def test_a_link_of_brand_a_does_not_work_on_brand_b(gql, brand_a, brand_b):
    secret = _issue(brand_a, make_user(brand_a))

    payload = gql(brand_b).data(LOGIN, {"token": secret})["magicLinkLogin"]

    assert payload["errors"][0]["code"] == "INVALID_OR_EXPIRED_LINK"


def test_a_link_is_delivered_once_even_if_the_task_runs_twice(brand_a):
    user = make_user(brand_a)
    delivered = []
    with tenant_context(brand_a):
        link = MagicLink.objects.create(user=user, expires_at=timezone.now() + dt.timedelta(minutes=15))

        assert magic_link_send(link_id=link.pk, deliver=lambda _link, secret: delivered.append(secret))
        assert not magic_link_send(link_id=link.pk, deliver=lambda _link, secret: delivered.append(secret))

    assert len(delivered) == 1


def test_a_failed_delivery_leaves_the_link_unsent_for_the_retry(brand_a):
    user = make_user(brand_a)
    delivered = []

    def smtp_down(_link, _secret):
        raise ConnectionRefusedError("smtp down")

    with tenant_context(brand_a):
        link = MagicLink.objects.create(user=user, expires_at=timezone.now() + dt.timedelta(minutes=15))
        with pytest.raises(ConnectionRefusedError):
            magic_link_send(link_id=link.pk, deliver=smtp_down)
        link.refresh_from_db()
        assert (link.sent_at, link.token_hash) == (None, None)

        assert magic_link_send(link_id=link.pk, deliver=lambda _link, secret: delivered.append(secret))
    assert len(delivered) == 1


def test_requesting_a_link_answers_the_same_for_unknown_emails(
    gql, brand_a, django_capture_on_commit_callbacks
):
    make_user(brand_a, email="known@example.com")

    with django_capture_on_commit_callbacks() as callbacks:
        known = gql(brand_a).data(REQUEST % "known@example.com")["magicLinkRequest"]
        unknown = gql(brand_a).data(REQUEST % "unknown@example.com")["magicLinkRequest"]

    assert known == unknown == {"ok": True, "errors": []}
    assert len(callbacks) == 1  # one task enqueued, after commit, for the known account only
    with tenant_context(brand_a):
        assert MagicLink.objects.filter(user__email="known@example.com", sent_at__isnull=True).count() == 1


def test_magic_link_email_is_sent_by_the_task_with_a_working_link(gql, brand_a):
    from accounts.tasks import send_magic_link_task

    user = make_user(brand_a)
    with tenant_context(brand_a):
        link = MagicLink.objects.create(user=user, expires_at=timezone.now() + dt.timedelta(minutes=15))
        send_magic_link_task.run(link.pk)
        send_magic_link_task.run(link.pk)  # a redelivered message sends nothing more

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [user.email]
    token = re.search(r"token=([\w-]+)", mail.outbox[0].body).group(1)
    assert "alpha.localhost" in mail.outbox[0].body
    assert gql(brand_a).data(LOGIN, {"token": token})["magicLinkLogin"]["user"]["email"] == user.email
