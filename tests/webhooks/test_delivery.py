"""Deliveries against a real HTTP receiver on 127.0.0.1: the Standard Webhooks envelope and
signatures (verified with the ``standardwebhooks`` library), the retry schedule, the delivery
log, replays, SSRF refusals (at save and at connect time) and the automatic disabling."""

from __future__ import annotations

import datetime as dt
import socket
import threading
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone
from django_tenants.utils import tenant_context
from standardwebhooks import Webhook, WebhookVerificationError

from accounts.models import Role
from core.events import Event, emit
from tenants.models import Tenant
from tests.conftest import make_user
from tests.webhooks.receiver import Receiver
from webhooks import services, signing, transport
from webhooks.error_codes import WebhookErrorCode
from webhooks.models import AttemptTrigger, DeliveryStatus, DisabledReason, WebhookDelivery, WebhookEndpoint
from webhooks.subscribers import webhook_deliveries_create
from webhooks.tasks import webhook_endpoint_disabled_email_task

WITHDRAWAL = {
    "withdrawal_id": 7,
    "affiliate_id": 3,
    "amount": Decimal("12.50"),
    "currency": "EUR",
    "method": "bank_transfer",
    "status": "requested",
}


def endpoint_on(url: str, *event_types: str) -> tuple[WebhookEndpoint, str]:
    return services.endpoint_create(
        actor=None, url=url, event_types=list(event_types) or ["withdrawal.requested"]
    )


def emitted(
    name: str = "withdrawal.requested", payload: dict[str, Any] | None = None
) -> tuple[Event, list[int]]:
    """Emit an event and run the webhooks subscriber as the after-commit dispatch would."""
    event = emit(name, payload or WITHDRAWAL)
    return event, services.deliveries_create(event)


def test_a_delivery_is_the_standard_webhooks_envelope_signed_with_the_endpoint_secret(
    brand_a: Tenant, receiver: Receiver
) -> None:
    with tenant_context(brand_a):
        endpoint, secret = endpoint_on(receiver.url)
        event, [delivery_id] = emitted()
        attempt = services.delivery_attempt(delivery_id=delivery_id)
        delivery = WebhookDelivery.objects.get(pk=delivery_id)

    [request] = receiver.received
    assert request.path == "/hooks"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["webhook-id"] == str(event.id)
    body = request.verified(secret)
    assert body == {
        "type": "withdrawal.requested",
        "timestamp": event.occurred_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "data": {**WITHDRAWAL, "amount": "12.50"},
    }
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.secret_new()).verify(request.body, request.headers)
    assert attempt is not None
    assert attempt.is_success
    assert (attempt.response_status_code, attempt.response_body, attempt.target_ip) == (
        200,
        "ok",
        "127.0.0.1",
    )
    assert delivery.status == DeliveryStatus.SUCCESS
    assert delivery.next_attempt_at is None
    assert endpoint.secret_encrypted != secret
    assert signing.secret_decrypt(endpoint.secret_encrypted) == secret
    assert secret.startswith("whsec_")
    assert endpoint.secret_hint == secret[:10]


def test_only_enabled_endpoints_that_chose_the_event_get_a_delivery_once(
    brand_a: Tenant, receiver: Receiver
) -> None:
    with tenant_context(brand_a):
        chosen, _ = endpoint_on(receiver.url, "withdrawal.requested")
        everything, _ = services.endpoint_create(
            actor=None, url=receiver.url, event_types=[], all_events=True
        )
        endpoint_on(receiver.url, "withdrawal.paid")
        off, _ = endpoint_on(receiver.url, "withdrawal.requested")
        services.endpoint_update(actor=None, endpoint=off, is_enabled=False)

        event, delivery_ids = emitted()
        again = services.deliveries_create(event)  # the subscriber retried: no second delivery

        deliveries = WebhookDelivery.objects.filter(event_id=event.id)
        assert sorted(deliveries.values_list("endpoint_id", flat=True)) == sorted([chosen.pk, everything.pk])
        assert sorted(again) == sorted(delivery_ids)
        assert deliveries.count() == 2


