"""Test fixtures: real PostgreSQL (one test database, schemas and all), real Redis.

The public tenant, the migrated template and two brands (alpha, beta) are created once per
session; ordinary tests run inside a transaction that is rolled back. Tests marked ``live``
talk to a real uvicorn server, websockets and a Celery worker in other threads, which only
see committed rows: they get brands of their own from ``live_brands``.
"""

from __future__ import annotations

import itertools
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection
from django_tenants.utils import get_public_schema_name, tenant_context

from accounts.models import Role, User
from tenants.models import Tenant
from tenants.services import brand_create, public_tenant_ensure, template_tenant_ensure
from tests.graphql_client import GraphQLClient

os.environ.setdefault("TEST_RUN_ID", str(os.getpid()))

pytest_plugins = ["tests.stripe_fixtures", "tests.stripe_world"]

ALPHA = {"name": "Alpha Brand", "subdomain": "alpha", "theme": "default", "currency": "EUR", "language": "en"}
BETA = {"name": "Beta Brand", "subdomain": "beta", "theme": "aurum", "currency": "MAD", "language": "fr"}
PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="session")
def django_db_setup(django_test_environment, django_db_blocker):  # type: ignore[no-untyped-def]
    """Always the test database, even in a run of live tests only: pytest-django would set up
    only the databases that ``django_db``-marked tests ask for, and leave the connection on
    the real database otherwise."""
    from django.test.utils import setup_databases, teardown_databases

    with django_db_blocker.unblock():
        config = setup_databases(
            verbosity=0, interactive=False, aliases={"default"}, serialized_aliases=set()
        )
        public_tenant_ensure()
        template_tenant_ensure()
        brand_create(actor=None, **ALPHA)
        brand_create(actor=None, **BETA)
        # Two-factor is mandatory for brand admins and operators by default; the shared test
        # brands make it optional, so suites that sign in admins test their own subject. The
        # two-factor suites (tests/accounts/test_two_factor*.py) set the real default back.
        Tenant.objects.update(two_factor_required_roles=[])
    yield
    with django_db_blocker.unblock():
        with connection.cursor() as cursor:
            # Threads of the live server and the Celery worker keep connections open; the test
            # database cannot be dropped while they are there.
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        teardown_databases(config, verbosity=0)


@pytest.fixture(scope="session", autouse=True)
def s3_server() -> Iterator[str]:
    """S3 is moto in server mode on 127.0.0.1 (the port is chosen by the test settings)."""
    import boto3
    from django.conf import settings
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=settings.TEST_S3_PORT, verbose=False)
    server.start()
    boto3.client(
        "s3",
        endpoint_url=settings.AWS_S3_ENDPOINT_URL,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    ).create_bucket(Bucket=settings.AWS_STORAGE_BUCKET_NAME)
    yield settings.AWS_S3_ENDPOINT_URL
    server.stop()


def delete_tracking_keys(pattern: str) -> None:
    """Delete the click lane's Redis keys (routes, streams) matching ``pattern``."""
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.TRACKING_REDIS_URL)
    stale = list(client.scan_iter(match=pattern, count=1000))
    if stale:
        client.delete(*stale)
    client.close()


@pytest.fixture(scope="session", autouse=True)
def _run_routes_removed() -> Iterator[None]:
    """Link routes published under this run's key prefix (link services publish them after
    commit, in any test) are removed at the end of the run: Redis may be shared."""
    from tracking import keys

    yield
    delete_tracking_keys(f"{keys.key_prefix()}:*")


@pytest.fixture(autouse=True)
def _back_to_public() -> Iterator[None]:
    """Requests and tenant_context blocks leave the connection on a brand; start each test clean."""
    yield
    connection.set_schema_to_public()


@pytest.fixture
def brand_a(db: None) -> Tenant:
    return Tenant.objects.get(subdomain=ALPHA["subdomain"])


@pytest.fixture
def brand_b(db: None) -> Tenant:
    return Tenant.objects.get(subdomain=BETA["subdomain"])


@pytest.fixture
def public_tenant(db: None) -> Tenant:
    return Tenant.objects.get(schema_name=get_public_schema_name())


def two_factor_optional(*brands: Tenant) -> tuple[Tenant, ...]:
    """Test brands make two-factor optional, as the shared ones do (see django_db_setup)."""
    for brand in brands:
        brand.two_factor_required_roles = []
        brand.save(update_fields=["two_factor_required_roles"])
    return brands


