"""The ``analytics`` query: series, totals, breakdowns, funnel, period comparison; who sees what;
a constant number of queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from accounts.models import Role
from affiliation.services import link_create
from analytics.rollups import EventValues
from marketplace.models import Product
from tests.analytics.conftest import add_events
from tests.conftest import make_user
from tests.engine import make_affiliate, make_program

D0 = dt.datetime(2026, 3, 9, 15, tzinfo=dt.UTC)  # the previous period
D1 = dt.datetime(2026, 3, 10, 10, tzinfo=dt.UTC)
D2 = dt.datetime(2026, 3, 11, 18, tzinfo=dt.UTC)
PERIOD = {"from": "2026-03-10T00:00:00+00:00", "to": "2026-03-12T00:00:00+00:00"}

QUERY = """
query($filter: AnalyticsFilter!, $compare: Boolean! = false, $top: Int! = 10) {
  analytics(filter: $filter, compareToPrevious: $compare, top: $top) {
    from to granularity currency currencies
    totals { ...figures }
    series { bucket metrics { clicks conversions } }
    breakdowns { dimension rows { value label metrics { clicks conversions revenue { amount } } } }
    unavailableBreakdowns
    funnel { name count rateFromPrevious rateFromFirst }
    comparison { from to totals { clicks revenue { amount } } changes { clicks revenue earningsPerClick } }
  }
}
fragment figures on AnalyticsMetrics {
  clicks uniqueClicks signups conversions conversionRate
  revenue { amount currency } commissions { amount currency } earningsPerClick { amount currency }
}
"""


class World:
    """A brand admin, two affiliates with a link each, two merchants (one owns the product that
    the first link promotes), a customer, and rollups of two days and the day before."""

    def __init__(self, brand) -> None:  # type: ignore[no-untyped-def]
        self.brand = brand
        self.admin = make_user(brand, role=Role.BRAND_ADMIN)
        self.merchant = make_user(brand, role=Role.MERCHANT)
        self.other_merchant = make_user(brand, role=Role.MERCHANT)
        self.customer = make_user(brand, role=Role.CUSTOMER)
        with tenant_context(brand):
            self.program = make_program()
            self.product = Product.objects.create(
                merchant=self.merchant,
                program=self.program,
                title="Spa day",
                slug=f"spa-day-{self.program.pk}",
                currency="EUR",
                original_price=Decimal("80.00"),
                price=Decimal("50.00"),
            )
            Product.objects.create(
                merchant=self.other_merchant,
                title="Other",
                slug=f"other-{self.program.pk}",
                currency="EUR",
                original_price=Decimal("10.00"),
                price=Decimal("10.00"),
            )
            self.first = make_affiliate(brand, self.program)
            self.second = make_affiliate(brand, self.program)
            self.first_link = link_create(affiliate=self.first, title="Spa", offer_ref=self.product.offer_ref)
            self.second_link = link_create(affiliate=self.second)
            spa = self.values(self.first, self.first_link, "FR", "mobile", "Mobile Safari", "social")
            add_events(
                D1,
                spa,
                clicks=10,
                unique_clicks=8,
                signups=2,
                conversions=1,
                revenue="50.00",
                commissions="10.00",
            )
            add_events(D2, spa, clicks=4, unique_clicks=4, conversions=1, revenue="30.00", commissions="6.00")
            add_events(D0, spa, clicks=7, unique_clicks=7, conversions=1, revenue="20.00", commissions="4.00")
            plain = self.values(self.second, self.second_link, "US", "desktop", "Chrome", "search")
            add_events(D1, plain, clicks=5, unique_clicks=5)

    def values(self, affiliate, link, country, device, browser, source) -> EventValues:  # type: ignore[no-untyped-def]
        return EventValues(
            program_id=self.program.pk,
            affiliate_id=affiliate.pk,
            offer_ref=link.offer_ref,
            currency="EUR",
            link=str(link.pk),
            country=country,
            device=device,
            browser=browser,
            source=source,
        )

    def filter(self, **extra) -> dict:  # type: ignore[no-untyped-def,type-arg]
        return {**PERIOD, "programId": str(self.program.pk), **extra}


@pytest.fixture
def world(brand_a):  # type: ignore[no-untyped-def]
    return World(brand_a)


def _breakdown(report: dict, dimension: str) -> dict[str, int]:  # type: ignore[type-arg]
    [found] = [b for b in report["breakdowns"] if b["dimension"] == dimension]
    return {row["label"]: row["metrics"]["clicks"] for row in found["rows"]}


def test_a_brand_admin_sees_series_totals_breakdowns_and_the_funnel(gql, world):
    report = gql(world.brand, world.admin).data(QUERY, {"filter": world.filter()})["analytics"]

    assert report["totals"] == {
        "clicks": 19,
        "uniqueClicks": 17,
        "signups": 2,
        "conversions": 2,
        "conversionRate": pytest.approx(2 / 17),
        "revenue": {"amount": "80.00", "currency": "EUR"},
        "commissions": {"amount": "16.00", "currency": "EUR"},
        "earningsPerClick": {"amount": "0.8421", "currency": "EUR"},
    }
    assert (report["from"], report["to"], report["granularity"]) == (
        "2026-03-10T00:00:00+00:00",
        "2026-03-12T00:00:00+00:00",
        "DAY",
    )
    assert [(p["bucket"], p["metrics"]["clicks"]) for p in report["series"]] == [
        ("2026-03-10T00:00:00+00:00", 15),
        ("2026-03-11T00:00:00+00:00", 4),
    ]
    assert _breakdown(report, "AFFILIATE") == {
        world.first.user.email: 14,
        world.second.user.email: 5,
    }
    assert _breakdown(report, "LINK") == {f"Spa ({world.first_link.code})": 14, world.second_link.code: 5}
    assert _breakdown(report, "OFFER") == {"Spa day": 14, "": 5}
    assert _breakdown(report, "COUNTRY") == {"FR": 14, "US": 5}
    assert _breakdown(report, "SOURCE") == {"social": 14, "search": 5}
    assert _breakdown(report, "DEVICE") == {"mobile": 14, "desktop": 5}
    assert _breakdown(report, "PROGRAM") == {world.program.name: 19}
    assert report["unavailableBreakdowns"] == []
    assert report["funnel"] == [
        {"name": "clicks", "count": 17, "rateFromPrevious": None, "rateFromFirst": 1.0},
        {
            "name": "signups",
            "count": 2,
            "rateFromPrevious": pytest.approx(2 / 17),
            "rateFromFirst": pytest.approx(2 / 17),
        },
        {"name": "purchases", "count": 2, "rateFromPrevious": 1.0, "rateFromFirst": pytest.approx(2 / 17)},
    ]
    assert report["comparison"] is None


def test_the_previous_period_of_the_same_length_comes_with_relative_changes(gql, world):
    report = gql(world.brand, world.admin).data(QUERY, {"filter": world.filter(), "compare": True})[
        "analytics"
    ]

    assert report["comparison"] == {
        "from": "2026-03-08T00:00:00+00:00",
        "to": "2026-03-10T00:00:00+00:00",
        "totals": {"clicks": 7, "revenue": {"amount": "20.00"}},
        "changes": {
            "clicks": pytest.approx((19 - 7) / 7),
            "revenue": pytest.approx(3.0),  # 80 against 20
            "earningsPerClick": pytest.approx((0.8421 - 0.5714) / 0.5714),
        },
    }


def test_hourly_series_and_a_top_of_one(gql, world):
    variables = {
        "filter": {
            "from": "2026-03-10T09:30:00+00:00",
            "to": "2026-03-10T11:00:00+00:00",
            "granularity": "HOUR",
        },
        "top": 1,
    }

    report = gql(world.brand, world.admin).data(QUERY, variables)["analytics"]

    assert [(p["bucket"], p["metrics"]["clicks"]) for p in report["series"]] == [
        ("2026-03-10T09:00:00+00:00", 0),
        ("2026-03-10T10:00:00+00:00", 15),
    ]
    assert _breakdown(report, "COUNTRY") == {"FR": 10}


def test_a_row_filter_narrows_everything_and_leaves_out_the_other_row_breakdowns(gql, world):
    report = gql(world.brand, world.admin).data(QUERY, {"filter": world.filter(country="us")})["analytics"]

    assert report["totals"]["clicks"] == 5
    assert _breakdown(report, "COUNTRY") == {"US": 5}
    assert _breakdown(report, "AFFILIATE") == {world.second.user.email: 5}
    assert sorted(report["unavailableBreakdowns"]) == ["BROWSER", "DEVICE", "LINK", "SOURCE"]


def test_a_link_or_offer_filter(gql, world):
    by_link = gql(world.brand, world.admin).data(
        QUERY, {"filter": world.filter(linkId=str(world.first_link.pk))}
    )
    by_offer = gql(world.brand, world.admin).data(
        QUERY, {"filter": world.filter(offerRef=world.product.offer_ref)}
    )

    assert by_link["analytics"]["totals"]["clicks"] == 14
    assert by_offer["analytics"]["totals"]["clicks"] == 14
    assert _breakdown(by_offer["analytics"], "DEVICE") == {"mobile": 14}


def test_an_affiliate_sees_only_their_own_traffic(gql, world):
    client = gql(world.brand, world.first.user)

    mine = client.data(QUERY, {"filter": world.filter()})["analytics"]
    theirs = client.data(QUERY, {"filter": world.filter(affiliateId=str(world.second.pk))})["analytics"]
    their_link = client.data(QUERY, {"filter": world.filter(linkId=str(world.second_link.pk))})["analytics"]

    assert mine["totals"]["clicks"] == 14
    assert _breakdown(mine, "AFFILIATE") == {world.first.referral_code: 14}  # no email outside admins
    assert _breakdown(mine, "COUNTRY") == {"FR": 14}
    assert theirs["totals"]["clicks"] == 0
    assert theirs["breakdowns"][0]["rows"] == []
    assert their_link["totals"]["clicks"] == 0


def test_a_merchant_sees_the_traffic_of_their_products_only(gql, world):
    mine = gql(world.brand, world.merchant).data(QUERY, {"filter": world.filter()})["analytics"]
    other = gql(world.brand, world.other_merchant).data(QUERY, {"filter": world.filter()})["analytics"]

    assert mine["totals"]["clicks"] == 14
    assert mine["totals"]["revenue"] == {"amount": "80.00", "currency": "EUR"}
    assert _breakdown(mine, "OFFER") == {"Spa day": 14}
    assert _breakdown(mine, "AFFILIATE") == {world.first.referral_code: 14}
    assert other["totals"]["clicks"] == 0


def test_customers_see_nothing_and_anonymous_callers_are_refused(gql, world):
    customer = gql(world.brand, world.customer).data(QUERY, {"filter": world.filter()})["analytics"]
    anonymous = gql(world.brand).execute(QUERY, {"filter": world.filter()})

    assert customer["totals"]["clicks"] == 0
    assert len(customer["series"]) == 2
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize(
    ("extra", "code"),
    [
        ({"country": "FR", "device": "mobile"}, "INVALID_FILTER"),
        ({"granularity": "HOUR"}, "INVALID_RANGE"),  # 48 hours is fine...
        (
            {"from": "2026-03-01T00:00:00+00:00", "to": "2026-03-09T00:00:00+00:00", "granularity": "HOUR"},
            "INVALID_RANGE",
        ),
        ({"from": "2026-03-12T00:00:00+00:00", "to": "2026-03-10T00:00:00+00:00"}, "INVALID_RANGE"),
    ],
)
def test_filters_that_cannot_be_answered_are_refused_with_a_code(gql, world, extra, code):
    if extra == {"granularity": "HOUR"}:
        report = gql(world.brand, world.admin).data(QUERY, {"filter": world.filter(**extra)})
        assert len(report["analytics"]["series"]) == 48
        return
    body = gql(world.brand, world.admin).execute(QUERY, {"filter": world.filter(**extra)})

    assert body["errors"][0]["extensions"]["code"] == code


def test_currencies_are_never_mixed(gql, world):
    with tenant_context(world.brand):
        dirhams = make_program(currency="MAD")
        member = make_affiliate(world.brand, dirhams)
        add_events(
            D1,
            EventValues(program_id=dirhams.pk, affiliate_id=member.pk, offer_ref="", currency="MAD"),
            clicks=3,
            unique_clicks=3,
            conversions=1,
            revenue="500.00",
        )
    client = gql(world.brand, world.admin)

    default = client.data(QUERY, {"filter": PERIOD})["analytics"]
    in_dirhams = client.data(QUERY, {"filter": {**PERIOD, "currency": "MAD"}})["analytics"]
    by_program = client.data(QUERY, {"filter": {**PERIOD, "programId": str(dirhams.pk)}})["analytics"]

    assert (default["currency"], default["totals"]["clicks"]) == ("EUR", 19)
    assert default["currencies"] == ["EUR", "MAD"]
    assert (in_dirhams["totals"]["clicks"], in_dirhams["totals"]["revenue"]) == (
        3,
        {"amount": "500.00", "currency": "MAD"},
    )
    assert by_program["currency"] == "MAD"


def test_the_query_count_does_not_grow_with_the_data(gql, world):
    client = gql(world.brand, world.admin)
    variables = {"filter": world.filter(), "compare": True}
    with CaptureQueriesContext(connection) as small:
        client.data(QUERY, variables)
    with tenant_context(world.brand):
        for number in range(12):
            affiliate = make_affiliate(world.brand, world.program)
            link = link_create(affiliate=affiliate)
            add_events(
                D1,
                world.values(affiliate, link, f"C{number % 10}", "tablet", f"Browser {number}", "other"),
                clicks=1,
            )

    with CaptureQueriesContext(connection) as large:
        report = client.data(QUERY, variables)["analytics"]

    assert report["totals"]["clicks"] == 31
    assert len(large) == len(small)
    # The request (domain, search path, session, user), then currencies, series, breakdowns, the
    # labels of links, affiliates, programs and products, and the previous period.
    assert len(large) <= 13


def test_sales_without_a_link_count_for_their_affiliate_and_offer(gql, world):
    with tenant_context(world.brand):
        coupon_sale = EventValues(world.program.pk, world.second.pk, world.product.offer_ref, "EUR")
        add_events(D1, coupon_sale, conversions=1, revenue="70.00", commissions="14.00")

    report = gql(world.brand, world.admin).data(QUERY, {"filter": world.filter()})["analytics"]

    def revenue(dimension: str) -> dict[str, str]:
        [found] = [b for b in report["breakdowns"] if b["dimension"] == dimension]
        return {row["label"]: row["metrics"]["revenue"]["amount"] for row in found["rows"]}

    assert report["totals"]["revenue"]["amount"] == "150.00"
    assert revenue("AFFILIATE") == {world.first.user.email: "80.00", world.second.user.email: "70.00"}
    # The empty value ("none") has no label: the web app names it in the reader's language.
    assert revenue("OFFER") == {"Spa day": "150.00", "": "0.00"}
    assert revenue("LINK")[""] == "70.00"
    assert revenue("COUNTRY")[""] == "70.00"
