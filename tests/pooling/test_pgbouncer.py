"""The platform behind PgBouncer in transaction pooling mode: every answer in its own brand.

Without ``core.pooled_postgresql`` (``POOLED_SLICE_DATABASE_POOLER=`` runs the slice with
django-tenants' stock backend) the interleaved requests below read other brands' sessions:
the stock backend's ``SET search_path`` lands on one server connection and the next
statement on another.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from django.conf import settings
from django_tenants.utils import tenant_context

from affiliation.models import Commission, CommissionKind, CommissionStatus, Program
from affiliation.tasks import release_brand_commissions_task
from devstack.pgbouncer import Bouncer, start_pgbouncer
from devstack.services import VAR
from tenants.clone import schema_signature
from tenants.models import Tenant
from tests.conftest import PASSWORD, LiveBrandClient, make_user
from tests.pooling.conftest import (
    POOLER,
    backend_connection,
    bouncer_stats,
    direct_database_url,
    manage,
    start_server,
)
from tests.tracking.conftest import brand_links, click_id_of
from tests.ws_client import GraphQLWebsocket
from tracking.models import Click

# The Celery worker boots (a few seconds) while the first tests run.
pytestmark = [pytest.mark.live, pytest.mark.usefixtures("pooled_worker")]

ME = "{ me { email } brand { name } }"


def _wait_for(condition: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


# --- the backend on its own: two clients sharing one server connection -----------------------


def _schemas(url: str, pooler: str, first: str, second: str) -> list[str]:
    """Two connections of ``pooler``'s backend in brands ``first`` and ``second``, taking turns:
    the schema each statement ran in, in order (first's, second's, first's, ...)."""
    one, two = backend_connection(url, pooler, "one"), backend_connection(url, pooler, "two")
    one.set_schema(first)
    two.set_schema(second)
    seen = []
    try:
        for _ in range(3):
            for wrapper in (one, two):
                with wrapper.cursor() as cursor:
                    cursor.execute("SELECT current_schema()")
                    seen.append(cursor.fetchone()[0])
        # A transaction, and a change of brand inside it.
        one.set_autocommit(False)
        for schema in (first, second):
            one.set_schema(schema)
            with one.cursor() as cursor:
                cursor.execute("SELECT current_schema()")
                seen.append(cursor.fetchone()[0])
        one.commit()
        one.set_autocommit(True)
    finally:
        one.close()
        two.close()
    return seen


def test_one_shared_server_connection_mixes_brands_with_the_stock_backend_and_not_with_this_one(
    django_db_setup: Any, django_db_blocker: Any
) -> None:
    """Deterministic: a pool of one server connection, two clients taking turns on it."""
    bouncer = start_pgbouncer(direct_database_url(), parent=VAR / "pgbouncer", pool_size=1)
    url = bouncer.url(settings.DATABASES["default"]["NAME"])
    first, second = "brand_alpha", "brand_beta"
    expected = [first, second] * 3 + [first, second]
    try:
        with django_db_blocker.unblock():
            stock = _schemas(url, "", first, second)
            pooled = _schemas(url, "transaction", first, second)
    finally:
        bouncer.stop()

    assert stock != expected  # the stock backend's session SET is another client's by then
    assert pooled == expected


# --- the web process through PgBouncer ----------------------------------------------------------


class Visitor:
    """A signed-in user of one brand, talking to the pooled server."""

    def __init__(self, port: int, tenant: Tenant, email: str) -> None:
        self.tenant = tenant
        self.email = email
        self.client = LiveBrandClient(port, tenant)
        self.client.login(email, PASSWORD)

    def me(self) -> dict[str, Any]:
        response = self.client.post(ME)
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]


_numbers = itertools.count(1)


@pytest.fixture(scope="module")
def visitors(
    pooled_server: int, pooling_tenants: tuple[Tenant, Tenant], django_db_blocker: Any
) -> Iterator[list[Visitor]]:
    """Two signed-in users in each of two brands (users of both brands share ids)."""
    with django_db_blocker.unblock():
        people = []
        for tenant in pooling_tenants:
            for _ in range(2):
                email = f"pooled{next(_numbers)}-{os.getpid()}@example.com"
                make_user(tenant, email=email)
                people.append(Visitor(pooled_server, tenant, email))
    yield people
    for person in people:
        person.client.http.close()