def test_failures_are_retried_on_the_schedule_then_one_success_ends_it(
    brand_a: Tenant, receiver: Receiver, settings: Any
) -> None:
    settings.WEBHOOKS_RETRY_SCHEDULE_SECONDS = [5, 300, 1800]
    receiver.statuses = [500, 503, 404]
    receiver.body = b"x" * 5000
    with tenant_context(brand_a):
        endpoint, secret = endpoint_on(receiver.url)
        _, [delivery_id] = emitted()
        delays = []
        for _ in range(3):
            before = timezone.now()
            services.delivery_attempt(delivery_id=delivery_id)
            delivery = WebhookDelivery.objects.get(pk=delivery_id)
            assert delivery.status == DeliveryStatus.PENDING
            assert delivery.next_attempt_at is not None
            delays.append(round((delivery.next_attempt_at - before).total_seconds()))
            assert services.delivery_attempt(delivery_id=delivery_id) is None  # not due yet
            WebhookDelivery.objects.filter(pk=delivery_id).update(next_attempt_at=timezone.now())
        services.delivery_attempt(delivery_id=delivery_id)
        delivery = WebhookDelivery.objects.get(pk=delivery_id)
        attempts = list(delivery.attempts.all())
        endpoint.refresh_from_db()

    assert delays == [5, 300, 1800]
    assert delivery.status == DeliveryStatus.SUCCESS
    assert [a.response_status_code for a in attempts] == [500, 503, 404, 200]
    assert [a.is_success for a in attempts] == [False, False, False, True]
    assert attempts[0].error == "HTTP 500"
    assert len(attempts[0].response_body) == 1024  # the excerpt, not the 5 kB
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1
    for request in receiver.received:
        request.verified(secret)
    assert endpoint.failing_since is None  # the success reset the failure clock


def test_a_delivery_is_given_up_after_the_retry_window(
    brand_a: Tenant, receiver: Receiver, settings: Any
) -> None:
    settings.WEBHOOKS_RETRY_WINDOW_SECONDS = 3 * 24 * 3600
    receiver.statuses = [500] * 20
    with tenant_context(brand_a):
        endpoint_on(receiver.url)
        _, [delivery_id] = emitted()
        attempts = 0
        while WebhookDelivery.objects.get(pk=delivery_id).status == DeliveryStatus.PENDING:
            services.delivery_attempt(delivery_id=delivery_id)
            attempts += 1
            delivery = WebhookDelivery.objects.get(pk=delivery_id)
            if delivery.next_attempt_at is not None:  # as if that much time had passed
                shift = delivery.next_attempt_at - timezone.now()
                WebhookDelivery.objects.filter(pk=delivery_id).update(
                    created_at=delivery.created_at - shift, next_attempt_at=timezone.now()
                )
        delivery = WebhookDelivery.objects.get(pk=delivery_id)
    # immediately, 5 s, 5 min, 30 min, 2 h, 5 h, then every 10 h while within 3 days
    assert attempts == 12
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.next_attempt_at is None


def test_a_replay_sends_the_same_body_and_webhook_id_again(brand_a: Tenant, receiver: Receiver) -> None:
    admin = make_user(brand_a, role=Role.BRAND_ADMIN)
    with tenant_context(brand_a):
        _, secret = endpoint_on(receiver.url)
        event, [delivery_id] = emitted()
        services.delivery_attempt(delivery_id=delivery_id)
        delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
        services.delivery_replay(actor=admin, delivery=delivery)
        attempt = services.delivery_attempt(delivery_id=delivery_id, trigger=AttemptTrigger.REPLAY)
        assert attempt is not None
        assert attempt.trigger == AttemptTrigger.REPLAY
        assert WebhookDelivery.objects.get(pk=delivery_id).attempt_count == 2

    first, replayed = receiver.received
    assert first.headers["webhook-id"] == replayed.headers["webhook-id"] == str(event.id)
    assert first.body == replayed.body
    assert replayed.verified(secret) == first.verified(secret)


def test_redirects_are_not_followed_and_count_as_failures(brand_a: Tenant, receiver_factory: Any) -> None:
    target = receiver_factory()
    redirecting = receiver_factory()
    redirecting.statuses = [307]
    redirecting.headers = {"Location": target.url}
    with tenant_context(brand_a):
        endpoint_on(redirecting.url)
        _, [delivery_id] = emitted()
        attempt = services.delivery_attempt(delivery_id=delivery_id)
    assert attempt is not None
    assert not attempt.is_success
    assert attempt.response_status_code == 307
    assert attempt.error.startswith("REDIRECT")
    assert target.received == []


def test_a_slow_receiver_times_out(brand_a: Tenant, receiver: Receiver, settings: Any) -> None:
    settings.WEBHOOKS_TOTAL_TIMEOUT_SECONDS = 1.5
    settings.WEBHOOKS_CONNECT_TIMEOUT_SECONDS = 0.5
    receiver.delay = 3
    with tenant_context(brand_a):
        endpoint_on(receiver.url)
        _, [delivery_id] = emitted()
        attempt = services.delivery_attempt(delivery_id=delivery_id)
    assert attempt is not None
    assert attempt.error.startswith("TIMEOUT")
    assert attempt.response_status_code is None
    assert 900 <= attempt.duration_ms < 2900


