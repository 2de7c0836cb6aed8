"""The webhooks page in a browser: a brand admin adds an endpoint on a local receiver, sees its
secret once, sends a test event (delivered by the Celery worker, verified by the receiver with
the standardwebhooks library), reads the delivery log and replays it; then the event catalogue."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from accounts.models import Role
from tests.conftest import make_user
from tests.e2e.conftest import ui_login
from tests.webhooks.receiver import Receiver, receivers

pytestmark = pytest.mark.live


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    for make in receivers():
        yield make()  # type: ignore[operator]


def test_an_admin_adds_an_endpoint_sends_a_test_event_and_replays_it(
    live_brands: Any, browsers: Any, celery_worker_thread: None, receiver: Receiver
) -> None:
    brand, _ = live_brands
    admin = make_user(brand, role=Role.BRAND_ADMIN)
    page = browsers.page(brand)
    ui_login(page, admin.email)
    page.goto("/admin/webhooks")
    expect(page.get_by_role("heading", name="Webhooks", level=1)).to_be_visible()

    page.get_by_label("Endpoint URL").fill(receiver.url)
    page.get_by_label("Description").fill("CRM")
    events = page.get_by_role("group", name="Events to send")
    events.get_by_label("conversion.created").check()
    events.get_by_label("commission.created").check()
    page.get_by_role("button", name="Add the endpoint").click()
    secret = page.get_by_test_id("webhook-secret").inner_text()
    assert secret.startswith("whsec_")
    endpoint = page.get_by_test_id("webhook-endpoint")
    expect(endpoint).to_contain_text(receiver.url)
    expect(endpoint).to_contain_text("2 events")

    endpoint.get_by_role("button", name="Send a test event").click()
    [request] = receiver.wait_for(1)
    body = request.verified(secret)
    assert body["type"] == "webhook.test"
    log = page.get_by_test_id("webhook-delivery")
    expect(log).to_contain_text("webhook.test")
    page.get_by_role("button", name="Refresh").click()
    expect(log).to_contain_text("Delivered")
    expect(log).to_contain_text(request.headers["webhook-id"])

    log.get_by_role("button", name="Replay").click()
    expect(page.get_by_text("Replay queued.")).to_be_visible()
    replayed = receiver.wait_for(2)[1]
    assert replayed.headers["webhook-id"] == request.headers["webhook-id"]
    replayed.verified(secret)
    page.get_by_role("button", name="Refresh").click()
    log.get_by_text("Attempts of webhook.test").click()
    expect(log.get_by_test_id("webhook-attempt")).to_have_count(2)
    expect(log.get_by_test_id("webhook-attempt").nth(1)).to_contain_text("Replay")

    page.goto("/developers/events")
    expect(page.get_by_role("heading", name="Event catalogue", level=1)).to_be_visible()
    expect(page.get_by_test_id("catalogue-event").first).to_be_visible()
    expect(page.get_by_text("commission.created", exact=True).first).to_be_visible()
