"""Privacy across brands, with the live server and a real Celery worker: an export requested on
a brand is built by the worker in that brand's schema and stored under its prefix; the erasure
beat job processes each brand's due requests in that brand only."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import User
from privacy.models import DataExport, ErasureRequest, ErasureStatus, ExportStatus
from privacy.services import erasure_request
from privacy.tasks import privacy_erasures_due_task
from tests.conftest import make_user
from tests.tenancy.test_cache_and_storage import _bucket_keys

pytestmark = pytest.mark.live

EXPORT = "mutation { dataExportRequest { export { id status } errors { code } } }"
MY_EXPORTS = "{ myPrivacy { exports { id status downloadUrl } } }"


def _wait_for(condition: Any, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_an_export_is_built_by_the_worker_in_its_brand_and_under_its_prefix(
    live_brands, live_client, celery_worker_thread
):
    brand, other = live_brands
    owner = make_user(brand)
    make_user(other, email=owner.email)  # the same address in the other brand
    mail.outbox.clear()
    browser = live_client(brand)
    browser.login(owner.email)

    requested = browser.post(EXPORT, headers={"X-CSRFToken": browser.csrf_token()}).json()
    assert requested["data"]["dataExportRequest"]["errors"] == []
    export_id = int(requested["data"]["dataExportRequest"]["export"]["id"])

    def ready() -> DataExport | None:
        with tenant_context(brand):
            return DataExport.objects.filter(pk=export_id, status=ExportStatus.READY).first()

    export = _wait_for(ready)
    assert f"{brand.schema_name}/{export.file_key}" in _bucket_keys()
    assert export.file_key.startswith(f"exports/{owner.pk}/")
    with tenant_context(other):
        assert not DataExport.objects.exists()
    message = _wait_for(lambda: mail.outbox[0] if mail.outbox else None)
    assert message.to == [owner.email]
    assert browser.host in message.body

    listed = browser.post(MY_EXPORTS).json()["data"]["myPrivacy"]["exports"]
    assert listed[0]["status"] == "READY"
    assert f"/{brand.schema_name}/exports/" in listed[0]["downloadUrl"]
    # signed in on the other brand, the same address sees no export
    foreign = live_client(other)
    foreign.login(owner.email)
    assert foreign.post(MY_EXPORTS).json()["data"]["myPrivacy"]["exports"] == []


def test_the_erasure_beat_job_processes_each_brand_in_its_own_schema(live_brands, celery_worker_thread):
    users = {}
    for brand in live_brands:
        user = make_user(brand)
        with tenant_context(brand):
            request = erasure_request(user=user)
            ErasureRequest.objects.filter(pk=request.pk).update(
                due_at=timezone.now() - dt.timedelta(minutes=1)
            )
        users[brand.schema_name] = (user.pk, request.pk)

    privacy_erasures_due_task.delay()

    for brand in live_brands:
        user_id, request_id = users[brand.schema_name]

        def done(brand: Any = brand, request_id: int = request_id) -> bool:
            with tenant_context(brand):
                return ErasureRequest.objects.get(pk=request_id).status == ErasureStatus.COMPLETED

        _wait_for(done)
        with tenant_context(brand):
            assert User.objects.get(pk=user_id).email == f"erased-{user_id}@invalid"


def test_concurrent_export_requests_make_one_export(live_brands):
    """Eight requests at once by one user: one export, seven RATE_LIMITED (the user's row is locked)."""
    import threading

    from django.core.exceptions import ValidationError
    from django.db import close_old_connections, connection

    from privacy.services import data_export_request

    brand, _ = live_brands
    user = make_user(brand)
    barrier = threading.Barrier(8)
    outcomes: list[str] = []
    lock = threading.Lock()

    def request() -> None:
        try:
            with tenant_context(brand):
                barrier.wait()
                try:
                    data_export_request(user=user)
                    outcome = "ok"
                except ValidationError as error:
                    outcome = error.error_dict["export"][0].code
            with lock:
                outcomes.append(outcome)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=request) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["RATE_LIMITED"] * 7 + ["ok"]
    with tenant_context(brand):
        assert DataExport.objects.filter(user=user).count() == 1
