"""First-party page analytics: the ``POST /a/collect`` beacon on the brand's host (no cookie,
IP hashed with a daily salt, bots ignored, throttled) and ``pageAnalytics``."""

from __future__ import annotations

import datetime as dt
import itertools
import json

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Role
from analytics.models import PageDimension, PageRollup, PageSessionKey, PageVisitorKey
from analytics.services import PageView, PageViewOutcome, page_view_record
from tests.analytics.conftest import CHROME, IPHONE
from tests.conftest import domain_of, make_user

_ips = itertools.count(1)


def _ip() -> str:
    """An address of this test's own: throttling buckets live in Redis, across tests."""
    number = next(_ips)
    return f"203.0.{number // 250}.{number % 250 + 1}"


def _collect(client, brand, body=None, *, ip="203.0.113.9", user_agent=CHROME, **headers):  # type: ignore[no-untyped-def]
    payload = {
        "path": "/deals/spa?utm_source=x#top",
        "referrer": "https://www.google.com/",
        "sessionId": "session-0001",
    }
    if body is not None:
        payload = body
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return client.post(
        "/a/collect",
        raw,
        content_type="text/plain",  # what navigator.sendBeacon sends for a string
        HTTP_HOST=domain_of(brand),
        HTTP_USER_AGENT=user_agent,
        REMOTE_ADDR=ip,
        **headers,
    )


def _rollups(brand) -> dict[tuple[str, str], tuple[int, int, int]]:  # type: ignore[no-untyped-def]
    with tenant_context(brand):
        return {
            (row.dimension, row.dimension_value): (row.page_views, row.sessions, row.visitors)
            for row in PageRollup.objects.filter(day=timezone.now().date())
        }


def test_a_page_view_is_counted_under_its_page_source_device_and_screen(client, brand_a):
    response = _collect(
        client,
        brand_a,
        {
            "path": "/deals/spa?x=1",
            "sessionId": "abcdefgh1",
            "referrer": "https://www.google.com/",
            "screen": "390x844",
        },
        ip=_ip(),
        user_agent=IPHONE,
    )

    assert response.status_code == 204
    rows = _rollups(brand_a)
    assert rows[(PageDimension.ALL, "")] == (1, 1, 1)
    assert rows[(PageDimension.PATH, "/deals/spa")] == (1, 1, 1)
    assert rows[(PageDimension.SOURCE, "search")] == (1, 1, 1)
    assert rows[(PageDimension.DEVICE, "mobile")] == (1, 1, 1)
    assert rows[(PageDimension.BROWSER, "Mobile Safari")] == (1, 1, 1)
    assert rows[(PageDimension.SCREEN, "small")] == (1, 1, 1)


def test_sessions_and_visitors_count_once_a_day_under_their_first_view(client, brand_a):
    ip, other_ip = _ip(), _ip()
    first = {"path": "/", "referrer": "https://t.co/x", "sessionId": "first-session"}
    inside = {"path": "/deals", "referrer": f"http://{domain_of(brand_a)}/", "sessionId": "first-session"}
    later = {"path": "/faq", "referrer": "", "sessionId": "second-session"}

    for body, address in ((first, ip), (inside, ip), (later, ip), (later, other_ip)):
        assert _collect(client, brand_a, body, ip=address).status_code == 204

    rows = _rollups(brand_a)
    assert rows[(PageDimension.ALL, "")] == (4, 3, 2)
    assert rows[(PageDimension.PATH, "/")] == (1, 1, 1)
    assert rows[(PageDimension.PATH, "/deals")] == (1, 0, 0)  # not an entry page
    assert rows[(PageDimension.PATH, "/faq")] == (2, 2, 1)
    assert rows[(PageDimension.SOURCE, "internal")] == (1, 0, 0)
    assert rows[(PageDimension.SOURCE, "social")] == (1, 1, 1)
    assert rows[(PageDimension.SOURCE, "direct")] == (2, 2, 1)


def test_the_ip_is_never_stored_and_its_hash_changes_every_day(brand_a):
    view = PageView(
        path="/",
        referrer_host="",
        session_id="hash-check",
        screen_width=None,
        user_agent=CHROME,
        ip="192.0.2.77",
        country="",
        host=domain_of(brand_a),
    )
    today = timezone.now()
    with tenant_context(brand_a):
        assert page_view_record(view=view, now=today) == PageViewOutcome.COUNTED
        assert page_view_record(view=view, now=today + dt.timedelta(days=1)) == PageViewOutcome.COUNTED
        [(day_one, hash_one), (day_two, hash_two)] = PageVisitorKey.objects.order_by("day").values_list(
            "day", "visitor_hash"
        )
        sessions = list(PageSessionKey.objects.values_list("session_hash", flat=True))

    assert day_two == day_one + dt.timedelta(days=1)
    assert hash_one != hash_two  # a new salt each day: visits cannot be linked across days
    for stored in (hash_one, hash_two, *sessions):
        assert "192.0.2.77" not in stored
        assert len(stored) == 32