def test_graphql_requests_of_two_brands_interleaved_from_threads_each_answer_in_its_own_brand(
    visitors: list[Visitor],
) -> None:
    answers: list[tuple[Visitor, dict[str, Any]]] = []
    lock = threading.Lock()

    def ask(visitor: Visitor) -> None:
        for _ in range(12):
            answer = visitor.me()
            with lock:
                answers.append((visitor, answer))

    threads = [threading.Thread(target=ask, args=(visitor,)) for visitor in visitors * 2]  # 8 threads
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(answers) == 12 * len(threads)
    wrong = [
        (visitor.email, answer)
        for visitor, answer in answers
        if answer.get("data") != {"me": {"email": visitor.email}, "brand": {"name": visitor.tenant.name}}
    ]
    assert wrong == [], (
        f"{len(wrong)} of {len(answers)} answers from another brand or failed, e.g. {wrong[:3]}"
    )


async def test_websocket_queries_of_two_brands_at_once_each_answer_in_its_own_brand(
    visitors: list[Visitor], pooled_server: int
) -> None:
    async def ask(visitor: Visitor) -> list[dict[str, Any]]:
        socket = await GraphQLWebsocket.open(
            pooled_server,
            visitor.client.host,
            origin=f"http://{visitor.client.host}:{pooled_server}",
            cookie=visitor.client.cookie_header(),
        )
        try:
            return [await socket.execute("{ me { email } }") for _ in range(5)]
        finally:
            await socket.connection.close()

    results = await asyncio.gather(*(ask(visitor) for visitor in visitors))

    for visitor, payloads in zip(visitors, results, strict=True):
        assert payloads == [{"data": {"me": {"email": visitor.email}}}] * 5


def test_a_graphql_request_costs_fewer_round_trips_through_the_pooler_than_with_the_stock_backend(
    pgbouncer: Bouncer, visitors: list[Visitor], committed: None, tmp_path: Path
) -> None:
    """The cost, measured on PgBouncer's counters: one visitor's ``me`` request, sequentially
    (with one client at a time the stock backend happens to keep its server connection)."""
    database = settings.DATABASES["default"]["NAME"]
    visitor = visitors[0]
    stock_port, stock_server = start_server(pgbouncer, tmp_path / "stock.log", pooler="")
    figures = {}
    try:
        for name, port in (("stock", stock_port), (POOLER or "stock (as pooled)", visitor.client.port)):
            client = LiveBrandClient(port, visitor.tenant)
            client.http.cookies.update(visitor.client.http.cookies)
            for _ in range(3):  # warm: imports, caches
                assert client.post(ME).json()["data"]["me"] == {"email": visitor.email}
            requests = 30
            before = bouncer_stats(pgbouncer, database)
            timings = []
            for _ in range(requests):
                started = time.perf_counter()
                assert client.post(ME).json()["data"]["me"] == {"email": visitor.email}
                timings.append(time.perf_counter() - started)
            after = bouncer_stats(pgbouncer, database)
            client.http.close()
            figures[name] = {
                "round trips": (after["total_query_count"] - before["total_query_count"]) / requests,
                "transactions": (after["total_xact_count"] - before["total_xact_count"]) / requests,
                "bytes to server": (after["total_received"] - before["total_received"]) / requests,
                "median ms": statistics.median(timings) * 1000,
            }
    finally:
        stock_server.terminate()
        stock_server.wait(timeout=10)

    print("\nGraphQL `me` request through PgBouncer, per request:")
    for name, values in figures.items():
        print(f"  {name:12} " + ", ".join(f"{key} {value:.1f}" for key, value in values.items()))
    if POOLER == "transaction":
        pooled, stock = figures["transaction"], figures["stock"]
        assert pooled["round trips"] < stock["round trips"]  # no session SETs any more


# --- the click drain, a Celery task and ledger_reconcile through PgBouncer ----------------------


def _commission_status(tenant: Tenant, affiliate_id: int) -> list[str]:
    with tenant_context(tenant):
        return list(Commission.objects.filter(beneficiary_id=affiliate_id).values_list("status", flat=True))


