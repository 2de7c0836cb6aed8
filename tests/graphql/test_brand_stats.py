"""brandStats: the brand home's public social proof, cached per brand, and its subscription."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Role
from affiliation.models import Affiliate, AffiliateStatus, Conversion
from affiliation.services import commissions_release_due, conversion_record
from analytics.social_proof import CACHE_KEY, brand_stats, brand_stats_uncached
from marketplace.models import Product
from payouts.services import withdrawal_approve, withdrawal_mark_paid, withdrawal_request
from tests.conftest import make_user
from tests.engine import make_affiliate, make_click, make_program
from tests.marketplace.builders import make_merchant, make_product
from tests.ws_client import GraphQLWebsocket

BRAND_STATS = "{ brandStats { affiliates activeDeals commissionsPaid { amount currency } salesLast30Days } }"
BRAND_STATS_UPDATED = (
    "subscription { brandStatsUpdated { affiliates activeDeals commissionsPaid { amount currency } "
    "salesLast30Days } }"
)
PAYPAL = {"email": "me@example.com"}


def _sale(affiliate: Affiliate, order_id: str, amount: str, **fields: Any) -> None:
    click = make_click(affiliate)
    conversion_record(
        source="postback", order_id=order_id, amount=amount, currency="EUR", click_id=str(click.id), **fields
    )


def populate(brand: Any, prefix: str = "stats") -> None:
    """In ``brand``: 3 approved affiliates of active programs (plus a pending one and one of an
    inactive program), 2 live deals (plus a draft and an expired one), 60.00 EUR paid out
    (plus 25.00 EUR still requested) and 2 sales in the last 30 days (plus an older one)."""
    with tenant_context(brand):
        admin = make_user(brand, role=Role.BRAND_ADMIN)
        program = make_program(cascade_rates=[])
        earner = make_affiliate(brand, program)
        make_affiliate(brand, program)
        make_affiliate(brand, make_program(cascade_rates=[]))
        pending = make_affiliate(brand, program)
        Affiliate.objects.filter(pk=pending.pk).update(status=AffiliateStatus.PENDING)
        closed = make_program(cascade_rates=[])
        make_affiliate(brand, closed)
        closed.is_active = False
        closed.save(update_fields=["is_active"])

        _sale(earner, f"{prefix}-1", "500.00")  # 100.00 EUR of commission
        _sale(earner, f"{prefix}-2", "50.00")
        _sale(earner, f"{prefix}-old", "50.00")
        Conversion.objects.filter(order_id=f"{prefix}-old").update(
            occurred_at=timezone.now() - dt.timedelta(days=40)
        )
        commissions_release_due(now=timezone.now() + dt.timedelta(days=31))
        paid = withdrawal_request(affiliate=earner, amount="60.00", method="paypal", details=PAYPAL)
        withdrawal_approve(actor=admin, withdrawal=paid)
        withdrawal_mark_paid(actor=admin, withdrawal=paid, payment_reference="PP-1")
        withdrawal_request(affiliate=earner, amount="25.00", method="paypal", details=PAYPAL)

        merchant = make_merchant(brand)
        make_product(merchant)
        make_product(merchant, expires_at=timezone.now() + dt.timedelta(days=3))
        make_product(merchant, active=False)
        expired = make_product(merchant, expires_at=timezone.now() + dt.timedelta(days=1))
        Product.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - dt.timedelta(hours=1))
        cache.delete(CACHE_KEY)


EXPECTED = {
    "affiliates": 3,
    "activeDeals": 2,
    "commissionsPaid": [{"amount": "60.00", "currency": "EUR"}],
    "salesLast30Days": 2,
}


def test_anonymous_visitors_get_the_brands_numbers(brand_a, gql):
    populate(brand_a)

    data = gql(brand_a).data(BRAND_STATS)

    assert data == {"brandStats": EXPECTED}


def test_an_empty_brand_has_zeros_and_no_currencies(brand_b, gql):
    with tenant_context(brand_b):
        cache.delete(CACHE_KEY)

    assert gql(brand_b).data(BRAND_STATS) == {
        "brandStats": {"affiliates": 0, "activeDeals": 0, "commissionsPaid": [], "salesLast30Days": 0}
    }


def test_stats_are_read_in_four_queries_then_from_the_cache(brand_a, django_assert_num_queries):
    populate(brand_a)
    with tenant_context(brand_a):
        with django_assert_num_queries(5):  # four reads, after the connection's SET search_path
            first = brand_stats()
        with django_assert_num_queries(0):
            second = brand_stats()
        make_affiliate(brand_a, make_program(cascade_rates=[]))

        assert second == first
        assert brand_stats().affiliates == 3  # still the cached figure for up to 30 s
        assert brand_stats_uncached().affiliates == 4


def test_the_query_count_does_not_grow_with_the_data(brand_a, brand_b):
    populate(brand_a)
    counts = []
    for brand in (brand_a, brand_b):  # a populated brand, then an empty one
        with tenant_context(brand), CaptureQueriesContext(connection) as queries:
            brand_stats_uncached()
        counts.append(len(queries))

    assert counts == [5, 5]


def test_the_root_host_has_no_brand_stats(public_tenant, client):
    response = client.post(
        "/graphql/",
        data={"query": BRAND_STATS},
        content_type="application/json",
        HTTP_HOST=public_tenant.domains.get(is_primary=True).domain,
    )

    assert response.json()["errors"][0]["extensions"]["code"] == "NOT_A_BRAND_HOST"


@pytest.mark.live
async def test_the_subscription_sends_the_first_snapshot_over_a_websocket(live_server_port, live_brands):
    brand, _ = live_brands
    await sync_to_async(populate)(brand, "live")
    domain = await sync_to_async(lambda: brand.domains.get().domain)()
    socket = await GraphQLWebsocket.open(live_server_port, domain)

    subscription = await socket.subscribe(BRAND_STATS_UPDATED)
    message = await socket.receive(timeout=5)

    assert message == {
        "id": subscription,
        "type": "next",
        "payload": {"data": {"brandStatsUpdated": EXPECTED}},
    }
    await socket.send({"id": subscription, "type": "complete"})
    await socket.close()
    await asyncio.sleep(0)
    assert connection.schema_name == "public"
