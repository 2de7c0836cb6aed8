"""Celery tasks run in the schema of the brand that enqueued them (real worker, Redis broker)."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from django.core import mail
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import MagicLink
from accounts.tasks import purge_expired_auth_artifacts_task
from tests.conftest import make_user

pytestmark = pytest.mark.live


def _wait_for(condition, timeout: float = 60.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_a_magic_link_task_runs_in_the_brand_that_asked(live_brands, live_client, celery_worker_thread):
    brand, other = live_brands
    make_user(brand, email="same@example.com")
    other_user = make_user(other, email="same@example.com")
    mail.outbox.clear()
    browser = live_client(brand)

    response = browser.post(
        'mutation { magicLinkRequest(email: "same@example.com") { ok } }',
        headers={"X-CSRFToken": browser.csrf_token()},
    )
    assert response.json()["data"]["magicLinkRequest"]["ok"] is True

    message = _wait_for(lambda: mail.outbox[0] if mail.outbox else None)
    assert message.to == ["same@example.com"]
    assert browser.host in message.body
    with tenant_context(brand):
        assert MagicLink.objects.filter(sent_at__isnull=False).count() == 1
    with tenant_context(other):
        assert not MagicLink.objects.filter(user=other_user).exists()
    token = re.search(r"token=([\w-]+)", message.body).group(1)
    login = "mutation($t: String!) { magicLinkLogin(token: $t) { user { email } errors { code } } }"
    foreign = live_client(other)
    refused = foreign.post(login, {"t": token}, headers={"X-CSRFToken": foreign.csrf_token()}).json()
    accepted = browser.post(login, {"t": token}, headers={"X-CSRFToken": browser.csrf_token()}).json()
    assert refused["data"]["magicLinkLogin"]["errors"] == [{"code": "INVALID_OR_EXPIRED_LINK"}]
    assert accepted["data"]["magicLinkLogin"]["user"] == {"email": "same@example.com"}


def test_the_beat_job_cleans_every_brand_in_its_own_schema(live_brands, celery_worker_thread):
    old = timezone.now() - dt.timedelta(days=2)
    fresh = timezone.now() + dt.timedelta(minutes=10)
    counts = {}
    for brand in live_brands:
        user = make_user(brand)
        with tenant_context(brand):
            MagicLink.objects.create(user=user, expires_at=old)
            MagicLink.objects.create(user=user, expires_at=fresh)

    purge_expired_auth_artifacts_task.delay()

    def purged() -> bool:
        for brand in live_brands:
            with tenant_context(brand):
                counts[brand.schema_name] = MagicLink.objects.count()
        return all(count == 1 for count in counts.values())

    _wait_for(purged)
    for brand in live_brands:
        with tenant_context(brand):
            assert MagicLink.objects.get().expires_at == fresh


def test_the_release_job_releases_due_commissions_in_every_brand(live_brands, celery_worker_thread):
    from affiliation.models import Commission, CommissionStatus
    from affiliation.services import conversion_record
    from affiliation.tasks import release_due_commissions_task
    from tests.engine import make_affiliate, make_click, make_program

    for index, brand in enumerate(live_brands):
        with tenant_context(brand):
            affiliate = make_affiliate(brand, make_program(hold_days=0, cascade_rates=[]))
            click = make_click(affiliate)
            conversion_record(
                source="api", order_id=f"rel-{index}", amount="10.00", currency="EUR", click_id=str(click.id)
            )

    release_due_commissions_task.delay()

    def released() -> bool:
        statuses = []
        for brand in live_brands:
            with tenant_context(brand):
                statuses += list(Commission.objects.values_list("status", flat=True))
        return bool(statuses) and all(status == CommissionStatus.AVAILABLE for status in statuses)

    _wait_for(released)
