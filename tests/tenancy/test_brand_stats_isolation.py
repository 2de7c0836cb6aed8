"""brandStats and brandStatsUpdated: one brand's social proof never shows another brand's data,
over HTTP, over websockets and through the (tenant-keyed) cache."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.core.cache import cache
from django_tenants.utils import tenant_context

from analytics.social_proof import CACHE_KEY, brand_stats
from tests.graphql.test_brand_stats import BRAND_STATS, BRAND_STATS_UPDATED, EXPECTED, populate
from tests.ws_client import GraphQLWebsocket

EMPTY = {"affiliates": 0, "activeDeals": 0, "commissionsPaid": [], "salesLast30Days": 0}


def test_brand_b_does_not_count_brand_a_data(brand_a, brand_b, gql):
    populate(brand_a)
    with tenant_context(brand_b):
        cache.delete(CACHE_KEY)

    assert gql(brand_a).data(BRAND_STATS) == {"brandStats": EXPECTED}
    assert gql(brand_b).data(BRAND_STATS) == {"brandStats": EMPTY}


def test_the_cached_stats_of_brand_a_are_not_served_to_brand_b(brand_a, brand_b):
    populate(brand_a)
    with tenant_context(brand_b):
        cache.delete(CACHE_KEY)
    with tenant_context(brand_a):
        warm = brand_stats()
        assert cache.get(CACHE_KEY) == warm

    with tenant_context(brand_b):
        assert cache.get(CACHE_KEY) is None
        assert brand_stats().affiliates == 0
    with tenant_context(brand_a):
        assert cache.get(CACHE_KEY).affiliates == 3


@pytest.mark.live
async def test_subscribers_of_brand_b_get_brand_b_numbers(live_server_port, live_brands):
    brand, other = live_brands
    await sync_to_async(populate)(brand, "iso")
    domain = await sync_to_async(lambda: brand.domains.get().domain)()
    other_domain = await sync_to_async(lambda: other.domains.get().domain)()
    socket_a = await GraphQLWebsocket.open(live_server_port, domain)
    socket_b = await GraphQLWebsocket.open(live_server_port, other_domain)

    # B first, so that B's read runs on the executor thread right after A's populate.
    id_b = await socket_b.subscribe(BRAND_STATS_UPDATED)
    first_b = await socket_b.receive(timeout=5)
    id_a = await socket_a.subscribe(BRAND_STATS_UPDATED)
    first_a = await socket_a.receive(timeout=5)

    assert first_b == {"id": id_b, "type": "next", "payload": {"data": {"brandStatsUpdated": EMPTY}}}
    assert first_a == {"id": id_a, "type": "next", "payload": {"data": {"brandStatsUpdated": EXPECTED}}}
    await socket_a.close()
    await socket_b.close()