def test_the_drain_a_celery_task_and_ledger_reconcile_each_work_in_their_brand_through_the_pooler(
    pgbouncer: Bouncer,
    pooled_server: int,
    pooled_worker: str,
    pooling_tenants: tuple[Tenant, Tenant],
    committed: None,
    tracking_prefix: str,
    settings: Any,
    tmp_path: Path,
) -> None:
    settings.TRACKING_KEY_PREFIX = tracking_prefix  # the routes the pooled server's lane reads
    brands = [
        brand_links(
            tenant, commission_kind=CommissionKind.PER_CLICK, per_click_amount=Decimal("0.25"), hold_days=0
        )
        for tenant in pooling_tenants
    ]
    click_ids: dict[str, list[str]] = {}
    with httpx.Client(base_url=f"http://127.0.0.1:{pooled_server}", timeout=10) as http:
        for brand, clicks in zip(brands, (3, 2), strict=True):
            responses = [
                http.get(
                    f"/r/{brand.link.code}",
                    headers={"Host": brand.host, "User-Agent": "Mozilla/5.0 Firefox/126.0"},
                )
                for _ in range(clicks)
            ]
            assert [response.status_code for response in responses] == [302] * clicks
            click_ids[brand.tenant.schema_name] = sorted(click_id_of(response) for response in responses)

    [drained] = manage(
        pgbouncer,
        ["tracking_drain", "--once"],
        TRACKING_KEY_PREFIX=tracking_prefix,
        CLICK_FALLBACK_DIR=str(tmp_path),
    )
    assert "drained" in drained
    for brand in brands:
        with tenant_context(brand.tenant):
            stored = sorted(
                str(pk) for pk in Click.objects.filter(link=brand.link).values_list("id", flat=True)
            )
        assert stored == click_ids[brand.tenant.schema_name]
        # one unique click (one client address) earned one pending per-click commission
        assert _commission_status(brand.tenant, brand.affiliate.pk) == [CommissionStatus.PENDING]

    first, second = brands
    release_brand_commissions_task.apply_async(
        headers={"_schema_name": first.tenant.schema_name}, queue=pooled_worker
    )

    _wait_for(lambda: _commission_status(first.tenant, first.affiliate.pk) == [CommissionStatus.AVAILABLE])
    assert _commission_status(second.tenant, second.affiliate.pk) == [CommissionStatus.PENDING]

    reports = manage(
        pgbouncer, *(["ledger_reconcile", "--brand", brand.tenant.subdomain] for brand in brands)
    )
    for brand, report in zip(brands, reports, strict=True):
        assert f"{brand.tenant.subdomain}: 0 differences" in report
        assert "ledger consistent: 0 differences" in report


def test_stats_are_per_database(pgbouncer: Bouncer) -> None:
    """The measuring instrument: PgBouncer counts the test database's queries apart."""
    database = settings.DATABASES["default"]["NAME"]
    before = bouncer_stats(pgbouncer, database)
    with psycopg.connect(pgbouncer.url(database), autocommit=True) as connection:
        connection.execute("SELECT 1")
        connection.execute("SELECT 1; SELECT 2")
    after = _wait_for(
        lambda: (
            (stats := bouncer_stats(pgbouncer, database))["total_query_count"]
            > before.get("total_query_count", 0)
            and stats
        )
    )
    assert after["total_query_count"] - before.get("total_query_count", 0) == 2  # one per round trip


def test_a_brand_provisioned_through_the_pooler_is_the_template_to_the_last_index(
    pgbouncer: Bouncer, committed: None
) -> None:
    """Operators create brands from the web process: the clone introspects the template under
    its own ``SET LOCAL search_path``, which the backend must leave alone."""
    subdomain = f"pool{os.environ['TEST_RUN_ID'][-6:]}-new"

    [created] = manage(pgbouncer, ["brand_create", "--name", "Pooled New", "--subdomain", subdomain])

    assert f"{subdomain}." in created
    brand = Tenant.objects.get(subdomain=subdomain)
    assert schema_signature(brand.schema_name) == schema_signature("tenant_template")
    with tenant_context(brand):
        assert Program.objects.count() == 1  # brand_create's default program, in the brand's schema
