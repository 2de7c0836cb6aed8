"""A click on a brand's verified custom domain goes through the lane like one on its subdomain;
a pending domain is unknown to the lane, and a removed one is forgotten (its host route too)."""

from __future__ import annotations

import json
import os

import httpx
import pytest

from tenants.custom_domains import custom_domain_add, custom_domain_remove, custom_domain_verify
from tenants.domain_checks import txt_record_name
from tenants.models import CustomDomainStatus
from tests.tenants import conftest as custom_domain_fixtures
from tests.tracking.conftest import click_id_of, stream_length
from tracking import keys

pytestmark = pytest.mark.live

# The local DNS server fixtures of the custom-domain tests (pytest registers them by these names).
dns_server = custom_domain_fixtures.dns_server
custom_dns = custom_domain_fixtures.dns


def test_a_click_on_the_custom_domain_redirects_through_the_lane(
    brands, lane_factory, custom_dns, tracking_redis, prefix
):
    brand, other = brands
    host = f"go-{os.environ['TEST_RUN_ID'][-6:]}.example.com"
    claim = custom_domain_add(actor=None, tenant=brand.tenant, domain=host)
    try:
        pending = lane_factory().get(host, f"/r/{brand.link.code}")
        assert pending.status_code == 404  # not a Domain row: unknown to the lane

        custom_dns.set(txt_record_name(host), "TXT", claim.token)
        assert custom_domain_verify(actor=None, tenant=brand.tenant, custom_domain_id=claim.pk).status == (
            CustomDomainStatus.VERIFIED
        )
        route = json.loads(tracking_redis.get(keys.host_route_key(host, prefix)))
        assert route["schema"] == brand.tenant.schema_name

        response = lane_factory().get(host, f"/r/{brand.link.code}")
        assert response.status_code == 302
        assert httpx.URL(response.headers["location"]).host == "shop.example.com"
        assert click_id_of(response)
        assert stream_length(tracking_redis, prefix) == 1
        # Brand B's code on A's custom domain is A's 404, never B's link.
        assert lane_factory().get(host, f"/r/{other.link.code}").status_code == 404
        # The subdomain keeps redirecting.
        assert lane_factory().get(brand.host, f"/r/{brand.link.code}").status_code == 302
    finally:
        custom_domain_remove(actor=None, tenant=brand.tenant, custom_domain_id=claim.pk)

    assert json.loads(tracking_redis.get(keys.host_route_key(host, prefix))) == {"missing": True}
    assert lane_factory().get(host, f"/r/{brand.link.code}").status_code == 404
