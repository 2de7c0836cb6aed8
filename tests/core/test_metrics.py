"""/metrics: a 404 without a token configured, a 401 with a wrong one, the figures with the right
one; GraphQL operation labels bounded by the schema; task failures counted by a real worker;
failing domain events per brand, capped; and no user id or email in any series."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context
from prometheus_client.parser import text_string_to_metric_families

from accounts.models import Role
from config.celery import app
from core.metrics import CELERY_TASK_FAILURES, OutboxCollector, metrics_server_start
from core.models import OutboxEvent
from tests.conftest import domain_of, make_user

TOKEN = "metrics-test-token-0123456789"
# Every label an exported series may carry: none of them names a person.
ALLOWED_LABELS = {
    "view",
    "operation",
    "method",
    "status",
    "task",
    "queue",
    "schema",
    "result",
    "collector",
    "le",
    # Stripe webhooks (payments.webhooks): Stripe's event types and API versions, bounded sets.
    "event_type",
    "reason",
    "api_version",
    "action",
}


@app.task(name="tests.core.test_metrics.always_fails_task")
def always_fails_task() -> None:
    raise RuntimeError("this task always fails (tests)")


@pytest.fixture
def metrics_settings(settings: Any) -> Any:
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_COLLECT_CACHE_SECONDS = 0
    return settings


def _scrape(client: Any, *, host: str = "10.1.2.3", authorization: str | None = f"Bearer {TOKEN}") -> Any:
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization is not None else {}
    return client.get("/metrics", HTTP_HOST=host, **headers)


def _families(text: str) -> dict[str, Any]:
    return {family.name: family for family in text_string_to_metric_families(text)}


def _value(families: dict[str, Any], name: str, **labels: str) -> float:
    family = families[name]
    return sum(
        sample.value
        for sample in family.samples
        if sample.name == name + ("_total" if family.type == "counter" else "")
        and all(sample.labels.get(key) == value for key, value in labels.items())
    )


# --- who may read it ------------------------------------------------------------------------------


def test_metrics_is_a_404_while_no_token_is_configured(db, brand_a, client, settings):
    settings.METRICS_TOKEN = ""

    for host in ("10.1.2.3", domain_of(brand_a)):
        response = _scrape(client, host=host)
        assert response.status_code == 404
        assert b"afp_" not in response.content


@pytest.mark.parametrize(
    "authorization", [None, "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer"]
)
def test_a_missing_or_wrong_token_is_a_401(db, client, metrics_settings, authorization):
    response = _scrape(client, authorization=authorization)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert b"afp_" not in response.content


def test_the_token_gets_every_metric_after_some_requests(brand_a, gql, client, metrics_settings):
    before = _families(_scrape(client).content.decode())
    api = gql(brand_a)
    api.execute("query Me { me { email } }")
    api.execute("query me { me { email } }")  # the field's own spelling: the same label
    api.execute("query WhateverTheClientLikes { me { email } }")
    api.execute("{ me { email } }")
    api.post("query Broken {")

    response = _scrape(client)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert response["Cache-Control"] == "no-store"
    families = _families(response.content.decode())
    requests = "afp_http_requests"

    def added(**labels: str) -> float:  # the counters are the process's: count this test's own
        previous = _value(before, requests, **labels) if requests in before else 0
        return _value(families, requests, **labels) - previous

    assert added(view="graphql", operation="Me", method="POST", status="200") == 2
    assert added(view="graphql", operation="other") == 1
    assert added(view="graphql", operation="anonymous") == 1
    assert added(view="graphql", operation="invalid") == 1
    operations = {sample.labels["operation"] for sample in families[requests].samples}
    assert "WhateverTheClientLikes" not in operations
    assert "afp_http_request_duration_seconds" in families
    for name in (
        "afp_click_stream_length",
        "afp_click_stream_pending",
        "afp_click_drain_lag_seconds",
        "afp_click_dead_letters",
        "afp_celery_queue_length",
        "afp_outbox_failing_events",
        "afp_brands",
    ):
        assert name in families, name
    assert "afp_metrics_collect_errors" not in families


def test_scrapes_and_health_probes_are_not_counted_as_requests(db, client, metrics_settings):
    def unresolved(text: str) -> float:
        families = _families(text)
        return (
            _value(families, "afp_http_requests", view="unresolved") if "afp_http_requests" in families else 0
        )

    before = unresolved(_scrape(client).content.decode())
    client.get("/healthz", HTTP_HOST="10.1.2.3")
    client.get("/readyz", HTTP_HOST="10.1.2.3")
    _scrape(client)

    # All are answered before the timing (on a bare IP, no view would resolve them).
    assert unresolved(_scrape(client).content.decode()) == before


# --- nobody in the labels ----------------------------------------------------------------------------------


def test_no_series_carries_a_user_id_or_email_in_either_brand(
    brand_a, brand_b, gql, client, metrics_settings
):
    users = [
        make_user(brand_a, email="metrics-a@example.com", role=Role.AFFILIATE),
        make_user(brand_b, email="metrics-b@example.com", role=Role.MERCHANT),
    ]
    for brand, user in zip((brand_a, brand_b), users, strict=True):
        gql(brand, user).execute("query Me { me { email } }")
        gql(brand, user).execute("query NotAnOperationOfOurs { me { email } }")

    text = _scrape(client).content.decode()

    assert "@example.com" not in text
    assert "metrics-a" not in text
    for family in text_string_to_metric_families(text):
        if not family.name.startswith("afp_"):
            continue
        for sample in family.samples:
            assert set(sample.labels) <= ALLOWED_LABELS, (family.name, sample.labels)
            if "schema" in sample.labels:
                assert family.name == "afp_outbox_failing_events"
            if "operation" in sample.labels:
                assert sample.labels["operation"] != "NotAnOperationOfOurs"


# --- failing domain events per brand, capped ------------------------------------------------------------------


def _failing_events(brand: Any, count: int) -> None:
    with tenant_context(brand):
        now = timezone.now()
        for number in range(count):
            OutboxEvent.objects.create(
                name="test.failing", version=1, payload={"n": number}, last_error="boom", next_attempt_at=now
            )
        # Neither a dispatched event nor one given up (no next attempt) counts.
        OutboxEvent.objects.create(name="test.ok", version=1, payload={}, dispatched_at=now)
        OutboxEvent.objects.create(name="test.dead", version=1, payload={}, last_error="gave up")


@pytest.mark.live
def test_failing_events_are_counted_per_brand_up_to_the_cap(live_brands, django_db_blocker, settings):
    brand, other = live_brands
    with django_db_blocker.unblock():
        _failing_events(brand, 3)
        _failing_events(other, 1)

        settings.METRICS_MAX_BRAND_LABELS = 1000
        (failing, brands) = OutboxCollector().read()
        by_schema = {sample.labels["schema"]: sample.value for sample in failing.samples}
        settings.METRICS_MAX_BRAND_LABELS = 1
        (capped, _) = OutboxCollector().read()

    assert by_schema[brand.schema_name] == 3
    assert by_schema[other.schema_name] == 1
    assert brands.samples[0].value >= 2
    capped_by_schema = {sample.labels["schema"]: sample.value for sample in capped.samples}
    assert len(capped_by_schema) == (2 if len(by_schema) > 1 else 1)
    assert sum(capped_by_schema.values()) == sum(by_schema.values())
    assert set(capped_by_schema) - {"other"} <= set(by_schema)


# --- Celery ----------------------------------------------------------------------------------------------------


@pytest.mark.live
def test_a_failing_task_is_counted_by_name(celery_worker_thread, client, metrics_settings, django_db_blocker):
    name = "tests.core.test_metrics.always_fails_task"
    before = CELERY_TASK_FAILURES.labels(name)._value.get()

    always_fails_task.apply_async()

    deadline = time.monotonic() + 60
    while CELERY_TASK_FAILURES.labels(name)._value.get() < before + 1:
        assert time.monotonic() < deadline, "the failure was not counted"
        time.sleep(0.05)
    with django_db_blocker.unblock():
        families = _families(_scrape(client).content.decode())
    assert _value(families, "afp_celery_task_failures", task=name) == before + 1


# --- processes without HTTP: the worker's and the drain's port -----------------------------------------------


def test_the_worker_and_drain_serve_metrics_on_their_port_with_the_same_token(settings):
    settings.METRICS_TOKEN = TOKEN
    server = metrics_server_start(0, "127.0.0.1")
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        assert httpx.get(f"{base}/metrics").status_code == 401
        assert httpx.get(f"{base}/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401
        ok = httpx.get(f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert ok.status_code == 200
        assert "afp_celery_task_failures_total" in ok.text or "afp_celery_task_failures" in ok.text
        assert "afp_click_stream_length" not in ok.text  # platform figures: the web process only
        assert httpx.get(f"{base}/other").status_code == 404
        settings.METRICS_TOKEN = ""
        assert httpx.get(f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 404
    finally:
        server.shutdown()
        server.server_close()


# --- several processes of one type: multiprocess mode -----------------------------------------------------------


def test_multiprocess_mode_sums_the_processes_sharing_a_directory(tmp_path):
    """As uvicorn's workers and Celery's pool do with PROMETHEUS_MULTIPROC_DIR (entry point)."""
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
    }
    setup = "import sys, django; django.setup();"
    for count in ("2", "3"):
        subprocess.run(
            [sys.executable, "-c", setup + "from tracking.metrics import LANE_RESPONSES;"
             "LANE_RESPONSES.labels('302').inc(int(sys.argv[1]))", count],
            env=env, check=True, timeout=60,
        )  # fmt: skip
    read = subprocess.run(
        [sys.executable, "-c", setup + "from core.metrics import exposition;"
         "print(exposition(platform_collectors=False).decode())"],
        env=env, check=True, timeout=60, capture_output=True, text=True,
    )  # fmt: skip

    families = _families(read.stdout)
    assert _value(families, "afp_click_lane_responses", status="302") == 5
