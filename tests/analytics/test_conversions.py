"""Conversions, refunds and commissions into the rollups: the sync adds the difference since
the last time, so replays, reorderings and concurrent runs change nothing twice."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from decimal import Decimal

import pytest
from django.db import close_old_connections, connection, transaction
from django.utils import timezone
from django_tenants.utils import tenant_context

from affiliation.services import conversion_record, conversion_refund, link_create
from analytics.models import ALL_AFFILIATES, AnalyticsRollup, Dimension, Granularity
from analytics.services import conversion_rollup_sync
from core.ids import new_time_ordered_id
from tests.analytics.conftest import rollup_sums
from tests.engine import make_affiliate, make_program
from tracking.models import Click


@pytest.fixture
def in_brand_a(brand_a):  # type: ignore[no-untyped-def]
    with tenant_context(brand_a):
        yield brand_a


def _tree(brand, **program_fields):  # type: ignore[no-untyped-def]
    """parent ← seller in a 20 % program with a 10 % cascade; the seller's link has an offer."""
    program = make_program(cascade_rates=[Decimal(10)], **program_fields)
    parent = make_affiliate(brand, program)
    seller = make_affiliate(brand, program, referrer=parent)
    link = link_create(affiliate=seller, offer_ref="product:7")
    return program, seller, parent, link


def _click(link, **values):  # type: ignore[no-untyped-def]
    return Click.objects.create(
        id=new_time_ordered_id(),
        link=link,
        affiliate_id=link.affiliate_id,
        program_id=link.program_id,
        created_at=timezone.now() - dt.timedelta(minutes=5),
        ip_hash="1" * 32,
        is_unique=True,
        country=values.get("country", "FR"),
        device_type=values.get("device", "mobile"),
        browser=values.get("browser", "Mobile Safari"),
        referrer_host=values.get("referrer_host", "t.co"),
    )


def _sale(link, order_id: str, amount: str = "100.00"):  # type: ignore[no-untyped-def]
    return conversion_record(
        source="postback", order_id=order_id, amount=amount, currency="EUR", click_id=str(_click(link).id)
    ).conversion


def test_a_sale_counts_under_the_click_s_values_and_the_cascade_under_its_beneficiary(in_brand_a):
    program, seller, parent, link = _tree(in_brand_a)
    conversion = _sale(link, "sale-1")

    assert conversion_rollup_sync(conversion_id=conversion.pk) is True

    for granularity in Granularity.values:
        seller_row = rollup_sums(
            granularity=granularity, dimension=Dimension.ALL, affiliate_id=seller.pk, program_id=program.pk
        )
        assert (seller_row["conversions"], seller_row["revenue"], seller_row["commissions"]) == (
            1,
            Decimal("100.00"),
            Decimal("20.00"),
        )
        parent_row = rollup_sums(
            granularity=granularity, dimension=Dimension.ALL, affiliate_id=parent.pk, program_id=program.pk
        )
        assert (parent_row["conversions"], parent_row["revenue"], parent_row["commissions"]) == (
            0,
            Decimal(0),
            Decimal("10.00"),
        )
        brand_wide = rollup_sums(
            granularity=granularity,
            dimension=Dimension.ALL,
            affiliate_id=ALL_AFFILIATES,
            program_id=program.pk,
        )
        assert (brand_wide["conversions"], brand_wide["revenue"], brand_wide["commissions"]) == (
            1,
            Decimal("100.00"),
            Decimal("30.00"),
        )
    day = {"granularity": Granularity.DAY, "program_id": program.pk}
    # The seller's commission follows the click's values; the parent's is outside any traffic.
    country = {
        (row.affiliate_id, row.dimension_value): row.commissions
        for row in AnalyticsRollup.objects.filter(dimension=Dimension.COUNTRY, **day).exclude(affiliate_id=0)
    }
    assert country == {(seller.pk, "FR"): Decimal("20.00"), (parent.pk, ""): Decimal("10.00")}
    sources = {
        row.dimension_value: row.conversions
        for row in AnalyticsRollup.objects.filter(dimension=Dimension.SOURCE, affiliate_id=seller.pk, **day)
    }
    assert sources == {"social": 1}
    offers = set(
        AnalyticsRollup.objects.filter(affiliate_id__gt=0, **day).values_list("offer_ref", flat=True)
    )
    assert offers == {"product:7"}
    links = {
        row.dimension_value: row.revenue
        for row in AnalyticsRollup.objects.filter(dimension=Dimension.LINK, affiliate_id=seller.pk, **day)
    }
    assert links == {str(link.pk): Decimal("100.00")}


