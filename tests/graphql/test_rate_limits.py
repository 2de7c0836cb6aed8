"""API rate limits on /graphql/: headers on every answer, 429 + Retry-After beyond the brand's
limit, separate buckets per token, per user and per anonymous IP, and per brand."""

from __future__ import annotations

import itertools
import json

import pytest
from django.test import Client
from django_tenants.utils import tenant_context

from accounts.models import ApiTokenScope, Role
from accounts.services import api_token_create
from tenants.models import Tenant
from tests.conftest import domain_of, make_user

QUERY = json.dumps({"query": "{ brand { name } }"})
_addresses = itertools.count(1)


def _ip() -> str:
    """An address of this test's own: buckets live in Redis, across the tests of a run."""
    number = next(_addresses)
    return f"10.77.{number // 250}.{number % 250 + 1}"


def _post(tenant: Tenant, ip: str, client: Client | None = None, **headers: str):  # type: ignore[no-untyped-def]
    return (client or Client()).post(
        "/graphql/",
        data=QUERY,
        content_type="application/json",
        HTTP_HOST=domain_of(tenant),
        REMOTE_ADDR=ip,
        **headers,
    )


def _limit(tenant: Tenant, **limits: int) -> None:
    Tenant.objects.filter(pk=tenant.pk).update(
        **{f"api_rate_limit_per_{kind}": value for kind, value in limits.items()}
    )


def test_every_answer_carries_the_limit_headers_and_429_beyond(brand_a):
    _limit(brand_a, ip=3)
    ip = _ip()

    answers = [_post(brand_a, ip) for _ in range(5)]

    assert [answer.status_code for answer in answers] == [200, 200, 200, 429, 429]
    assert [answer["X-RateLimit-Limit"] for answer in answers] == ["3"] * 5
    assert [answer["X-RateLimit-Remaining"] for answer in answers[:3]] == ["2", "1", "0"]
    assert answers[3]["X-RateLimit-Remaining"] == "0"
    for answer in answers:
        assert 1 <= int(answer["X-RateLimit-Reset"]) <= 60
    refused = answers[3]
    assert 1 <= int(refused["Retry-After"]) <= 60
    [error] = refused.json()["errors"]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert error["extensions"]["retryAfter"] == int(refused["Retry-After"])


def test_errors_and_the_playground_count_and_carry_the_headers_too(brand_a):
    _limit(brand_a, ip=2)
    ip = _ip()

    bad_token = _post(brand_a, ip, HTTP_AUTHORIZATION="Bearer nope")
    playground = Client().get(
        "/graphql/", HTTP_HOST=domain_of(brand_a), REMOTE_ADDR=ip, HTTP_ACCEPT="text/html"
    )
    third = _post(brand_a, ip)

    assert bad_token.status_code == 401
    assert bad_token["X-RateLimit-Remaining"] == "1"
    assert playground["X-RateLimit-Remaining"] == "0"
    assert third.status_code == 429


def test_a_token_a_user_and_an_anonymous_ip_have_buckets_of_their_own(brand_a):
    _limit(brand_a, ip=1, token=2, user=3)
    ip = _ip()
    user = make_user(brand_a, role=Role.AFFILIATE)
    with tenant_context(brand_a):
        _, raw = api_token_create(user=user, name="ci", scopes=[ApiTokenScope.READ])
    session = Client()
    with tenant_context(brand_a):
        session.force_login(make_user(brand_a, role=Role.AFFILIATE))

    anonymous = [_post(brand_a, ip).status_code for _ in range(2)]
    token = [_post(brand_a, ip, HTTP_AUTHORIZATION=f"Bearer {raw}").status_code for _ in range(3)]
    signed_in = [_post(brand_a, ip, client=session).status_code for _ in range(4)]

    assert anonymous == [200, 429]
    assert token == [200, 200, 429]
    assert signed_in == [200, 200, 200, 429]
    assert _post(brand_a, _ip()).status_code == 200  # another anonymous address


def test_one_brands_exhausted_bucket_does_not_limit_another_brand(brand_a, brand_b):
    _limit(brand_a, ip=1)
    _limit(brand_b, ip=1)
    ip = _ip()

    assert _post(brand_a, ip).status_code == 200
    assert _post(brand_a, ip).status_code == 429
    on_b = _post(brand_b, ip)
    assert on_b.status_code == 200
    assert on_b["X-RateLimit-Remaining"] == "0"


def test_without_a_brand_setting_the_platform_default_applies(brand_a, settings):
    settings.API_RATE_LIMIT_PER_IP = 2
    _limit(brand_a, ip=None)  # type: ignore[arg-type]
    ip = _ip()

    assert [_post(brand_a, ip).status_code for _ in range(3)] == [200, 200, 429]


@pytest.mark.parametrize("path", ["/", "/csp-report/"])
def test_pages_other_than_the_api_are_not_counted(brand_a, path):
    _limit(brand_a, ip=1)
    ip = _ip()
    Client().get(path, HTTP_HOST=domain_of(brand_a), REMOTE_ADDR=ip)

    response = _post(brand_a, ip)

    assert response.status_code == 200
    assert "X-RateLimit-Limit" not in Client().get("/", HTTP_HOST=domain_of(brand_a), REMOTE_ADDR=ip)


LIMITS = """
mutation($input: BrandApiLimitsInput!) {
  brandApiLimitsUpdate(input: $input) { limits { brandId perToken perUser perIp } errors { field code } }
}"""


def test_an_operator_sets_a_brands_limits_and_they_apply_at_once(gql, brand_a, public_tenant):
    operator = gql(public_tenant, make_user(public_tenant, role=Role.OPERATOR))

    payload = operator.data(LIMITS, {"input": {"brandId": str(brand_a.pk), "perIp": 1, "perToken": 50}})

    assert payload["brandApiLimitsUpdate"] == {
        "limits": {"brandId": str(brand_a.pk), "perToken": 50, "perUser": None, "perIp": 1},
        "errors": [],
    }
    ip = _ip()
    assert [_post(brand_a, ip).status_code for _ in range(2)] == [200, 429]


def test_bad_limits_are_field_errors(gql, brand_a, public_tenant):
    operator = gql(public_tenant, make_user(public_tenant, role=Role.OPERATOR))

    bad = operator.data(LIMITS, {"input": {"brandId": str(brand_a.pk), "perIp": 0, "perUser": 10**9}})
    unknown = operator.data(LIMITS, {"input": {"brandId": "999999", "perIp": 5}})

    assert sorted(bad["brandApiLimitsUpdate"]["errors"], key=lambda error: error["field"]) == [
        {"field": "perIp", "code": "INVALID"},
        {"field": "perUser", "code": "INVALID"},
    ]
    assert unknown["brandApiLimitsUpdate"]["errors"] == [{"field": "brandId", "code": "NOT_FOUND"}]
    brand_a.refresh_from_db()
    assert brand_a.api_rate_limit_per_ip is None


@pytest.mark.parametrize("role", [None, Role.BRAND_ADMIN, Role.AFFILIATE])
def test_only_operators_set_limits(gql, brand_a, public_tenant, role):
    user = make_user(brand_a, role=role) if role else None

    body = gql(brand_a, user).execute(LIMITS, {"input": {"brandId": str(brand_a.pk), "perIp": 1}})

    assert body["data"] is None
    brand_a.refresh_from_db()
    assert brand_a.api_rate_limit_per_ip is None
