from __future__ import annotations

import pytest
from django.test import override_settings
from django_tenants.utils import tenant_context

from accounts.models import Role, User
from core.ratelimit import rate_limit_reset
from tests.conftest import PASSWORD, make_user

SIGNUP = """
mutation Signup($input: SignupInput!) {
  signup(input: $input) { ok errors { field code message } }
}
"""
LOGIN = """
mutation Login($email: String!, $password: String!) {
  login(input: {email: $email, password: $password}) { user { email role } errors { field code message } }
}
"""
ME = "{ me { email role } }"


def test_the_same_email_signs_up_independently_in_two_brands(gql, brand_a, brand_b):
    for brand in (brand_a, brand_b):
        payload = gql(brand).data(SIGNUP, {"input": {"email": "twin@example.com", "password": PASSWORD}})[
            "signup"
        ]
        assert payload["errors"] == []
    for brand in (brand_a, brand_b):
        with tenant_context(brand):
            assert User.objects.filter(email="twin@example.com").count() == 1


@pytest.mark.parametrize(
    ("variables", "field", "code"),
    [
        ({"email": "not-an-email", "password": PASSWORD}, "email", "INVALID"),
        ({"email": "weak@example.com", "password": "123"}, "password", "PASSWORD_TOO_WEAK"),
    ],
)
def test_signup_field_errors(gql, brand_a, variables, field, code):
    payload = gql(brand_a).data(SIGNUP, {"input": variables})["signup"]

    assert payload["ok"] is False
    assert [(error["field"], error["code"]) for error in payload["errors"]] == [(field, code)]


def test_signup_cannot_choose_brand_admin(gql, brand_a):
    body = gql(brand_a).execute(
        SIGNUP, {"input": {"email": "boss@example.com", "password": PASSWORD, "role": "BRAND_ADMIN"}}
    )

    assert "errors" in body  # not a value of SignupRole: refused by the schema itself
    with tenant_context(brand_a):
        assert not User.objects.filter(email="boss@example.com").exists()


def test_signup_is_not_offered_on_the_root_host(gql, public_tenant):
    body = gql(public_tenant).execute(SIGNUP, {"input": {"email": "x@example.com", "password": PASSWORD}})

    assert body["errors"][0]["extensions"]["code"] == "NOT_A_BRAND_HOST"


def test_login_and_logout(gql, brand_a):
    make_user(brand_a, email="ana@example.com", role=Role.MERCHANT)
    client = gql(brand_a)

    payload = client.data(LOGIN, {"email": "ana@example.com", "password": PASSWORD})["login"]
    assert payload == {"user": {"email": "ana@example.com", "role": "MERCHANT"}, "errors": []}
    assert client.data(ME)["me"]["email"] == "ana@example.com"

    assert client.data("mutation { logout { ok } }")["logout"] == {"ok": True}
    assert client.data(ME)["me"] is None


def test_login_with_a_wrong_password(gql, brand_a):
    make_user(brand_a, email="bo@example.com")

    payload = gql(brand_a).data(LOGIN, {"email": "bo@example.com", "password": "wrong-password"})["login"]

    assert payload["user"] is None
    assert [(error["field"], error["code"]) for error in payload["errors"]] == [
        ("password", "INVALID_CREDENTIALS")
    ]


def test_a_user_of_brand_a_cannot_log_in_on_brand_b(gql, brand_a, brand_b):
    make_user(brand_a, email="only-a@example.com")

    payload = gql(brand_b).data(LOGIN, {"email": "only-a@example.com", "password": PASSWORD})["login"]

    assert payload["errors"][0]["code"] == "INVALID_CREDENTIALS"


def test_operators_log_in_on_the_root_host(gql, public_tenant):
    make_user(public_tenant, email="op@example.com", role=Role.OPERATOR)

    payload = gql(public_tenant).data(LOGIN, {"email": "op@example.com", "password": PASSWORD})["login"]

    assert payload["user"] == {"email": "op@example.com", "role": "OPERATOR"}


@override_settings(LOGIN_RATE_LIMIT_PER_ACCOUNT=3)
def test_login_failures_are_limited_per_account(gql, brand_a):
    make_user(brand_a, email="locked@example.com")
    client = gql(brand_a)
    with tenant_context(brand_a):
        rate_limit_reset("login:account:locked@example.com", window_seconds=900)

    codes = [
        client.data(LOGIN, {"email": "locked@example.com", "password": "wrong-password"})["login"]["errors"][
            0
        ]["code"]
        for _ in range(3)
    ]
    # Even the right password is refused until the window passes.
    response = client.post(LOGIN, {"email": "locked@example.com", "password": PASSWORD})
    blocked = response.json()["data"]["login"]

    assert codes == ["INVALID_CREDENTIALS"] * 3
    assert response.status_code == 429
    assert blocked["user"] is None
    assert blocked["errors"][0]["code"] == "RATE_LIMITED"
    assert "Try again in" in blocked["errors"][0]["message"]


@override_settings(LOGIN_RATE_LIMIT_PER_ACCOUNT=3)
def test_the_account_limit_of_brand_a_does_not_lock_the_same_email_in_brand_b(gql, brand_a, brand_b):
    for brand in (brand_a, brand_b):
        make_user(brand, email="shared@example.com")
        with tenant_context(brand):
            rate_limit_reset("login:account:shared@example.com", window_seconds=900)
    for _ in range(3):
        gql(brand_a).data(LOGIN, {"email": "shared@example.com", "password": "wrong-password"})

    payload = gql(brand_b).data(LOGIN, {"email": "shared@example.com", "password": PASSWORD})["login"]

    assert payload["errors"] == []


@override_settings(LOGIN_RATE_LIMIT_PER_IP=4)
def test_login_attempts_are_limited_per_ip(gql, brand_a):
    client = gql(brand_a)
    ip = "203.0.113.77"
    with tenant_context(brand_a):
        rate_limit_reset(f"login:ip:{ip}", window_seconds=900)

    responses = [
        client.post(LOGIN, {"email": f"nobody{n}@example.com", "password": "x"}, REMOTE_ADDR=ip)
        for n in range(5)
    ]

    assert [r.json()["data"]["login"]["errors"][0]["code"] for r in responses] == [
        "INVALID_CREDENTIALS"
    ] * 4 + ["RATE_LIMITED"]
    assert [r.status_code for r in responses] == [200] * 4 + [429]