def test_a_replayed_sync_changes_nothing(in_brand_a):
    program, _, _, link = _tree(in_brand_a)
    conversion = _sale(link, "sale-2")
    conversion_rollup_sync(conversion_id=conversion.pk)
    before = list(AnalyticsRollup.objects.filter(program_id=program.pk).order_by("pk").values())

    assert conversion_rollup_sync(conversion_id=conversion.pk) is False

    assert list(AnalyticsRollup.objects.filter(program_id=program.pk).order_by("pk").values()) == before


def test_refunds_net_the_revenue_and_commissions_whatever_the_order_of_the_syncs(in_brand_a):
    program, seller, _, link = _tree(in_brand_a)
    synced_between = _sale(link, "sale-3")
    synced_after = _sale(link, "sale-4")

    conversion_rollup_sync(conversion_id=synced_between.pk)
    conversion_refund(source="postback", order_id="sale-3", refund_id="r-1", amount="40.00")
    conversion_rollup_sync(conversion_id=synced_between.pk)
    conversion_refund(source="postback", order_id="sale-4", refund_id="r-2", amount="40.00")
    conversion_rollup_sync(conversion_id=synced_after.pk)  # recorded and refunded before its first sync
    conversion_rollup_sync(conversion_id=synced_after.pk)

    program_level = rollup_sums(
        granularity=Granularity.DAY,
        dimension=Dimension.ALL,
        affiliate_id=ALL_AFFILIATES,
        program_id=program.pk,
    )
    assert (program_level["conversions"], program_level["revenue"], program_level["commissions"]) == (
        2,
        Decimal("120.00"),  # 2 x (100 - 40)
        Decimal("36.00"),  # 2 x (12 + 6)
    )
    seller_level = rollup_sums(
        granularity=Granularity.HOUR, dimension=Dimension.DEVICE, affiliate_id=seller.pk
    )
    assert seller_level["commissions"] == Decimal("24.00")


def test_a_coupon_sale_has_no_link_and_no_traffic_values(in_brand_a):
    from affiliation.services import coupon_create

    program, seller, _, _ = _tree(in_brand_a)
    coupon_create(actor=None, affiliate=seller, code="SAVE10")
    conversion = conversion_record(
        source="api",
        order_id="coupon-1",
        amount="50.00",
        currency="EUR",
        coupon_code="SAVE10",
        offer_ref="product:9",
    ).conversion

    conversion_rollup_sync(conversion_id=conversion.pk)

    rows = AnalyticsRollup.objects.filter(
        granularity=Granularity.DAY, affiliate_id=seller.pk, program_id=program.pk, conversions__gt=0
    )
    assert {(row.dimension, row.dimension_value, row.offer_ref) for row in rows} == {
        (dimension, "", "product:9") for dimension in Dimension.values
    }


@pytest.mark.live
def test_concurrent_syncs_of_one_conversion_count_it_once(analytics_tenants, committed):
    brand, _ = analytics_tenants
    with tenant_context(brand):
        # A committed brand that other modules' builders also fill: a slug of its own.
        program, seller, _, link = _tree(brand, name="Race", slug=f"race-{uuid.uuid4().hex[:12]}")
        with transaction.atomic():
            conversion = _sale(link, f"race-{program.pk}")
            # The race below is the point: the sale's conversion.created dispatch (which queues a
            # sync for any Celery worker an earlier test left running) must not sync it first.
            transaction.get_connection().run_on_commit.clear()
    barrier = threading.Barrier(8)
    results: list[bool] = []
    lock = threading.Lock()

    def sync() -> None:
        try:
            with tenant_context(brand):
                barrier.wait()
                changed = conversion_rollup_sync(conversion_id=conversion.pk)
            with lock:
                results.append(changed)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=sync) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(results) == [False] * 7 + [True]
    with tenant_context(brand):
        for affiliate_id in (seller.pk, ALL_AFFILIATES):
            sums = rollup_sums(
                granularity=Granularity.DAY,
                dimension=Dimension.ALL,
                affiliate_id=affiliate_id,
                program_id=program.pk,
            )
            assert (sums["conversions"], sums["revenue"]) == (1, Decimal("100.00"))
