"""``GET /analytics/export.csv``: the dashboard's figures as CSV, with the query's filters and
permissions, for a session or an API token."""

from __future__ import annotations

import csv
import io

import pytest
from django_tenants.utils import tenant_context

from accounts.models import ApiTokenScope
from accounts.services import api_token_create
from affiliation.services import link_create
from analytics.rollups import EventValues
from tenants.models import Tenant
from tests.analytics.conftest import add_events
from tests.analytics.test_api import D1, World
from tests.conftest import domain_of
from tests.engine import make_affiliate

URL = "/analytics/export.csv"


@pytest.fixture
def world(brand_a):  # type: ignore[no-untyped-def]
    return World(brand_a)


def _get(client, world, user=None, token=None, **params):  # type: ignore[no-untyped-def]
    if user is not None:
        with tenant_context(world.brand):
            client.force_login(user)
    query = {"from": "2026-03-10", "to": "2026-03-12", "programId": world.program.pk, **params}
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.get(URL, query, HTTP_HOST=domain_of(world.brand), **headers)


def _rows(response) -> list[list[str]]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.content
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_series_as_csv(client, world):
    response = _get(client, world, world.admin)
    rows = _rows(response)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="analytics-20260310-20260312.csv"'
    assert rows == [
        [
            "bucket_start",
            "clicks",
            "unique_clicks",
            "signups",
            "conversions",
            "conversion_rate",
            "revenue",
            "commissions",
            "earnings_per_click",
            "currency",
        ],
        ["2026-03-10T00:00:00+00:00", "15", "13", "2", "1", "0.0769", "50.0000", "10.0000", "0.6667", "EUR"],
        ["2026-03-11T00:00:00+00:00", "4", "4", "0", "1", "0.2500", "30.0000", "6.0000", "1.5000", "EUR"],
    ]


def test_a_whole_breakdown_as_csv(client, world):
    rows = _rows(_get(client, world, world.admin, breakdown="country"))

    assert [row[:4] for row in rows] == [
        ["dimension", "value", "label", "clicks"],
        ["country", "FR", "FR", "14"],
        ["country", "US", "US", "5"],
    ]


def test_an_affiliate_exports_only_their_own_figures(client, world):
    rows = _rows(_get(client, world, world.second.user))
    filtered = _rows(_get(client, world, world.second.user, affiliateId=world.first.pk))

    assert [row[1] for row in rows[1:]] == ["5", "0"]
    assert [row[1] for row in filtered[1:]] == ["0", "0"]


def test_an_api_token_with_the_read_scope_may_export(client, world):
    with tenant_context(world.brand):
        _, readable = api_token_create(user=world.admin, name="sheets", scopes=[ApiTokenScope.READ])
        _, write_only = api_token_create(user=world.admin, name="writer", scopes=[ApiTokenScope.WRITE])

    allowed = _get(client, world, token=readable)
    refused = _get(client, world, token=write_only)
    forged = _get(client, world, token="afp_nope")

    assert len(_rows(allowed)) == 3
    assert (refused.status_code, forged.status_code) == (401, 401)


def test_anonymous_callers_and_bad_parameters_are_refused(client, world):
    anonymous = _get(client, world)
    bad_date = _get(client, world, world.admin, **{"from": "last tuesday"})
    two_row_filters = _get(client, world, world.admin, country="FR", device="mobile")
    unavailable = _get(client, world, world.admin, country="FR", breakdown="device")
    unknown = _get(client, world, world.admin, breakdown="mood")

    assert anonymous.status_code == 401
    assert bad_date.status_code == 400
    assert two_row_filters.status_code == 400
    assert unavailable.status_code == 400
    assert unknown.status_code == 400


def test_cells_that_a_spreadsheet_would_run_as_formulas_are_quoted(client, world):
    with tenant_context(world.brand):
        affiliate = make_affiliate(world.brand, world.program)
        link = link_create(affiliate=affiliate, title='=HYPERLINK("http://evil.example")')
        add_events(D1, EventValues(world.program.pk, affiliate.pk, "", "EUR", link=str(link.pk)), clicks=99)

    rows = _rows(_get(client, world, world.admin, breakdown="link"))

    assert rows[1][2] == f'\'=HYPERLINK("http://evil.example") ({link.code})'


@pytest.mark.parametrize(("language", "label"), [("en", "No offer"), ("fr", "Sans offre")])
def test_the_csv_names_the_empty_value_in_the_brands_language(client, world, language, label):
    Tenant.objects.filter(pk=world.brand.pk).update(language=language)

    rows = _rows(_get(client, world, world.admin, breakdown="offer"))

    assert [row[:4] for row in rows if row[1] == ""] == [["offer", "", label, "5"]]
