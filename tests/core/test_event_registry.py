"""The domain event registry: declarations, the outbox, in-transaction handlers and the
after-commit dispatch with its retries (core.events)."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import jsonschema
import pytest
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import tenant_context

from affiliation.services import conversion_record
from core.events import (
    EVENT_TYPES,
    REGISTRY,
    Event,
    Phase,
    dispatch,
    emit,
    outbox_sweep,
)
from core.events.outbox import MAX_ATTEMPTS
from core.models import OutboxEvent
from tenants.models import Tenant
from tests.engine import make_affiliate, make_click, make_program

WITHDRAWAL = {
    "withdrawal_id": 7,
    "affiliate_id": 3,
    "amount": Decimal("12.50"),
    "currency": "EUR",
    "method": "bank_transfer",
    "status": "requested",
}


@pytest.fixture
def listen() -> Iterator[Any]:
    """Register handlers for one test only."""
    before = list(REGISTRY.subscriptions)

    def register(name: str, handler: Any, phase: Phase = Phase.AFTER_COMMIT) -> None:
        REGISTRY.subscribe([name], phase, handler)

    yield register
    REGISTRY.subscriptions[:] = before


def test_every_declared_event_has_a_valid_json_schema() -> None:
    names = [event_type.name for event_type in EVENT_TYPES]
    assert names == sorted(names)
    for event_type in EVENT_TYPES:
        schema = event_type.json_schema()
        jsonschema.Draft202012Validator.check_schema(schema)
        assert event_type.name.count(".") == 1
        assert event_type.version >= 1


def test_emit_refuses_unknown_events_and_payloads_that_do_not_match(brand_a: Tenant) -> None:
    with tenant_context(brand_a):
        with pytest.raises(LookupError):
            emit("withdrawal.teleported", WITHDRAWAL)
        with pytest.raises(KeyError):
            emit("withdrawal.requested", {**WITHDRAWAL, "iban": "secret"})
        with pytest.raises(KeyError):
            emit("withdrawal.requested", {k: v for k, v in WITHDRAWAL.items() if k != "amount"})
        with pytest.raises(TypeError):
            emit("withdrawal.requested", {**WITHDRAWAL, "amount": 12.5})  # a float: never for money
        with pytest.raises(TypeError):
            emit("withdrawal.requested", {**WITHDRAWAL, "withdrawal_id": None})
        assert not OutboxEvent.objects.filter(name="withdrawal.requested").exists()


def test_emit_stores_the_payload_as_json_and_runs_in_transaction_handlers_inside_it(
    brand_a: Tenant, listen: Any
) -> None:
    seen: list[Event] = []

    def handler(event: Event) -> None:
        assert connection.in_atomic_block
        seen.append(event)

    listen("withdrawal.requested", handler, Phase.IN_TRANSACTION)
    with tenant_context(brand_a):
        event = emit("withdrawal.requested", WITHDRAWAL)
        row = OutboxEvent.objects.get(pk=event.id)
    assert row.payload["amount"] == "12.50"
    assert row.version == 1
    assert [e.id for e in seen] == [event.id]
    assert seen[0].schema_name == brand_a.schema_name
    jsonschema.validate(row.payload, REGISTRY.event_type("withdrawal.requested").json_schema())


def test_an_in_transaction_handler_that_fails_rolls_the_change_back(brand_a: Tenant, listen: Any) -> None:
    def refuse(event: Event) -> None:
        raise ValueError("no")

    listen("withdrawal.requested", refuse, Phase.IN_TRANSACTION)
    with tenant_context(brand_a):
        with pytest.raises(ValueError, match="no"), transaction.atomic():
            emit("withdrawal.requested", WITHDRAWAL)
        assert not OutboxEvent.objects.filter(name="withdrawal.requested").exists()


@pytest.mark.live
def test_after_commit_handlers_run_once_after_commit_and_never_on_rollback(
    listen: Any, live_brands: Any
) -> None:
    brand, _ = live_brands
    seen: list[tuple[str, bool]] = []
    listen("withdrawal.requested", lambda e: seen.append((e.schema_name, connection.in_atomic_block)))
    with tenant_context(brand):
        with transaction.atomic():
            event = emit("withdrawal.requested", WITHDRAWAL)
            assert seen == []  # not before commit
        assert seen == [(brand.schema_name, True)]  # in the dispatch's own transaction
        row = OutboxEvent.objects.get(pk=event.id)
        assert row.dispatched_at is not None
        assert row.pending_handlers == []
        assert row.attempts == 1
        assert dispatch(brand.schema_name, event.id) is False  # never twice

        def failing_change() -> None:
            with transaction.atomic():
                emit("withdrawal.requested", WITHDRAWAL)
                raise RuntimeError("the change fails")

        with pytest.raises(RuntimeError):
            failing_change()
        assert len(seen) == 1
        assert OutboxEvent.objects.filter(name="withdrawal.requested").count() == 1
        OutboxEvent.objects.all().delete()


@pytest.mark.live
def test_a_failing_handler_is_retried_alone_with_backoff_then_given_up(listen: Any, live_brands: Any) -> None:
    brand, _ = live_brands
    calls = {"good": 0, "flaky": 0}

    def good(event: Event) -> None:
        calls["good"] += 1

    def flaky(event: Event) -> None:
        calls["flaky"] += 1
        OutboxEvent.objects.filter(pk=event.id).update(last_error="written inside the savepoint")
        if calls["flaky"] < 3:
            raise ConnectionError("receiver down")

    listen("withdrawal.requested", good)
    listen("withdrawal.requested", flaky)
    with tenant_context(brand):
        event = emit("withdrawal.requested", WITHDRAWAL)
        row = OutboxEvent.objects.get(pk=event.id)
        assert calls == {"good": 1, "flaky": 1}
        assert row.dispatched_at is None
        assert row.pending_handlers == [f"{__name__}.{flaky.__qualname__}"]
        assert "ConnectionError: receiver down" in row.last_error
        first_retry = row.next_attempt_at
        assert first_retry is not None
        assert first_retry > timezone.now()
        assert outbox_sweep() == 0  # not due yet
        assert outbox_sweep(now=first_retry) == 1
        row.refresh_from_db()
        assert calls == {"good": 1, "flaky": 2}
        assert row.attempts == 2
        assert row.next_attempt_at is not None
        assert row.next_attempt_at - first_retry > dt.timedelta(minutes=1)
        outbox_sweep(now=row.next_attempt_at)
        row.refresh_from_db()
        assert calls == {"good": 1, "flaky": 3}
        assert row.dispatched_at is not None

        calls["flaky"] = -100  # fails for good from now on
        event = emit("withdrawal.requested", WITHDRAWAL)
        for _ in range(MAX_ATTEMPTS - 1):  # the first attempt was the post-commit dispatch
            OutboxEvent.objects.filter(pk=event.id).update(next_attempt_at=timezone.now())
            assert outbox_sweep() == 1
        row = OutboxEvent.objects.get(pk=event.id)
        assert row.attempts == MAX_ATTEMPTS
        assert row.next_attempt_at is None
        assert row.dispatched_at is None
        assert outbox_sweep(now=timezone.now() + dt.timedelta(days=30)) == 0  # given up
        OutboxEvent.objects.all().delete()


@pytest.mark.live
def test_a_process_that_died_after_commit_is_covered_by_the_sweep_and_racing_sweeps_dispatch_once(
    listen: Any, live_brands: Any
) -> None:
    brand, _ = live_brands
    calls: list[int] = []

    def slow(event: Event) -> None:
        calls.append(1)
        time.sleep(0.3)

    listen("withdrawal.requested", slow)
    with tenant_context(brand):
        with transaction.atomic():
            event = emit("withdrawal.requested", WITHDRAWAL)
            transaction.get_connection().run_on_commit.clear()  # the process dies after commit
        assert calls == []
        assert outbox_sweep() == 0
    later = timezone.now() + dt.timedelta(minutes=2)
    results: list[int] = []

    def sweep() -> None:
        with tenant_context(brand):
            results.append(outbox_sweep(now=later))
        connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls == [1]
    assert sorted(results) == [0, 0, 1]
    with tenant_context(brand):
        assert OutboxEvent.objects.get(pk=event.id).dispatched_at is not None
        OutboxEvent.objects.all().delete()


def test_events_stay_in_their_brand(brand_a: Tenant, brand_b: Tenant, listen: Any) -> None:
    seen: list[str] = []
    listen("withdrawal.requested", lambda e: seen.append(e.schema_name), Phase.IN_TRANSACTION)
    with tenant_context(brand_a):
        event = emit("withdrawal.requested", WITHDRAWAL)
    with tenant_context(brand_b):
        assert not OutboxEvent.objects.filter(pk=event.id).exists()
        assert dispatch(brand_b.schema_name, event.id) is False
    with tenant_context(brand_a):
        assert OutboxEvent.objects.filter(pk=event.id).exists()
    assert seen == [brand_a.schema_name]


def test_the_sweep_deletes_dispatched_events_past_their_retention(brand_a: Tenant, settings: Any) -> None:
    settings.OUTBOX_RETENTION_DAYS = 30
    with tenant_context(brand_a):
        old = OutboxEvent.objects.create(
            name="brand.updated", version=1, payload={"changed": []}, dispatched_at=timezone.now()
        )
        undelivered = OutboxEvent.objects.create(
            name="brand.updated", version=1, payload={"changed": []}, next_attempt_at=None
        )
        outbox_sweep(now=timezone.now() + dt.timedelta(days=31))
        assert OutboxEvent.objects.filter(pk=undelivered.pk).exists()
        assert not OutboxEvent.objects.filter(pk=old.pk).exists()


def test_a_sale_records_conversion_and_commission_events_with_their_facts(brand_a: Tenant) -> None:
    with tenant_context(brand_a):
        program = make_program(cascade_rates=[Decimal(10)])
        upline = make_affiliate(brand_a, program)
        affiliate = make_affiliate(brand_a, program, referrer=upline)
        click = make_click(affiliate)
        OutboxEvent.objects.all().delete()
        result = conversion_record(
            source="api", order_id="A-1", amount="200.00", currency="EUR", click_id=str(click.pk)
        )
        events = list(OutboxEvent.objects.order_by("occurred_at", "id"))
    assert [e.name for e in events] == ["conversion.created", "commission.created", "commission.created"]
    conversion, direct, cascade = (e.payload for e in events)
    assert conversion == {
        "conversion_id": result.conversion.pk,
        "program_id": program.pk,
        "affiliate_id": affiliate.pk,
        "link_id": click.link_id,
        "source": "api",
        "order_id": "A-1",
        "amount": "200.00",
        "currency": "EUR",
        "occurred_at": result.conversion.occurred_at.isoformat(),
    }
    assert (direct["affiliate_id"], direct["level"], direct["amount"]) == (affiliate.pk, 0, "40.00")
    assert (cascade["affiliate_id"], cascade["level"], cascade["amount"]) == (upline.pk, 1, "20.00")
    assert {direct["conversion_id"], cascade["conversion_id"]} == {result.conversion.pk}
    for event in events:
        jsonschema.validate(event.payload, REGISTRY.event_type(event.name).json_schema())