_emails = itertools.count(1)


def make_user(
    tenant: Tenant, *, role: str = Role.AFFILIATE, email: str | None = None, password: str = PASSWORD
) -> User:
    """A user in ``tenant``'s schema (or an operator in the public one)."""
    with tenant_context(tenant):
        return User.objects.create_user(
            email=email or f"user{next(_emails)}-{os.getpid()}@example.com", password=password, role=role
        )


@contextmanager
def in_tenant(tenant: Tenant) -> Iterator[None]:
    with tenant_context(tenant):
        yield


def domain_of(tenant: Tenant) -> str:
    return tenant.domains.get(is_primary=True).domain


@pytest.fixture
def gql(client):  # type: ignore[no-untyped-def]
    """``gql(tenant, user=None)``: a GraphQL client on the tenant's host (Django test client)."""

    def make(tenant: Tenant, user: User | None = None) -> GraphQLClient:
        graphql_client = GraphQLClient(client.__class__(), host=domain_of(tenant))
        if user is not None:
            with tenant_context(tenant):
                graphql_client.client.force_login(user)
        return graphql_client

    return make


# --- live: a real server, websockets and a Celery worker ------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def live_server_port(django_db_setup, django_db_blocker) -> Iterator[int]:  # type: ignore[no-untyped-def]
    """uvicorn serving the project's ASGI application (HTTP and websockets) on 127.0.0.1."""
    import uvicorn

    from config.asgi import application

    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            application,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="off",
            ws="websockets-sansio",
            # As in production: the project resolves the client from TRUSTED_PROXIES itself
            # (core.clientip); uvicorn's own X-Forwarded-For handling trusts 127.0.0.1.
            proxy_headers=False,
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    with django_db_blocker.unblock():
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("live server did not start")
            time.sleep(0.02)
        yield port
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def celery_worker_thread(django_db_setup, django_db_blocker) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """A real Celery worker (Redis broker) consuming this run's own queue, in a thread."""
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    with (
        django_db_blocker.unblock(),
        start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING"),
    ):
        yield


_live_numbers = itertools.count(1)


@pytest.fixture
def live_brands(django_db_setup, django_db_blocker) -> Iterator[tuple[Tenant, Tenant]]:  # type: ignore[no-untyped-def]
    """Two committed brands of this test's own, for tests whose other threads need to see rows."""
    with django_db_blocker.unblock():
        run = os.environ["TEST_RUN_ID"][-6:]
        number = next(_live_numbers)
        brands = tuple(
            brand_create(
                actor=None,
                name=f"Live {letter.upper()}{number}",
                subdomain=f"live{run}-{number}{letter}",
                theme=theme,
                currency="EUR",
                language="en",
            )
            for letter, theme in (("a", "default"), ("b", "vivid"))
        )
        two_factor_optional(*brands)
        yield brands  # type: ignore[misc]
        connection.set_schema_to_public()


class LiveBrandClient:
    """HTTP to the live server on one brand's host, as a browser would: cookies and CSRF."""

    def __init__(self, port: int, tenant: Tenant) -> None:
        import httpx

        self.port = port
        self.host = domain_of(tenant)
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Host": self.host}, timeout=10)

    def csrf_token(self) -> str:
        self.http.get("/graphql/", headers={"Accept": "text/html"})
        return str(self.http.cookies["csrftoken"])

    def post(self, query: str, variables: dict | None = None, headers: dict | None = None):  # type: ignore[no-untyped-def,type-arg]
        return self.http.post(
            "/graphql/", json={"query": query, "variables": variables or {}}, headers=headers or {}
        )

    def login(self, email: str, password: str = PASSWORD) -> None:
        response = self.post(
            "mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { errors { code } } }",
            {"e": email, "p": password},
            headers={"X-CSRFToken": self.csrf_token()},
        )
        assert response.status_code == 200, response.text
        assert response.json()["data"]["login"]["errors"] == [], response.text

    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.http.cookies.items())


@pytest.fixture
def live_client(live_server_port):  # type: ignore[no-untyped-def]
    clients: list[LiveBrandClient] = []

    def make(tenant: Tenant) -> LiveBrandClient:
        clients.append(LiveBrandClient(live_server_port, tenant))
        return clients[-1]

    yield make
    for live in clients:
        live.http.close()