def test_the_secret_rotation_signs_with_both_secrets_for_a_day(brand_a: Tenant, receiver: Receiver) -> None:
    with tenant_context(brand_a):
        endpoint, old = endpoint_on(receiver.url)
        endpoint, new = services.endpoint_secret_rotate(actor=None, endpoint=endpoint)
        _, [delivery_id] = emitted()
        services.delivery_attempt(delivery_id=delivery_id)
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            previous_secret_expires_at=timezone.now() - dt.timedelta(seconds=1)
        )
        _, [later_id] = emitted()
        services.delivery_attempt(delivery_id=later_id)
    during, after = receiver.received
    assert new != old
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    during.verified(old)
    during.verified(new)
    after.verified(new)
    with pytest.raises(WebhookVerificationError):
        after.verified(old)


# --- SSRF --------------------------------------------------------------------------------------

BLOCKED_URLS = [
    "https://127.0.0.1/hooks",
    "https://localhost/hooks",
    "https://10.0.0.8/hooks",
    "https://192.168.1.1/hooks",
    "https://169.254.169.254/latest/meta-data",  # cloud metadata (link-local)
    "https://100.64.0.1/hooks",  # carrier-grade NAT
    "https://224.0.0.1/hooks",  # multicast
    "https://0.0.0.0/hooks",
    "https://240.0.0.1/hooks",  # reserved
    "https://[::1]/hooks",
    "https://[fe80::1]/hooks",
    "https://[::ffff:127.0.0.1]/hooks",  # IPv4-mapped loopback
    "https://[fc00::1]/hooks",
]


@pytest.mark.parametrize("url", BLOCKED_URLS)
def test_private_targets_are_refused_when_saved(brand_a: Tenant, settings: Any, url: str) -> None:
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    problem = transport.url_problem(url)
    assert problem is not None
    assert problem.code == WebhookErrorCode.BLOCKED_TARGET


def test_names_are_checked_on_what_they_resolve_to(settings: Any, monkeypatch: Any) -> None:
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    answers = {"public.example": ["93.184.215.14"], "internal.example": ["93.184.215.14", "10.1.2.3"]}
    monkeypatch.setattr(transport, "resolve", lambda host, port: answers[host])
    assert transport.url_problem("https://public.example/hooks") is None
    problem = transport.url_problem("https://internal.example/hooks")  # one private answer is enough
    assert problem is not None
    assert problem.code == WebhookErrorCode.BLOCKED_TARGET


def test_http_and_credentials_are_refused_outside_development(settings: Any) -> None:
    settings.WEBHOOKS_ALLOW_HTTP = False
    problem = transport.url_problem("http://93.184.215.14/hooks")
    assert problem is not None
    assert problem.code == WebhookErrorCode.INSECURE_URL
    problem = transport.url_problem("https://user:pw@93.184.215.14/hooks")
    assert problem is not None
    assert problem.code == WebhookErrorCode.INVALID_URL
    problem = transport.url_problem("ftp://93.184.215.14/hooks")
    assert problem is not None
    assert problem.code == WebhookErrorCode.INVALID_URL


def test_dns_rebinding_is_refused_at_connect_time_and_nothing_is_sent(
    brand_a: Tenant, receiver: Receiver, settings: Any, monkeypatch: Any
) -> None:
    """The name resolved to a public address when the URL was saved; when the delivery
    connects, it resolves to 127.0.0.1 (the receiver): the attempt is refused, unsent."""
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    answers = iter([["93.184.215.14"], ["127.0.0.1"]])
    monkeypatch.setattr(transport, "resolve", lambda host, port: next(answers))
    with tenant_context(brand_a):
        endpoint_on(f"http://rebind.example:{receiver.port}/hooks")
        _, [delivery_id] = emitted()
        attempt = services.delivery_attempt(delivery_id=delivery_id)
    assert attempt is not None
    assert not attempt.is_success
    assert attempt.error.startswith("BLOCKED_TARGET")
    assert attempt.target_ip is None
    assert receiver.received == []


def test_the_request_goes_to_the_checked_address_with_the_original_host(
    brand_a: Tenant, receiver: Receiver, monkeypatch: Any
) -> None:
    """One lookup per attempt, and the connection is made to that answer: the HTTP client never
    resolves the name again (what DNS rebinding would exploit). The Host header keeps the name."""
    lookups: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        lookups.append(host)
        return ["127.0.0.1"]

    monkeypatch.setattr(transport, "resolve", resolve)
    with tenant_context(brand_a):
        endpoint_on(f"http://hooks.integrator.example:{receiver.port}/hooks?x=1")
        lookups.clear()
        _, [delivery_id] = emitted()
        attempt = services.delivery_attempt(delivery_id=delivery_id)
    assert attempt is not None
    assert attempt.is_success
    assert lookups == ["hooks.integrator.example"]
    [request] = receiver.received
    assert request.headers["host"] == f"hooks.integrator.example:{receiver.port}"
    assert request.path == "/hooks?x=1"


