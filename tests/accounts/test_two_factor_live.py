"""Two-factor authentication, black-box and concurrent: a live server, real websockets,
committed rows and threads."""

from __future__ import annotations

import threading
from collections import Counter

import pyotp
import pytest
from asgiref.sync import sync_to_async
from django.core.exceptions import ValidationError
from django.db import connection
from django_tenants.utils import tenant_context

from accounts.two_factor import two_factor_check, two_factor_setup_begin, two_factor_setup_confirm
from tests.accounts.two_factor_helpers import LOGIN, ME, VERIFY_LOGIN, next_code, secret_of
from tests.conftest import PASSWORD, make_user
from tests.ws_client import GraphQLWebsocket


def _enrolled_committed(brand):
    """A user with two-factor on, committed (other threads see it); returns it and the secret."""
    user = make_user(brand)
    with tenant_context(brand):
        secret = secret_of(two_factor_setup_begin(user=user).otpauth_uri)
        two_factor_setup_confirm(request=None, user=user, code=pyotp.TOTP(secret).now())
    return user, secret


def test_two_concurrent_uses_of_one_code_accept_exactly_one(live_brands, django_db_blocker):
    brand, _ = live_brands
    with django_db_blocker.unblock():
        user, secret = _enrolled_committed(brand)
        code = next_code(brand, user, secret)
    start = threading.Barrier(2)
    results: list[str] = []
    lock = threading.Lock()

    def attempt() -> None:
        start.wait()
        try:
            with tenant_context(brand):
                outcome = two_factor_check(request=None, user=user, code=code)
        except ValidationError as error:
            outcome = next(iter(error.error_dict.values()))[0].code
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    with django_db_blocker.unblock():
        threads = [threading.Thread(target=attempt) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    assert Counter(results) == {"totp": 1, "INVALID_TWO_FACTOR_CODE": 1}


@pytest.mark.live
def test_a_live_login_takes_the_password_then_the_code(live_brands, live_client, django_db_blocker):
    brand, _ = live_brands
    with django_db_blocker.unblock():
        user, secret = _enrolled_committed(brand)
    browser = live_client(brand)
    csrf = {"X-CSRFToken": browser.csrf_token()}

    first = browser.post(LOGIN, {"e": user.email, "p": PASSWORD}, headers=csrf).json()["data"]["login"]
    between = browser.post(ME, headers=csrf).json()["data"]["me"]
    with django_db_blocker.unblock():
        code = next_code(brand, user, secret)
    second = browser.post(VERIFY_LOGIN, {"c": code}, headers=csrf).json()["data"]["loginVerifyTwoFactor"]
    after = browser.post(ME, headers=csrf).json()["data"]["me"]

    assert first == {"user": None, "twoFactorRequired": True, "errors": []}
    assert between is None
    assert second == {"user": {"email": user.email}, "errors": []}
    assert after == {"email": user.email}


@pytest.mark.live
async def test_a_session_waiting_for_its_code_runs_nothing_over_the_websocket(
    live_server_port, live_brands, live_client, django_db_blocker
):
    brand, _ = live_brands

    def password_step():
        with django_db_blocker.unblock():
            user, _ = _enrolled_committed(brand)
        browser = live_client(brand)
        payload = browser.post(
            LOGIN, {"e": user.email, "p": PASSWORD}, headers={"X-CSRFToken": browser.csrf_token()}
        ).json()["data"]["login"]
        assert payload["twoFactorRequired"] is True
        return browser

    browser = await sync_to_async(password_step)()
    socket = await GraphQLWebsocket.open(live_server_port, browser.host, cookie=browser.cookie_header())

    me = await socket.execute(ME)
    tokens = await socket.execute("{ apiTokens { id } }")
    verify = await socket.execute(VERIFY_LOGIN, {"c": "123456"})

    assert me["data"]["me"] is None
    assert tokens["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert verify["errors"][0]["extensions"]["code"] == "HTTP_ONLY"
    await socket.close()


@pytest.mark.live
async def test_a_user_who_must_enrol_can_only_enrol_over_the_websocket(
    live_server_port, live_brands, live_client, django_db_blocker
):
    brand, _ = live_brands

    def admin_session():
        from accounts.models import Role

        with django_db_blocker.unblock():
            brand.two_factor_required_roles = ["brand_admin"]
            brand.save(update_fields=["two_factor_required_roles"])
            admin = make_user(brand, role=Role.BRAND_ADMIN)
        browser = live_client(brand)
        browser.login(admin.email)
        return browser, admin

    browser, admin = await sync_to_async(admin_session)()
    socket = await GraphQLWebsocket.open(live_server_port, browser.host, cookie=browser.cookie_header())

    me = await socket.execute(ME)
    refused = await socket.execute("{ merchantApplications { id } }")
    operation_id = await socket.subscribe("subscription { withdrawalUpdated { id } }")
    subscription = await socket.receive()

    assert me["data"]["me"] == {"email": admin.email}
    assert refused["errors"][0]["extensions"]["code"] == "TWO_FACTOR_ENROLMENT_REQUIRED"
    assert subscription["id"] == operation_id
    assert subscription["type"] == "error"
    assert subscription["payload"][0]["extensions"]["code"] == "TWO_FACTOR_ENROLMENT_REQUIRED"
    await socket.close()
