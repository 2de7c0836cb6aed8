"""Deactivation and session revocation end a browser's authority at once, seen from outside:
a live uvicorn server, HTTP with cookies and CSRF, real websockets, the Redis channel layer."""

from __future__ import annotations

import threading
import time

import pytest
from asgiref.sync import sync_to_async
from django.core.exceptions import ValidationError
from django.db import close_old_connections, connection
from django_tenants.utils import tenant_context

from accounts.models import ApiTokenScope, Role, User
from accounts.services import api_token_create, user_role_change
from tests.conftest import make_user
from tests.ws_client import GraphQLWebsocket

pytestmark = pytest.mark.live

ME = "{ me { email } }"
CLOSE_UNAUTHENTICATED = 4401
WITHIN = 1.0  # seconds from the change to the socket's close
PHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)


def _browser(live_client, brand, user, agent: str | None = None):
    browser = live_client(brand)
    if agent:
        browser.http.headers["User-Agent"] = agent
    browser.login(user.email)
    return browser


def _csrf(browser) -> dict[str, str]:
    return {"X-CSRFToken": browser.http.cookies["csrftoken"]}


def _me(browser, headers: dict[str, str] | None = None):
    return browser.post(ME, headers=headers)


async def _assert_closed_soon(socket: GraphQLWebsocket, since: float) -> None:
    code, reason = await socket.closed(timeout=5)
    elapsed = time.monotonic() - since
    assert code == CLOSE_UNAUTHENTICATED, (code, reason)
    assert elapsed < WITHIN, f"closed after {elapsed:.3f} s"


async def test_deactivation_by_a_brand_admin_ends_cookie_token_and_sockets_at_once(
    live_server_port, live_brands, live_client
):
    brand, _ = live_brands
    admin = await sync_to_async(make_user)(brand, role=Role.BRAND_ADMIN)
    user = await sync_to_async(make_user)(brand, role=Role.MERCHANT)

    def token() -> str:
        with tenant_context(brand):
            return api_token_create(user=user, name="shop", scopes=[ApiTokenScope.READ])[1]

    raw = await sync_to_async(token)()
    admin_browser = await sync_to_async(_browser)(live_client, brand, admin)
    browser = await sync_to_async(_browser)(live_client, brand, user)
    socket = await GraphQLWebsocket.open(live_server_port, browser.host, cookie=browser.cookie_header())
    token_socket = await GraphQLWebsocket.open(
        live_server_port, browser.host, init_payload={"Authorization": f"Bearer {raw}"}
    )
    assert (await socket.execute(ME))["data"]["me"]["email"] == user.email
    assert (await token_socket.execute(ME))["data"]["me"]["email"] == user.email

    response = await sync_to_async(admin_browser.post)(
        "mutation($u: ID!) { userDeactivate(userId: $u) { errors { code } } }",
        {"u": user.pk},
        headers=_csrf(admin_browser),
    )
    deactivated_at = time.monotonic()

    assert response.json()["data"]["userDeactivate"]["errors"] == []
    await _assert_closed_soon(socket, deactivated_at)
    await _assert_closed_soon(token_socket, deactivated_at)
    old_cookie = await sync_to_async(_me)(browser)
    assert old_cookie.json()["data"]["me"] is None
    bearer = await sync_to_async(_me)(admin_browser, {"Authorization": f"Bearer {raw}"})
    assert bearer.status_code == 401


