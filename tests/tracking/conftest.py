"""Fixtures of the click path: committed brands with programs and links, the lane driven
in-process (httpx's ASGITransport on an event loop of the test's own), the drain, and a
Redis key prefix of each test's own so that streams and routes never mix between tests."""

from __future__ import annotations

import asyncio
import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import pytest
import redis
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Role
from affiliation.models import Affiliate, AffiliateStatus, CommissionTier, Link, Program
from tenants.models import Tenant
from tenants.services import brand_create
from tests.conftest import delete_tracking_keys as _delete_keys
from tests.conftest import domain_of, make_user, two_factor_optional
from tracking import keys
from tracking.ingest import ClickDrain
from tracking.redirect import ClickLane, LaneConfig
from tracking.routing import host_route_publish, link_route_publish

BROWSER = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Mobile/15E148 Safari/604.1"
)
_numbers = itertools.count(1)


@pytest.fixture
def prefix(settings: Any) -> Iterator[str]:
    """A Redis key prefix of this test's own (routes, stream, dead letters); deleted afterwards."""
    value = f"test{os.environ['TEST_RUN_ID']}-t{next(_numbers)}"
    settings.TRACKING_KEY_PREFIX = value
    yield value
    _delete_keys(f"{value}:*")


@pytest.fixture
def tracking_redis() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(settings.TRACKING_REDIS_URL, decode_responses=True)
    yield client
    client.close()


@dataclass
class BrandLinks:
    """A committed brand with one program, one approved affiliate and its links."""

    tenant: Tenant
    host: str
    program: Program
    affiliate: Affiliate
    link: Link

    def add_link(self, **fields: Any) -> Link:
        with tenant_context(self.tenant):
            link = _link(self.program, self.affiliate, **fields)
            link_route_publish(link)
        return link

    def archive(self, link: Link) -> None:
        with tenant_context(self.tenant):
            link.archived_at = timezone.now()
            link.save(update_fields=["archived_at"])
            link_route_publish(link)


def _link(program: Program, affiliate: Affiliate, **fields: Any) -> Link:
    number = next(_numbers)
    values: dict[str, Any] = {
        "code": f"c{number}x",
        "target_url": "https://shop.example.com/landing?ref=aff&utm_source=stored",
        "utm": {"utm_source": "affiliate", "utm_medium": "link"},
        "sub_ids": {"sub2": "default2"},
    }
    values.update(fields)
    return Link.objects.create(affiliate=affiliate, program=program, **values)


def brand_links(tenant: Tenant, *, publish: bool = True, **program_fields: Any) -> BrandLinks:
    """Program, tier, affiliate and one link in ``tenant`` (committed); routes published."""
    with tenant_context(tenant):
        number = next(_numbers)
        program = Program.objects.create(
            name=f"Program {number}",
            slug=f"program-{number}",
            landing_url="https://shop.example.com/",
            currency="EUR",
            **program_fields,
        )
        tier = CommissionTier.objects.create(
            program=program, code="default", label="Default", rate=Decimal("20"), is_default=True
        )
        user = make_user(tenant, role=Role.AFFILIATE)
        affiliate = Affiliate.objects.create(
            user=user,
            program=program,
            tier=tier,
            status=AffiliateStatus.APPROVED,
            referral_code=f"ref{number}-{os.getpid()}"[:16],
        )
        link = _link(program, affiliate)
        if publish:
            link_route_publish(link)
    host = domain_of(tenant)
    if publish:
        host_route_publish(host, tenant.schema_name, tenant.name)
    return BrandLinks(tenant=tenant, host=host, program=program, affiliate=affiliate, link=link)


@pytest.fixture(scope="session")
def tracking_tenants(django_db_setup: Any, django_db_blocker: Any) -> tuple[Tenant, Tenant]:
    """Two committed brands for every test here (a clone costs more as schemas pile up): each
    test gets programs, affiliates and links of its own in them, and asserts on those."""
    run = os.environ["TEST_RUN_ID"][-6:]
    with django_db_blocker.unblock():
        return two_factor_optional(  # type: ignore[return-value]
            *(
                brand_create(
                    actor=None,
                    name=f"Tracking {letter.upper()}",
                    subdomain=f"trk{run}-{letter}",
                    theme="default",
                    currency="EUR",
                    language="en",
                )
                for letter in ("a", "b")
            )
        )