# --- automatic disabling -------------------------------------------------------------------------


def test_an_endpoint_failing_for_three_days_is_disabled_and_the_admins_are_emailed(
    brand_a: Tenant, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    admin = make_user(brand_a, role=Role.BRAND_ADMIN)
    receiver.statuses = [500] * 5
    with tenant_context(brand_a):
        endpoint, _ = endpoint_on(receiver.url)
        _, [first] = emitted()
        services.delivery_attempt(delivery_id=first)
        endpoint.refresh_from_db()
        assert endpoint.failing_since is not None
        assert endpoint.is_enabled
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            failing_since=timezone.now() - dt.timedelta(days=3, seconds=1)
        )
        _, [second] = emitted()
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            services.delivery_attempt(delivery_id=second)
        endpoint.refresh_from_db()
        assert not endpoint.is_enabled
        assert endpoint.disabled_reason == DisabledReason.FAILING
        assert len(callbacks) == 2  # the retry and the email, queued after commit
        webhook_endpoint_disabled_email_task.apply(args=(endpoint.pk,))
        webhook_endpoint_disabled_email_task.apply(args=(endpoint.pk,))  # a redelivered task

        # the pending retry finds the endpoint disabled: failed, nothing sent
        WebhookDelivery.objects.filter(pk=first).update(next_attempt_at=timezone.now())
        sent = len(receiver.received)
        assert services.delivery_attempt(delivery_id=first) is None
        assert WebhookDelivery.objects.get(pk=first).status == DeliveryStatus.FAILED
        assert len(receiver.received) == sent
        _, created = emitted()
        assert created == []  # a disabled endpoint gets no new deliveries

        services.endpoint_update(actor=admin, endpoint=endpoint, is_enabled=True)
        endpoint.refresh_from_db()
        assert endpoint.is_enabled
        assert endpoint.failing_since is None
        assert endpoint.disabled_reason == ""

    [message] = mail.outbox
    assert message.to == [admin.email]
    assert "disabled" in message.subject
    assert receiver.url in message.body
    assert "/admin/webhooks" in message.body


def test_an_endpoint_deleted_while_its_request_is_on_the_way_leaves_nothing_behind(
    brand_a: Tenant, receiver: Receiver, monkeypatch: Any
) -> None:
    real_post = transport.post

    def post_then_delete(**kwargs: Any) -> transport.PostResult:
        result = real_post(**kwargs)
        WebhookEndpoint.objects.all().delete()
        return result

    monkeypatch.setattr(transport, "post", post_then_delete)
    with tenant_context(brand_a):
        endpoint_on(receiver.url)
        _, [delivery_id] = emitted()
        assert services.delivery_attempt(delivery_id=delivery_id) is None
        assert not WebhookDelivery.objects.exists()
    assert len(receiver.received) == 1


@pytest.fixture
def dripping_receiver() -> Any:
    """A receiver that answers its response head one line every 0.3 s: each read is quick, the
    whole answer is not (a per-read timeout never fires)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            with conn:
                conn.recv(65536)
                try:
                    conn.sendall(b"HTTP/1.1 200 OK\r\n")
                    for number in range(20):
                        if stop.wait(0.3):
                            return
                        conn.sendall(f"X-Drip-{number}: 1\r\n".encode())
                    conn.sendall(b"Content-Length: 0\r\n\r\n")
                except OSError:
                    continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/hooks"
    stop.set()
    thread.join(timeout=2)
    server.close()


def test_the_total_timeout_is_one_deadline_not_one_per_read(
    brand_a: Tenant, dripping_receiver: str, settings: Any
) -> None:
    settings.WEBHOOKS_TOTAL_TIMEOUT_SECONDS = 1.5
    settings.WEBHOOKS_CONNECT_TIMEOUT_SECONDS = 0.5  # each read may wait 1 s: the drip never trips it
    with tenant_context(brand_a):
        endpoint_on(dripping_receiver)
        _, [delivery_id] = emitted()
        attempt = services.delivery_attempt(delivery_id=delivery_id)
    assert attempt is not None
    assert attempt.error.startswith("TIMEOUT")
    assert 1400 <= attempt.duration_ms < 2500  # not the 6 s the drip would take


def test_an_event_of_the_public_schema_goes_nowhere(public_tenant: Tenant) -> None:
    event = Event(
        id=uuid.uuid4(),
        name="brand.updated",
        version=1,
        payload={"changed": ["name"]},
        occurred_at=timezone.now(),
        schema_name="public",
    )
    with tenant_context(public_tenant):
        webhook_deliveries_create(event)  # no endpoint table there: nothing to do, no error
