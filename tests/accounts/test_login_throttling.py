"""Login throttling (issue 9, finding B): failures only, counted atomically, per account and
per client IP with limits of their own, answered with HTTP 429 and Retry-After; the client
IP comes from a forwarding header only when a trusted proxy sent it."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import RequestFactory, override_settings
from django_tenants.utils import tenant_context

from accounts.services import user_login
from tests.conftest import PASSWORD, domain_of, make_user

LOGIN = """
mutation Login($email: String!, $password: String!) {
  login(input: {email: $email, password: $password}) { user { email } errors { field code message } }
}
"""


def _code(client, email: str, password: str, ip: str) -> str:
    response = client.post(LOGIN, {"email": email, "password": password}, REMOTE_ADDR=ip)
    errors = response.json()["data"]["login"]["errors"]
    return errors[0]["code"] if errors else "OK"


@override_settings(LOGIN_RATE_LIMIT_PER_IP=20, LOGIN_RATE_LIMIT_PER_ACCOUNT=5)
def test_successful_logins_from_one_ip_lock_no_one(gql, brand_a):
    """An office behind one address: 30 people sign in, none is refused, and a typo still
    gets its answer."""
    users = [make_user(brand_a) for _ in range(3)]
    client = gql(brand_a)
    ip = "203.0.113.20"

    codes = [_code(client, users[n % 3].email, PASSWORD, ip) for n in range(30)]
    typo = _code(client, users[0].email, "wrong-password", ip)
    after = _code(client, users[1].email, PASSWORD, ip)

    assert codes == ["OK"] * 30
    assert (typo, after) == ("INVALID_CREDENTIALS", "OK")


@override_settings(LOGIN_RATE_LIMIT_PER_IP=4, LOGIN_RATE_LIMIT_PER_ACCOUNT=2)
def test_failures_are_limited_per_account_and_per_ip_with_limits_of_their_own(gql, brand_a):
    first, second, third = (make_user(brand_a) for _ in range(3))
    client = gql(brand_a)
    ip, other_ip = "203.0.113.31", "203.0.113.32"

    # Two failures lock the first account, from any address...
    account = [_code(client, first.email, "wrong", ip) for _ in range(3)]
    elsewhere = _code(client, first.email, PASSWORD, other_ip)
    # ...and the address, with four failures in all, stops being heard for any account.
    address = [_code(client, second.email, "wrong", ip) for _ in range(3)]
    third_from_ip = _code(client, third.email, PASSWORD, ip)
    third_elsewhere = _code(client, third.email, PASSWORD, other_ip)

    assert account == ["INVALID_CREDENTIALS", "INVALID_CREDENTIALS", "RATE_LIMITED"]
    assert elsewhere == "RATE_LIMITED"
    assert address == ["INVALID_CREDENTIALS", "INVALID_CREDENTIALS", "RATE_LIMITED"]
    assert (third_from_ip, third_elsewhere) == ("RATE_LIMITED", "OK")


@override_settings(LOGIN_RATE_LIMIT_PER_IP=100, LOGIN_RATE_LIMIT_PER_ACCOUNT=5)
def test_concurrent_wrong_passwords_get_exactly_the_limit_evaluated(live_brands, django_db_blocker):
    brand, _ = live_brands
    with django_db_blocker.unblock():
        user = make_user(brand)
        host = domain_of(brand)
    start = threading.Barrier(19)
    results: list[str] = []
    lock = threading.Lock()

    def attempt() -> None:
        request = RequestFactory().post("/graphql/", REMOTE_ADDR="203.0.113.40", HTTP_HOST=host)
        start.wait()
        try:
            with tenant_context(brand):
                user_login(request=request, email=user.email, password="wrong-password")
            code = "OK"
        except ValidationError as error:
            code = next(iter(error.error_dict.values()))[0].code
        finally:
            connection.close()
        with lock:
            results.append(code)

    with django_db_blocker.unblock():
        threads = [threading.Thread(target=attempt) for _ in range(19)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    assert Counter(results) == {"INVALID_CREDENTIALS": 5, "RATE_LIMITED": 14}


@pytest.mark.live
@override_settings(LOGIN_RATE_LIMIT_PER_ACCOUNT=2)
def test_the_live_server_answers_a_throttled_login_with_429_and_retry_after(
    live_brands, live_client, django_db_blocker
):
    brand, _ = live_brands
    with django_db_blocker.unblock():
        user = make_user(brand)
    live = live_client(brand)
    csrf = {"X-CSRFToken": live.csrf_token()}

    failures = [live.post(LOGIN, {"email": user.email, "password": "wrong"}, headers=csrf) for _ in range(2)]
    throttled = live.post(LOGIN, {"email": user.email, "password": PASSWORD}, headers=csrf)

    assert [response.status_code for response in failures] == [200, 200]
    assert throttled.status_code == 429
    assert 0 < int(throttled.headers["Retry-After"]) <= 900
    [error] = throttled.json()["data"]["login"]["errors"]
    assert (error["field"], error["code"]) == ("email", "RATE_LIMITED")
    assert f"Try again in {throttled.headers['Retry-After']} seconds" in error["message"]


@pytest.mark.live
@override_settings(LOGIN_RATE_LIMIT_PER_IP=3, LOGIN_RATE_LIMIT_PER_ACCOUNT=100)
def test_a_forged_forwarded_for_from_an_untrusted_peer_does_not_reset_the_ip_limit(
    live_brands, live_client, django_db_blocker
):
    """The test client connects from 127.0.0.1, which is no trusted proxy here."""
    brand, _ = live_brands
    live = live_client(brand)
    csrf = {"X-CSRFToken": live.csrf_token()}

    statuses = [
        live.post(
            LOGIN,
            {"email": f"nobody{n}@example.com", "password": "wrong"},
            headers={**csrf, "X-Forwarded-For": f"198.18.0.{n}"},
        ).status_code
        for n in range(5)
    ]

    assert statuses == [200, 200, 200, 429, 429]


@pytest.mark.live
@override_settings(LOGIN_RATE_LIMIT_PER_IP=3, LOGIN_RATE_LIMIT_PER_ACCOUNT=100, TRUSTED_PROXIES=["127.0.0.1"])
def test_the_forwarded_for_of_a_trusted_proxy_names_the_client(live_brands, live_client):
    """Behind our proxy (127.0.0.1 here) each client has its own limit; what a client writes
    itself at the left of the header changes nothing."""
    brand, _ = live_brands
    live = live_client(brand)
    csrf = {"X-CSRFToken": live.csrf_token()}

    def status(n: int, forwarded: str) -> int:
        return live.post(
            LOGIN,
            {"email": f"nobody{n}@example.com", "password": "wrong"},
            headers={**csrf, "X-Forwarded-For": forwarded},
        ).status_code

    clients = [status(n, f"198.18.1.{n}") for n in range(5)]
    forged = [status(n, f"10.9.9.{n}, 198.18.2.1") for n in range(5)]

    assert clients == [200] * 5
    assert forged == [200, 200, 200, 429, 429]
