"""The click → signup → purchase funnel: signups attributed through the ``afp_click`` cookie the
lane sets on the brand's host, once per user; end to end with the real lane, drain, live
server and Celery worker."""

from __future__ import annotations

import datetime as dt
import time
import uuid

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Role, User
from affiliation.services import conversion_record, link_create
from analytics.models import ALL_AFFILIATES, AnalyticsRollup, Dimension, Granularity, SignupAttribution
from analytics.services import ClickNotStoredYet, signup_attribute
from core.ids import new_time_ordered_id, uuid7_string
from tests.analytics.conftest import rollup_sums
from tests.conftest import make_user
from tests.engine import make_affiliate, make_program
from tracking.models import Click


def _click(link, *, age: dt.timedelta = dt.timedelta(minutes=5)) -> Click:  # type: ignore[no-untyped-def]
    return Click.objects.create(
        id=new_time_ordered_id(),
        link=link,
        affiliate_id=link.affiliate_id,
        program_id=link.program_id,
        created_at=timezone.now() - age,
        ip_hash="2" * 32,
        is_unique=True,
        country="MA",
        device_type="desktop",
        browser="Firefox",
        referrer_host="www.bing.com",
    )


@pytest.fixture
def promoted(brand_a):  # type: ignore[no-untyped-def]
    with tenant_context(brand_a):
        program = make_program()
        affiliate = make_affiliate(brand_a, program)
        yield program, affiliate, link_create(affiliate=affiliate, offer_ref="product:3")


def test_a_signup_counts_once_under_its_click(brand_a, promoted):
    program, affiliate, link = promoted
    click = _click(link)
    user = make_user(brand_a, role=Role.CUSTOMER)

    with tenant_context(brand_a):
        first = signup_attribute(user_id=user.pk, click_id=str(click.pk))
        replay = signup_attribute(user_id=user.pk, click_id=str(click.pk))

        assert first is not None
        assert replay is not None
        assert (first.link_id, first.affiliate_id, first.program_id) == (link.pk, affiliate.pk, program.pk)
        assert SignupAttribution.objects.filter(user=user).count() == 1
        for granularity in Granularity.values:
            for affiliate_id in (affiliate.pk, ALL_AFFILIATES):
                sums = rollup_sums(
                    granularity=granularity,
                    dimension=Dimension.ALL,
                    affiliate_id=affiliate_id,
                    program_id=program.pk,
                )
                assert sums["signups"] == 1
        [country] = AnalyticsRollup.objects.filter(
            granularity=Granularity.DAY, dimension=Dimension.COUNTRY, affiliate_id=affiliate.pk
        )
        assert (country.dimension_value, country.offer_ref, country.signups) == ("MA", "product:3", 1)
        [source] = AnalyticsRollup.objects.filter(
            granularity=Granularity.DAY, dimension=Dimension.SOURCE, affiliate_id=affiliate.pk
        )
        assert source.dimension_value == "search"


def test_what_cannot_be_attributed_is_not(brand_a, promoted):
    _, _, link = promoted
    user = make_user(brand_a, role=Role.CUSTOMER)
    with tenant_context(brand_a):
        later_click = _click(link, age=-dt.timedelta(hours=1))  # made after the signup
        old_unknown = str(uuid.UUID(uuid7_string(int(time.time() * 1000) - 3_600_000)))

        assert signup_attribute(user_id=user.pk, click_id="not-a-click") is None
        assert signup_attribute(user_id=user.pk, click_id=old_unknown) is None
        assert signup_attribute(user_id=user.pk, click_id=str(later_click.pk)) is None
        with pytest.raises(ClickNotStoredYet):  # the drain is behind: the task retries
            signup_attribute(user_id=user.pk, click_id=uuid7_string())
        assert not SignupAttribution.objects.exists()


def _wait_for(condition, timeout: float = 20.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


FUNNEL = """
query($filter: AnalyticsFilter!) {
  analytics(filter: $filter) { totals { clicks signups conversions } funnel { name count } }
}
"""


@pytest.mark.live
def test_click_signup_purchase_end_to_end(
    analytics_tenants, committed, lane, drain, live_client, celery_worker_thread
):
    from tests.analytics.conftest import brand_links

    brand, other = analytics_tenants
    promoted = brand_links(brand)
    response = lane.get(promoted.host, f"/r/{promoted.link.code}")
    click_id = response.cookies["afp_click"]
    drain.drain_available()
    browser = live_client(brand)
    browser.http.cookies.set("afp_click", click_id)
    email = f"funnel-{click_id[:8]}@example.com"

    signed_up = browser.post(
        'mutation($e: String!) { signup(input: {email: $e, password: "correct-horse-battery", role: CUSTOMER}) '
        "{ ok errors { code } } }",
        {"e": email},
        headers={"X-CSRFToken": browser.csrf_token()},
    ).json()
    assert signed_up["data"]["signup"]["errors"] == []

    with tenant_context(brand):
        user = User.objects.get(email=email)
    attribution = _wait_for(lambda: _attribution(brand, user.pk))
    assert str(attribution.click_id) == click_id
    with tenant_context(brand):
        conversion_record(
            source="postback",
            order_id=f"funnel-{click_id}",
            amount="25.00",
            currency="EUR",
            click_id=click_id,
        )
    _wait_for(lambda: _converted(brand, promoted.affiliate.pk))

    admin = make_user(brand, role=Role.BRAND_ADMIN)
    reporter = live_client(brand)
    reporter.login(admin.email)
    today = timezone.now().date()
    period = {
        "from": today.isoformat(),
        "to": (today + dt.timedelta(days=1)).isoformat(),
        "programId": str(promoted.program.pk),
    }
    report = reporter.post(FUNNEL, {"filter": period}, headers={"X-CSRFToken": reporter.csrf_token()})
    report = report.json()["data"]["analytics"]

    assert report["totals"] == {"clicks": 1, "signups": 1, "conversions": 1}
    assert [(step["name"], step["count"]) for step in report["funnel"]] == [
        ("clicks", 1),
        ("signups", 1),
        ("purchases", 1),
    ]
    with tenant_context(other):  # the tasks ran in the brand that enqueued them
        assert not SignupAttribution.objects.filter(click_id=click_id).exists()


def _attribution(brand, user_id: int):  # type: ignore[no-untyped-def]
    with tenant_context(brand):
        return SignupAttribution.objects.filter(user_id=user_id).first()


def _converted(brand, affiliate_id: int) -> bool:  # type: ignore[no-untyped-def]
    with tenant_context(brand):
        return (
            rollup_sums(granularity=Granularity.DAY, dimension=Dimension.ALL, affiliate_id=affiliate_id)[
                "conversions"
            ]
            == 1
        )
