"""Webhooks across brands, with a real Celery worker: the retry sweep (a beat job over every
brand) attempts each brand's due deliveries in that brand's schema, with that brand's endpoint
and secret; an endpoint disabled after failing for 3 days emails its own brand's admins only.
(The API side — another brand's endpoints and deliveries under the same ids — is in
tests/webhooks/test_api.py; a sale in one brand reaching only its endpoints, in
tests/webhooks/test_webhooks_live.py.)"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Role
from tests.conftest import make_user
from tests.webhooks.receiver import Receiver
from webhooks import services
from webhooks.models import DeliveryStatus, DisabledReason, WebhookDelivery, WebhookEndpoint
from webhooks.tasks import webhook_retry_sweep_task

pytestmark = pytest.mark.live


@pytest.fixture
def receiver_factory() -> Any:
    from tests.webhooks.receiver import receivers

    yield from receivers()


def _wait_for(condition: Callable[[], Any], timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_the_retry_sweep_attempts_each_brands_deliveries_in_its_own_schema(
    live_brands: Any, celery_worker_thread: None, receiver_factory: Callable[[], Receiver]
) -> None:
    failing_brand, healthy_brand = live_brands
    admins = {brand.schema_name: make_user(brand, role=Role.BRAND_ADMIN) for brand in live_brands}
    receivers = {failing_brand.schema_name: receiver_factory(), healthy_brand.schema_name: receiver_factory()}
    receivers[failing_brand.schema_name].statuses = [500]
    setup: dict[str, tuple[str, str, int]] = {}
    for brand in live_brands:
        with tenant_context(brand):
            endpoint, secret = services.endpoint_create(
                actor=None, url=receivers[brand.schema_name].url, event_types=[], all_events=True
            )
            event_id = uuid.uuid4()
            delivery = WebhookDelivery.objects.create(
                endpoint=endpoint,
                event_id=event_id,
                event_name="brand.updated",
                payload={"changed": [brand.schema_name]},
                occurred_at=timezone.now(),
                next_attempt_at=timezone.now() - dt.timedelta(minutes=5),  # due, and nobody queued it
            )
            setup[brand.schema_name] = (str(event_id), secret, delivery.pk)
    with tenant_context(failing_brand):  # failing for 3 days already
        WebhookEndpoint.objects.update(failing_since=timezone.now() - dt.timedelta(days=3, minutes=1))
    mail.outbox.clear()

    webhook_retry_sweep_task.delay()

    for brand in live_brands:
        event_id, secret, _ = setup[brand.schema_name]
        [request] = receivers[brand.schema_name].wait_for(1)
        assert request.headers["webhook-id"] == event_id
        assert request.verified(secret)["data"] == {"changed": [brand.schema_name]}

    def settled(brand: Any) -> WebhookDelivery | None:
        with tenant_context(brand):
            delivery = WebhookDelivery.objects.get(pk=setup[brand.schema_name][2])
            return delivery if delivery.attempt_count == 1 else None

    assert _wait_for(lambda: settled(healthy_brand)).status == DeliveryStatus.SUCCESS
    assert _wait_for(lambda: settled(failing_brand)).status == DeliveryStatus.PENDING  # retried later
    with tenant_context(failing_brand):
        endpoint = WebhookEndpoint.objects.get()
        assert not endpoint.is_enabled
        assert endpoint.disabled_reason == DisabledReason.FAILING
    with tenant_context(healthy_brand):
        assert WebhookEndpoint.objects.get().is_enabled

    message = _wait_for(lambda: mail.outbox[0] if mail.outbox else None)
    time.sleep(0.5)
    assert len(mail.outbox) == 1
    assert message.to == [admins[failing_brand.schema_name].email]
    assert receivers[failing_brand.schema_name].url in message.body
