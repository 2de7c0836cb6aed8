"""Analytics between brands: rollups, the CSV export, the page beacon and its salts, and the
conversion task never cross from one brand to the other."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import time

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Role
from affiliation.services import conversion_record, link_create
from analytics.models import AnalyticsRollup, PageDimension, PageRollup, PageVisitorKey
from analytics.rollups import EventValues
from tests.analytics.conftest import CHROME, add_events
from tests.conftest import domain_of, make_user
from tests.engine import make_affiliate, make_click, make_program

WHEN = dt.datetime(2026, 4, 2, 12, tzinfo=dt.UTC)
PERIOD = {"from": "2026-04-01T00:00:00+00:00", "to": "2026-04-03T00:00:00+00:00"}
QUERY = """
query($filter: AnalyticsFilter!) {
  analytics(filter: $filter) { totals { clicks revenue { amount } } breakdowns { dimension rows { value } } }
}
"""


@pytest.fixture
def traffic_in_a(brand_a):  # type: ignore[no-untyped-def]
    """Brand A's program with 50 clicks and a sale; brand B gets a program with the same id."""
    with tenant_context(brand_a):
        program = make_program()
        affiliate = make_affiliate(brand_a, program)
        link = link_create(affiliate=affiliate)
        add_events(
            WHEN,
            EventValues(
                program.pk, affiliate.pk, "", "EUR", link=str(link.pk), country="FR", source="social"
            ),
            clicks=50,
            unique_clicks=40,
            conversions=1,
            revenue="99.00",
        )
    return program


def test_brand_b_never_sees_brand_a_s_analytics(gql, brand_a, brand_b, traffic_in_a):
    admin_a = make_user(brand_a, role=Role.BRAND_ADMIN)
    admin_b = make_user(brand_b, role=Role.BRAND_ADMIN)
    variables = {"filter": {**PERIOD, "currency": "EUR"}}
    foreign_program = {"filter": {**PERIOD, "currency": "EUR", "programId": str(traffic_in_a.pk)}}

    in_a = gql(brand_a, admin_a).data(QUERY, variables)["analytics"]
    in_b = gql(brand_b, admin_b).data(QUERY, variables)["analytics"]
    in_b_by_id = gql(brand_b, admin_b).data(QUERY, foreign_program)["analytics"]

    assert in_a["totals"] == {"clicks": 50, "revenue": {"amount": "99.00"}}
    for report in (in_b, in_b_by_id):
        assert report["totals"] == {"clicks": 0, "revenue": {"amount": "0.00"}}
        assert all(breakdown["rows"] == [] for breakdown in report["breakdowns"])


def test_the_csv_export_of_brand_b_holds_nothing_of_brand_a(client, brand_a, brand_b, traffic_in_a):
    admin_a = make_user(brand_a, role=Role.BRAND_ADMIN)
    admin_b = make_user(brand_b, role=Role.BRAND_ADMIN)
    query = {"from": "2026-04-01", "to": "2026-04-03", "currency": "EUR", "breakdown": "country"}

    with tenant_context(brand_b):
        client.force_login(admin_b)
    from_b = client.get("/analytics/export.csv", query, HTTP_HOST=domain_of(brand_b))
    assert from_b.status_code == 200, from_b.content
    rows_b = list(csv.reader(io.StringIO(b"".join(from_b.streaming_content).decode())))
    client.logout()
    with tenant_context(brand_a):
        client.force_login(admin_a)
    from_a = client.get("/analytics/export.csv", query, HTTP_HOST=domain_of(brand_a))
    a_session_on_b = client.get("/analytics/export.csv", query, HTTP_HOST=domain_of(brand_b))

    assert rows_b == [rows_b[0]]  # the header only
    assert a_session_on_b.status_code == 401  # a session of A means nothing on B's host
    assert b"FR" in b"".join(from_a.streaming_content)


def test_a_beacon_on_brand_b_s_host_lands_in_brand_b_only(client, brand_a, brand_b):
    body = json.dumps({"path": "/only-in-b", "sessionId": "isolation-1"})
    headers = {"HTTP_USER_AGENT": CHROME, "REMOTE_ADDR": "198.18.0.42", "content_type": "text/plain"}

    to_b = client.post("/a/collect", body, HTTP_HOST=domain_of(brand_b), **headers)
    to_a = client.post(
        "/a/collect",
        json.dumps({"path": "/only-in-a", "sessionId": "isolation-1"}),
        HTTP_HOST=domain_of(brand_a),
        **headers,
    )

    assert (to_b.status_code, to_a.status_code) == (204, 204)
    today = timezone.now().date()
    with tenant_context(brand_a):
        paths_a = set(
            PageRollup.objects.filter(day=today, dimension=PageDimension.PATH).values_list(
                "dimension_value", flat=True
            )
        )
        [visitor_a] = PageVisitorKey.objects.values_list("visitor_hash", flat=True)
    with tenant_context(brand_b):
        paths_b = set(
            PageRollup.objects.filter(day=today, dimension=PageDimension.PATH).values_list(
                "dimension_value", flat=True
            )
        )
        [visitor_b] = PageVisitorKey.objects.values_list("visitor_hash", flat=True)
    assert paths_a == {"/only-in-a"}
    assert paths_b == {"/only-in-b"}
    assert visitor_a != visitor_b  # each brand its own salt: a visitor cannot be followed across brands


def test_page_analytics_of_brand_b_holds_nothing_of_brand_a(client, gql, brand_a, brand_b):
    client.post(
        "/a/collect",
        json.dumps({"path": "/a-page", "sessionId": "isolation-2"}),
        content_type="text/plain",
        HTTP_HOST=domain_of(brand_a),
        HTTP_USER_AGENT=CHROME,
        REMOTE_ADDR="198.18.0.43",
    )
    query = "query($d: Date!) { pageAnalytics(from: $d) { totals { pageViews } } }"
    today = {"d": timezone.now().date().isoformat()}

    in_a = gql(brand_a, make_user(brand_a, role=Role.BRAND_ADMIN)).data(query, today)
    in_b = gql(brand_b, make_user(brand_b, role=Role.BRAND_ADMIN)).data(query, today)

    assert in_a["pageAnalytics"]["totals"]["pageViews"] == 1
    assert in_b["pageAnalytics"]["totals"]["pageViews"] == 0


@pytest.mark.live
def test_the_conversion_task_runs_in_the_brand_that_recorded_the_sale(live_brands, celery_worker_thread):
    brand, other = live_brands
    for tenant in (brand, other):  # the same ids in both schemas
        with tenant_context(tenant):
            make_affiliate(tenant, make_program())
    with tenant_context(brand):
        affiliate = make_affiliate(brand, make_program())
        conversion_record(
            source="postback",
            order_id="iso-1",
            amount="10.00",
            currency="EUR",
            click_id=str(make_click(affiliate).id),
        )

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with tenant_context(brand):
            if AnalyticsRollup.objects.filter(conversions__gt=0).exists():
                break
        time.sleep(0.1)
    else:
        pytest.fail("the conversion never reached brand A's rollups")
    with tenant_context(other):
        assert not AnalyticsRollup.objects.exists()