async def test_revoking_a_session_signs_that_browser_out_and_closes_its_socket(
    live_server_port, live_brands, live_client
):
    brand, _ = live_brands
    user = await sync_to_async(make_user)(brand, role=Role.AFFILIATE)
    laptop = await sync_to_async(_browser)(live_client, brand, user)
    phone = await sync_to_async(_browser)(live_client, brand, user, PHONE)
    phone_socket = await GraphQLWebsocket.open(live_server_port, phone.host, cookie=phone.cookie_header())
    laptop_socket = await GraphQLWebsocket.open(live_server_port, laptop.host, cookie=laptop.cookie_header())
    assert (await phone_socket.execute(ME))["data"]["me"]["email"] == user.email

    listed = await sync_to_async(laptop.post)("{ mySessions { id deviceType isCurrent } }")
    sessions = listed.json()["data"]["mySessions"]
    assert sorted((s["deviceType"], s["isCurrent"]) for s in sessions) == [("mobile", False), ("other", True)]
    phone_session = next(s for s in sessions if not s["isCurrent"])

    response = await sync_to_async(laptop.post)(
        "mutation($id: ID!) { sessionRevoke(id: $id) { errors { code } } }",
        {"id": phone_session["id"]},
        headers=_csrf(laptop),
    )
    revoked_at = time.monotonic()

    assert response.json()["data"]["sessionRevoke"]["errors"] == []
    await _assert_closed_soon(phone_socket, revoked_at)
    assert (await sync_to_async(_me)(phone)).json()["data"]["me"] is None
    assert (await sync_to_async(_me)(laptop)).json()["data"]["me"]["email"] == user.email
    assert (await laptop_socket.execute(ME))["data"]["me"]["email"] == user.email
    await laptop_socket.close()


async def test_a_session_id_of_one_brand_is_refused_on_another(live_server_port, live_brands, live_client):
    """Brand A's second session (id 2 there) does not exist in brand B, whose admin has only
    session 1: B's admin cannot reach it, and A's browser and socket carry on."""
    brand_a, brand_b = live_brands
    user_a = await sync_to_async(make_user)(brand_a, role=Role.AFFILIATE)
    admin_b = await sync_to_async(make_user)(brand_b, role=Role.BRAND_ADMIN)
    await sync_to_async(_browser)(live_client, brand_a, user_a)
    browser_a = await sync_to_async(_browser)(live_client, brand_a, user_a)
    socket_a = await GraphQLWebsocket.open(live_server_port, browser_a.host, cookie=browser_a.cookie_header())
    listed = await sync_to_async(browser_a.post)("{ mySessions { id isCurrent } }")
    session_id = next(s["id"] for s in listed.json()["data"]["mySessions"] if s["isCurrent"])
    admin_browser_b = await sync_to_async(_browser)(live_client, brand_b, admin_b)
    own_b = await sync_to_async(admin_browser_b.post)("{ mySessions { id } }")
    assert session_id not in {s["id"] for s in own_b.json()["data"]["mySessions"]}

    for mutation in ("userSessionRevoke", "sessionRevoke"):
        response = await sync_to_async(admin_browser_b.post)(
            f"mutation($id: ID!) {{ {mutation}(id: $id) {{ errors {{ field code }} }} }}",
            {"id": session_id},
            headers=_csrf(admin_browser_b),
        )
        assert response.json()["data"][mutation]["errors"] == [{"field": "id", "code": "NOT_FOUND"}]

    assert (await sync_to_async(_me)(browser_a)).json()["data"]["me"]["email"] == user_a.email
    assert (await socket_a.execute(ME))["data"]["me"]["email"] == user_a.email
    await socket_a.close()


def test_two_admins_demoting_each_other_at_once_leave_one_admin(live_brands):
    """The last-admin rule holds under a race: both demotions start together, one wins."""
    brand, _ = live_brands
    first, second = make_user(brand, role=Role.BRAND_ADMIN), make_user(brand, role=Role.BRAND_ADMIN)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def demote(actor, target) -> None:
        try:
            with tenant_context(brand):
                barrier.wait()
                user_role_change(actor=actor, user=target, role=Role.AFFILIATE)
            outcomes.append("demoted")
        except ValidationError as error:
            outcomes.append(error.error_dict["userId"][0].code)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=demote, args=pair) for pair in ((first, second), (second, first))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["LAST_BRAND_ADMIN", "demoted"]
    with tenant_context(brand):
        assert User.objects.filter(role=Role.BRAND_ADMIN, is_active=True).count() == 1
