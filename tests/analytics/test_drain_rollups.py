"""The click drain feeds the dashboards' rollups in the transaction of its COPY: per hour and
day, per dimension, at affiliate and program level; exact across crashes and redeliveries."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest
from django_tenants.utils import tenant_context

from affiliation.models import Commission, CommissionKind
from analytics.models import ALL_AFFILIATES, AnalyticsRollup, Dimension, Granularity
from analytics.sources import classify_referrer_host
from tests.analytics.conftest import CHROME, FIREFOX, IPHONE, by_value, rollup_sums
from tests.tracking.conftest import brand_links
from tests.tracking.test_drain import Crash, CrashBeforeAcknowledge, CrashBeforeCommit
from tracking.models import Click

pytestmark = pytest.mark.live

# (user agent, referrer, country, IP): 3 desktop Chrome, 2 iPhone Safari, 1 Firefox
VISITS = [
    (CHROME, "https://www.google.fr/search?q=spa", "FR", "198.51.100.1"),
    (CHROME, "https://www.google.fr/search?q=spa", "FR", "198.51.100.1"),  # same IP: not unique
    (CHROME, "", "MA", "198.51.100.2"),
    (IPHONE, "https://l.instagram.com/?u=x", "FR", "198.51.100.3"),
    (IPHONE, "https://mail.google.com/mail/u/0/", "", "198.51.100.4"),
    (FIREFOX, "https://news.example.org/article", "US", "198.51.100.5"),
]


def _visit(lane, brand, link=None) -> None:  # type: ignore[no-untyped-def]
    code = (link or brand.link).code
    for user_agent, referrer, country, ip in VISITS:
        headers = {"cf-ipcountry": country} if country else {}
        if referrer:
            headers["referer"] = referrer
        response = lane.get(brand.host, f"/r/{code}", user_agent=user_agent, ip=ip, headers=headers)
        assert response.status_code == 302


def _recomputed(brand) -> dict[str, Counter[str]]:  # type: ignore[no-untyped-def]
    """Clicks per dimension value, recomputed from the raw clicks of the brand's affiliate."""
    with tenant_context(brand.tenant):
        clicks = list(
            Click.objects.filter(affiliate_id=brand.affiliate.pk).values(
                "link_id", "country", "device_type", "browser", "referrer_host"
            )
        )
    return {
        Dimension.LINK: Counter(str(c["link_id"]) for c in clicks),
        Dimension.COUNTRY: Counter(c["country"] for c in clicks),
        Dimension.DEVICE: Counter(c["device_type"] for c in clicks),
        Dimension.BROWSER: Counter(c["browser"] for c in clicks),
        Dimension.SOURCE: Counter(classify_referrer_host(c["referrer_host"]) for c in clicks),
    }


def _assert_exact(brand, clicks: int, unique: int) -> None:  # type: ignore[no-untyped-def]
    """Every dimension, both granularities and both levels agree with the raw clicks."""
    recomputed = _recomputed(brand)
    with tenant_context(brand.tenant):
        mine = {"program_id": brand.program.pk}
        for granularity in Granularity.values:
            affiliate_level = rollup_sums(
                granularity=granularity, dimension=Dimension.ALL, affiliate_id=brand.affiliate.pk, **mine
            )
            program_level = rollup_sums(
                granularity=granularity, dimension=Dimension.ALL, affiliate_id=ALL_AFFILIATES, **mine
            )
            assert (affiliate_level["clicks"], affiliate_level["unique_clicks"]) == (clicks, unique)
            assert (program_level["clicks"], program_level["unique_clicks"]) == (clicks, unique)
            for dimension, expected in recomputed.items():
                found = by_value(dimension, granularity=granularity, affiliate_id=brand.affiliate.pk, **mine)
                assert found == dict(expected), (granularity, dimension)
                if dimension != Dimension.LINK:  # links exist at affiliate level only
                    at_program = by_value(
                        dimension, granularity=granularity, affiliate_id=ALL_AFFILIATES, **mine
                    )
                    assert at_program == dict(expected), (granularity, dimension)