@pytest.mark.parametrize(
    "user_agent",
    [
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "facebookexternalhit/1.1",
        "curl/8.5.0",
        "",
    ],
)
def test_bots_and_scripts_are_answered_but_not_counted(client, brand_a, user_agent):
    before = _rollups(brand_a).get((PageDimension.ALL, ""), (0, 0, 0))

    response = _collect(client, brand_a, ip=_ip(), user_agent=user_agent)

    assert response.status_code == 204
    assert _rollups(brand_a).get((PageDimension.ALL, ""), (0, 0, 0)) == before


def test_a_visitor_is_throttled(client, brand_a, settings):
    settings.ANALYTICS_COLLECT_RATE_LIMIT = 3
    ip = _ip()

    statuses = [_collect(client, brand_a, ip=ip).status_code for _ in range(5)]

    assert statuses == [204, 204, 204, 429, 429]
    assert _rollups(brand_a)[(PageDimension.ALL, "")][0] == 3


def test_malformed_foreign_and_oversized_beacons_are_refused(client, brand_a):
    ip = _ip()
    cases = {
        "no session": _collect(client, brand_a, {"path": "/"}, ip=ip),
        "short session": _collect(client, brand_a, {"path": "/", "sessionId": "abc"}, ip=ip),
        "not a path": _collect(
            client, brand_a, {"path": "https://evil.example/", "sessionId": "abcdefgh"}, ip=ip
        ),
        "not json": _collect(client, brand_a, b"{nope", ip=ip),
        "too big": _collect(client, brand_a, {"path": "/" + "x" * 3000, "sessionId": "abcdefgh"}, ip=ip),
        "another site": _collect(client, brand_a, ip=ip, HTTP_ORIGIN="https://evil.example"),
    }
    same_site = _collect(client, brand_a, ip=ip, HTTP_ORIGIN=f"http://{domain_of(brand_a)}")
    wrong_method = client.get("/a/collect", HTTP_HOST=domain_of(brand_a))

    assert {name: response.status_code for name, response in cases.items()} == {
        "no session": 400,
        "short session": 400,
        "not a path": 400,
        "not json": 400,
        "too big": 413,
        "another site": 403,
    }
    assert same_site.status_code == 204
    assert wrong_method.status_code == 405
    assert _rollups(brand_a)[(PageDimension.ALL, "")][0] == 1


PAGES = """
query($from: Date!, $to: Date) {
  pageAnalytics(from: $from, to: $to, top: 2) {
    from to
    totals { pageViews sessions visitors }
    series { day metrics { pageViews } }
    breakdowns { dimension rows { value metrics { pageViews sessions } } }
  }
}
"""


def test_page_analytics_for_brand_admins_only(client, gql, brand_a):
    ips = {session: _ip() for session in ("aaaaaaaa", "bbbbbbbb", "cccccccc")}
    for path, session in (
        ("/", "aaaaaaaa"),
        ("/deals", "aaaaaaaa"),
        ("/deals", "bbbbbbbb"),
        ("/faq", "cccccccc"),
    ):
        _collect(client, brand_a, {"path": path, "sessionId": session}, ip=ips[session])
    today = timezone.now().date()
    variables = {"from": (today - dt.timedelta(days=1)).isoformat(), "to": today.isoformat()}

    report = gql(brand_a, make_user(brand_a, role=Role.BRAND_ADMIN)).data(PAGES, variables)["pageAnalytics"]
    refused = gql(brand_a, make_user(brand_a, role=Role.AFFILIATE)).execute(PAGES, variables)

    assert report["totals"] == {"pageViews": 4, "sessions": 3, "visitors": 3}
    assert [point["metrics"]["pageViews"] for point in report["series"]] == [0, 4]
    [paths] = [b for b in report["breakdowns"] if b["dimension"] == "PATH"]
    assert paths["rows"] == [
        {"value": "/deals", "metrics": {"pageViews": 2, "sessions": 1}},
        {"value": "/", "metrics": {"pageViews": 1, "sessions": 1}},
    ]
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


@pytest.mark.parametrize(
    "body",
    [
        {"path": "/deals/\u0000spa", "sessionId": "session-nul1", "referrer": ""},
        {"path": "/deals", "sessionId": "session-nul2", "referrer": "https://www.google.com/\u0000"},
    ],
)
def test_a_beacon_with_a_nul_character_is_refused_not_a_crash(client, brand_a, body):
    # PostgreSQL text cannot hold U+0000 (issue 9, finding 8).
    response = _collect(client, brand_a, body, ip=_ip())

    assert response.status_code == 400
    assert _rollups(brand_a) == {}
