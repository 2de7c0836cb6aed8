"""IP blocks in the click lane: a click from a network blocked on a brand is refused (403) and
not recorded, on that brand only; the lane learns of a block through the published host route
(no database in the request)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from accounts.models import Role
from tenants.models import IpBlock
from tenants.services import ip_block_create, ip_block_delete
from tests.conftest import make_user
from tests.tracking.conftest import stream_length


@pytest.fixture
def block(brands: Any, public_tenant_user: Any) -> Iterator[Any]:
    """``block(brand, network)``: a committed block, lifted after the test (the brands are shared)."""
    made: list[IpBlock] = []

    def make(brand: Any, network: str) -> IpBlock:
        made.append(ip_block_create(actor=public_tenant_user, brand_id=brand.tenant.pk, network=network))
        return made[-1]

    yield make
    for item in made:
        if IpBlock.objects.filter(pk=item.pk).exists():
            ip_block_delete(actor=public_tenant_user, block_id=item.pk)


@pytest.fixture
def public_tenant_user(committed: None) -> Any:
    from tenants.models import Tenant

    return make_user(Tenant.objects.get(schema_name="public"), role=Role.OPERATOR)


def test_a_blocked_network_gets_403_and_no_click_on_that_brand_only(
    brands, block, lane_factory, tracking_redis, prefix
):
    brand_a, brand_b = brands
    block(brand_a, "203.0.113.0/24")
    lane = lane_factory()

    refused = lane.get(brand_a.host, f"/r/{brand_a.link.code}", ip="203.0.113.50")
    allowed = lane.get(brand_a.host, f"/r/{brand_a.link.code}", ip="198.51.100.50")
    other_brand = lane.get(brand_b.host, f"/r/{brand_b.link.code}", ip="203.0.113.50")

    assert refused.status_code == 403
    assert "set-cookie" not in refused.headers
    assert "location" not in refused.headers
    assert allowed.status_code == 302
    assert other_brand.status_code == 302
    assert stream_length(tracking_redis, prefix) == 2  # the two redirected clicks only


def test_a_blocked_client_behind_a_trusted_proxy_is_refused(brands, block, lane_factory):
    brand, _ = brands
    block(brand, "2001:db8::/32")
    lane = lane_factory(client_ip_header=b"x-forwarded-for", trusted_proxies=("198.51.100.7",))

    refused = lane.get(brand.host, f"/r/{brand.link.code}", headers={"x-forwarded-for": "2001:db8::1"})
    spoofed = lane.get(
        brand.host, f"/r/{brand.link.code}", ip="192.0.2.1", headers={"x-forwarded-for": "2001:db8::1"}
    )

    assert refused.status_code == 403
    assert spoofed.status_code == 302  # the header of an untrusted peer is ignored


def test_lifting_a_block_reaches_a_new_lane(brands, block, lane_factory, public_tenant_user):
    brand, _ = brands
    item = block(brand, "203.0.113.77")
    assert lane_factory().get(brand.host, f"/r/{brand.link.code}", ip="203.0.113.77").status_code == 403

    ip_block_delete(actor=public_tenant_user, block_id=item.pk)

    assert lane_factory().get(brand.host, f"/r/{brand.link.code}", ip="203.0.113.77").status_code == 302