def test_the_drain_counts_clicks_per_dimension_hour_and_day(click_brands, lane_factory, drain):
    brand, other = click_brands
    lane = lane_factory(country_header=b"cf-ipcountry")
    _visit(lane, brand)

    stats = drain.drain_available()

    assert (stats.inserted, stats.unique) == (6, 5)
    _assert_exact(brand, clicks=6, unique=5)
    with tenant_context(brand.tenant):
        mine = {"affiliate_id": brand.affiliate.pk}
        assert by_value(Dimension.SOURCE, **mine) == {
            "search": 2,
            "direct": 1,
            "social": 1,
            "email": 1,
            "other": 1,
        }
        assert by_value(Dimension.DEVICE, **mine) == {"desktop": 4, "mobile": 2}
        assert by_value(Dimension.COUNTRY, **mine) == {"FR": 3, "MA": 1, "": 1, "US": 1}
        assert by_value(Dimension.LINK, **mine) == {str(brand.link.pk): 6}
        [row] = AnalyticsRollup.objects.filter(
            granularity=Granularity.DAY, dimension=Dimension.ALL, affiliate_id=brand.affiliate.pk
        )
        assert (row.currency, row.offer_ref, row.bucket_start.hour) == ("EUR", "", 0)
    with tenant_context(other.tenant):
        assert not AnalyticsRollup.objects.filter(program_id=other.program.pk).exists()


def test_the_offer_of_a_link_is_a_column_of_its_rows(click_brands, lane, drain):
    brand, _ = click_brands
    product_link = brand.add_link(offer_ref="product:42")

    lane.get(brand.host, f"/r/{product_link.code}")
    lane.get(brand.host, f"/r/{brand.link.code}")
    drain.drain_available()

    with tenant_context(brand.tenant):
        offers = {
            row.offer_ref: row.clicks
            for row in AnalyticsRollup.objects.filter(
                granularity=Granularity.DAY, dimension=Dimension.ALL, affiliate_id=brand.affiliate.pk
            )
        }
    assert offers == {"product:42": 1, "": 1}


def test_a_redelivered_batch_counts_nothing_twice(click_brands, lane_factory, drain_factory):
    brand, _ = click_brands
    lane = lane_factory(country_header=b"cf-ipcountry")
    _visit(lane, brand)
    crashing = drain_factory(CrashBeforeAcknowledge, consumer="drain-1")
    with pytest.raises(Crash):
        crashing.drain_available()
    _assert_exact(brand, clicks=6, unique=5)

    survivor = drain_factory(consumer="drain-2", claim_idle_ms=0)
    stats = survivor.drain_available()

    assert (stats.entries, stats.inserted, stats.duplicates) == (6, 0, 6)
    _assert_exact(brand, clicks=6, unique=5)


def test_a_crash_before_the_commit_leaves_no_rollup_behind(click_brands, lane_factory, drain_factory):
    brand, _ = click_brands
    lane = lane_factory(country_header=b"cf-ipcountry")
    _visit(lane, brand)
    crashing = drain_factory(CrashBeforeCommit, consumer="drain-1")
    with pytest.raises(Crash):
        crashing.drain_available()
    with tenant_context(brand.tenant):
        assert not AnalyticsRollup.objects.filter(program_id=brand.program.pk).exists()

    drain_factory(consumer="drain-1").drain_available()

    _assert_exact(brand, clicks=6, unique=5)


def test_per_click_commissions_are_spread_over_the_unique_clicks_to_the_cent(
    click_brands, lane_factory, drain_factory
):
    brand, _ = click_brands
    paying = brand_links(
        brand.tenant, commission_kind=CommissionKind.PER_CLICK, per_click_amount=Decimal("0.10")
    )
    lane = lane_factory(country_header=b"cf-ipcountry")
    _visit(lane, paying)  # 5 unique clicks: 0.50
    crashing = drain_factory(CrashBeforeAcknowledge, consumer="drain-1")
    with pytest.raises(Crash):
        crashing.drain_available()

    drain_factory(consumer="drain-2", claim_idle_ms=0).drain_available()  # redelivered: paid once

    with tenant_context(brand.tenant):
        [commission] = Commission.objects.filter(beneficiary=paying.affiliate)
        assert commission.amount == Decimal("0.50")
        for granularity in Granularity.values:
            for dimension in Dimension.values:
                for affiliate_id in (paying.affiliate.pk, ALL_AFFILIATES):
                    if dimension == Dimension.LINK and affiliate_id == ALL_AFFILIATES:
                        continue
                    sums = rollup_sums(
                        granularity=granularity,
                        dimension=dimension,
                        program_id=paying.program.pk,
                        affiliate_id=affiliate_id,
                    )
                    assert sums["commissions"] == Decimal("0.50"), (granularity, dimension, affiliate_id)
        by_device = {
            row.dimension_value: row.commissions
            for row in AnalyticsRollup.objects.filter(
                granularity=Granularity.DAY, dimension=Dimension.DEVICE, affiliate_id=paying.affiliate.pk
            )
        }
    # Of the 5 unique clicks, 3 came from desktops and 2 from phones.
    assert by_device == {"desktop": Decimal("0.30"), "mobile": Decimal("0.20")}