@pytest.fixture
def committed(django_db_blocker: Any) -> Iterator[None]:
    """Database access in the test body, without a transaction around it: the lane's thread
    and the drain read and write committed rows."""
    with django_db_blocker.unblock():
        yield
        connection.set_schema_to_public()


@pytest.fixture
def brands(
    tracking_tenants: tuple[Tenant, Tenant], committed: None, prefix: str
) -> tuple[BrandLinks, BrandLinks]:
    """Brands A and B with a fresh link each, routes published under this test's prefix."""
    first, second = tracking_tenants
    return brand_links(first), brand_links(second)


class LaneClient:
    """Requests to a ClickLane in-process, on one event loop kept for the whole test."""

    def __init__(self, lane: ClickLane) -> None:
        self.lane = lane
        self.loop = asyncio.new_event_loop()

    def request(
        self,
        host: str,
        path: str,
        *,
        method: str = "GET",
        headers: dict[str, str] | None = None,
        ip: str = "198.51.100.7",
        user_agent: str = BROWSER,
    ) -> httpx.Response:
        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.lane, client=(ip, 40000))  # type: ignore[arg-type]
            async with httpx.AsyncClient(transport=transport, base_url=f"http://{host}") as client:
                return await client.request(
                    method, path, headers={"user-agent": user_agent, **(headers or {})}
                )

        return self.loop.run_until_complete(send())

    def get(self, host: str, path: str, **options: Any) -> httpx.Response:
        return self.request(host, path, **options)

    def close(self) -> None:
        self.loop.run_until_complete(self.lane.aclose())
        self.loop.close()


@pytest.fixture
def lane_factory(prefix: str, tmp_path: Any) -> Iterator[Any]:
    """``lane_factory(**config)``: a lane on this test's prefix; its fallback dir is tmp."""
    clients: list[LaneClient] = []

    def make(**overrides: Any) -> LaneClient:
        overrides.setdefault("fallback_dir", tmp_path / "fallback")
        client = LaneClient(ClickLane(LaneConfig.from_settings(**overrides)))
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def lane(lane_factory: Any) -> LaneClient:
    return lane_factory()


@pytest.fixture
def drain_factory(prefix: str, tmp_path: Any) -> Iterator[Any]:
    """``drain_factory(cls=ClickDrain, **options)``: a drain of this test's stream."""
    drains: list[ClickDrain] = []

    def make(cls: type[ClickDrain] = ClickDrain, **options: Any) -> ClickDrain:
        options.setdefault("consumer", f"consumer-{next(_numbers)}")
        options.setdefault("fallback_dir", tmp_path / "fallback")
        options.setdefault("key_prefix", prefix)
        drains.append(cls(**options))
        return drains[-1]

    yield make
    for drain in drains:
        drain.close()


@pytest.fixture
def drain(drain_factory: Any) -> ClickDrain:
    return drain_factory()


def stream_length(client: redis.Redis, prefix: str) -> int:
    return int(client.xlen(keys.click_stream_key(prefix)))


def click_id_of(response: httpx.Response) -> str:
    """The click id the target receives."""
    query = httpx.URL(response.headers["location"]).params
    return str(query[keys.CLICK_ID_PARAMETER])


def link_rollups(link: Any, granularity: str = "hour") -> list[tuple[Any, int, int]]:
    """(bucket start, clicks, unique clicks) of a link in the one click rollup (``analytics_rollup``,
    the ``link`` dimension), oldest first; in the current schema."""
    from analytics.models import AnalyticsRollup, Dimension

    return list(
        AnalyticsRollup.objects.filter(
            granularity=granularity,
            dimension=Dimension.LINK,
            affiliate_id=link.affiliate_id,
            dimension_value=str(link.pk),
        )
        .order_by("bucket_start")
        .values_list("bucket_start", "clicks", "unique_clicks")
    )
