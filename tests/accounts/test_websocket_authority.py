"""An open websocket has only the authority of its credential *now*: logout, token revocation
or expiry, deactivation and role changes reach sockets that are already open, within a second.

Black-box: a live uvicorn server, HTTP through it for logout and revocation, real websockets,
the real Redis channel layer.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import ApiToken, ApiTokenScope, Role, User
from accounts.services import api_token_create, user_deactivate, user_role_change
from tests.conftest import make_user
from tests.engine import make_affiliate, make_program
from tests.ws_client import GraphQLWebsocket

pytestmark = pytest.mark.live

ME = "{ me { email role } }"
AFFILIATE_STATS = "subscription($p: ID!) { affiliateStats(programId: $p) { conversions } }"
WITHDRAWAL_UPDATED = "subscription { withdrawalUpdated { id status } }"
CLOSE_UNAUTHENTICATED = 4401
AUTHORITY_ENDED = "UNAUTHENTICATED: signed out, token revoked or expired, or account deactivated"
WITHIN = 1.0  # seconds from the change to the socket's close


def _browser(live_client, brand, user):
    browser = live_client(brand)
    browser.login(user.email)
    return browser


def _csrf(browser) -> dict[str, str]:
    return {"X-CSRFToken": browser.http.cookies["csrftoken"]}


def _token(brand, user, scopes=(ApiTokenScope.READ, ApiTokenScope.WRITE)) -> tuple[ApiToken, str]:
    with tenant_context(brand):
        return api_token_create(user=user, name="socket", scopes=list(scopes))


async def _token_socket(port, browser_or_host, raw: str) -> GraphQLWebsocket:
    host = browser_or_host if isinstance(browser_or_host, str) else browser_or_host.host
    return await GraphQLWebsocket.open(port, host, init_payload={"Authorization": f"Bearer {raw}"})


async def _assert_closed_soon(socket: GraphQLWebsocket, since: float) -> None:
    code, reason = await socket.closed(timeout=5)
    elapsed = time.monotonic() - since
    assert code == CLOSE_UNAUTHENTICATED, (code, reason)
    assert reason == AUTHORITY_ENDED
    assert elapsed < WITHIN, f"closed after {elapsed:.3f} s"


async def test_logout_over_http_closes_that_sessions_socket_and_its_subscriptions(
    live_server_port, live_brands, live_client
):
    brand, _ = live_brands
    user = await sync_to_async(make_user)(brand, role=Role.AFFILIATE)
    browser = await sync_to_async(_browser)(live_client, brand, user)
    other_session = await sync_to_async(_browser)(live_client, brand, user)
    socket = await GraphQLWebsocket.open(live_server_port, browser.host, cookie=browser.cookie_header())
    other_socket = await GraphQLWebsocket.open(
        live_server_port, browser.host, cookie=other_session.cookie_header()
    )
    assert (await socket.execute(ME))["data"]["me"]["email"] == user.email
    await socket.subscribe(WITHDRAWAL_UPDATED)
    await asyncio.sleep(0.3)  # the subscription has joined its groups

    response = await sync_to_async(browser.post)("mutation { logout { ok } }", headers=_csrf(browser))
    logged_out_at = time.monotonic()

    assert response.json()["data"]["logout"]["ok"] is True
    await _assert_closed_soon(socket, logged_out_at)
    # The same user's other session keeps its socket.
    assert (await other_socket.execute(ME))["data"]["me"]["email"] == user.email
    await other_socket.close()


async def test_a_revoked_token_ends_its_socket(live_server_port, live_brands, live_client):
    brand, _ = live_brands
    user = await sync_to_async(make_user)(brand, role=Role.AFFILIATE)
    token, raw = await sync_to_async(_token)(brand, user)
    browser = await sync_to_async(_browser)(live_client, brand, user)
    socket = await _token_socket(live_server_port, browser, raw)
    assert (await socket.execute(ME))["data"]["me"]["email"] == user.email

    response = await sync_to_async(browser.post)(
        f'mutation {{ apiTokenRevoke(id: "{token.pk}") {{ errors {{ code }} }} }}', headers=_csrf(browser)
    )
    revoked_at = time.monotonic()

    assert response.json()["data"]["apiTokenRevoke"]["errors"] == []
    await _assert_closed_soon(socket, revoked_at)


async def test_every_operation_checks_the_credential_even_when_no_one_said_it_changed(
    live_server_port, live_brands
):
    """A change written past the services (a shell, a data fix) publishes nothing: the next
    operation on the socket still finds it."""
    brand, _ = live_brands
    user = await sync_to_async(make_user)(brand, role=Role.AFFILIATE)
    token, raw = await sync_to_async(_token)(brand, user)
    host = await sync_to_async(lambda: brand.domains.get().domain)()
    socket = await _token_socket(live_server_port, host, raw)
    assert (await socket.execute(ME))["data"]["me"]["email"] == user.email

    def revoke_quietly() -> None:
        with tenant_context(brand):
            ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())

    await sync_to_async(revoke_quietly)()
    await socket.subscribe(ME)

    assert await socket.closed() == (CLOSE_UNAUTHENTICATED, AUTHORITY_ENDED)


async def test_a_deactivated_user_loses_session_and_token_sockets(live_server_port, live_brands, live_client):
    brand, _ = live_brands
    user = await sync_to_async(make_user)(brand, role=Role.MERCHANT)
    admin = await sync_to_async(make_user)(brand, role=Role.BRAND_ADMIN)
    _, raw = await sync_to_async(_token)(brand, user)
    browser = await sync_to_async(_browser)(live_client, brand, user)
    session_socket = await GraphQLWebsocket.open(
        live_server_port, browser.host, cookie=browser.cookie_header()
    )
    token_socket = await _token_socket(live_server_port, browser, raw)
    assert (await session_socket.execute(ME))["data"]["me"]["email"] == user.email
    assert (await token_socket.execute(ME))["data"]["me"]["email"] == user.email

    def deactivate() -> None:
        with tenant_context(brand):
            user_deactivate(actor=admin, user=User.objects.get(pk=user.pk))

    await sync_to_async(deactivate)()
    deactivated_at = time.monotonic()

    await _assert_closed_soon(session_socket, deactivated_at)
    await _assert_closed_soon(token_socket, deactivated_at)


async def test_a_role_change_stops_running_subscriptions_and_refuses_what_the_old_role_allowed(
    live_server_port, live_brands
):
    brand, _ = live_brands

    def setup():
        with tenant_context(brand):
            program = make_program()
            affiliate = make_affiliate(brand, program)
            admin = make_user(brand, role=Role.BRAND_ADMIN)
            make_user(brand, role=Role.BRAND_ADMIN)  # the brand keeps an admin when this one steps down
        return program, affiliate, admin

    program, affiliate, admin = await sync_to_async(setup)()
    _, affiliate_raw = await sync_to_async(_token)(brand, affiliate.user)
    _, admin_raw = await sync_to_async(_token)(brand, admin)
    host = await sync_to_async(lambda: brand.domains.get().domain)()
    affiliate_socket = await _token_socket(live_server_port, host, affiliate_raw)
    admin_socket = await _token_socket(live_server_port, host, admin_raw)
    stats = await affiliate_socket.subscribe(AFFILIATE_STATS, {"p": str(program.pk)})
    assert (await affiliate_socket.receive())["payload"]["data"]["affiliateStats"] == {"conversions": 0}
    admin_queue = await admin_socket.subscribe(WITHDRAWAL_UPDATED)
    await asyncio.sleep(0.3)

    def change_roles() -> None:
        with tenant_context(brand):
            user_role_change(actor=admin, user=User.objects.get(pk=affiliate.user_id), role=Role.CUSTOMER)
            user_role_change(actor=admin, user=User.objects.get(pk=admin.pk), role=Role.AFFILIATE)

    await sync_to_async(change_roles)()
    changed_at = time.monotonic()

    ended = await affiliate_socket.receive(timeout=WITHIN)
    admin_ended = await admin_socket.receive(timeout=WITHIN)
    assert time.monotonic() - changed_at < WITHIN
    for message, operation_id in ((ended, stats), (admin_ended, admin_queue)):
        assert message["id"] == operation_id
        assert message["type"] == "error"
        assert [error["extensions"]["code"] for error in message["payload"]] == ["CREDENTIALS_CHANGED"]
    # Still signed in, with the new role and only its permissions.
    assert (await affiliate_socket.execute(ME))["data"]["me"]["role"] == "CUSTOMER"
    refused = await admin_socket.execute(
        'mutation { brandUpdate(input: {name: "Taken over"}) { errors { code } } }'
    )
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    await affiliate_socket.close()
    await admin_socket.close()


async def test_an_expiring_token_ends_its_socket_when_it_expires(live_server_port, live_brands):
    brand, _ = live_brands
    user = await sync_to_async(make_user)(brand, role=Role.AFFILIATE)
    token, raw = await sync_to_async(_token)(brand, user)

    def expire_soon() -> dt.datetime:
        expires_at = timezone.now() + dt.timedelta(seconds=2)
        with tenant_context(brand):
            ApiToken.objects.filter(pk=token.pk).update(expires_at=expires_at)
        return expires_at

    expires_at = await sync_to_async(expire_soon)()
    host = await sync_to_async(lambda: brand.domains.get().domain)()
    socket = await _token_socket(live_server_port, host, raw)
    await socket.subscribe(WITHDRAWAL_UPDATED)

    closed = await socket.closed(timeout=5)

    assert closed == (CLOSE_UNAUTHENTICATED, AUTHORITY_ENDED)
    late = (timezone.now() - expires_at).total_seconds()
    assert 0 <= late < WITHIN, late


async def test_an_expiring_session_ends_its_socket_when_it_expires(
    live_server_port, live_brands, live_client
):
    from django.contrib.sessions.models import Session

    brand, _ = live_brands
    user = await sync_to_async(make_user)(brand, role=Role.AFFILIATE)
    browser = await sync_to_async(_browser)(live_client, brand, user)
    session_key = browser.http.cookies["sessionid"]

    def expire_soon() -> dt.datetime:
        expires_at = timezone.now() + dt.timedelta(seconds=2)
        with tenant_context(brand):
            assert Session.objects.filter(session_key=session_key).update(expire_date=expires_at) == 1
        return expires_at

    expires_at = await sync_to_async(expire_soon)()
    socket = await GraphQLWebsocket.open(live_server_port, browser.host, cookie=browser.cookie_header())
    await socket.subscribe(WITHDRAWAL_UPDATED)

    closed = await socket.closed(timeout=5)

    assert closed == (CLOSE_UNAUTHENTICATED, AUTHORITY_ENDED)
    late = (timezone.now() - expires_at).total_seconds()
    assert 0 <= late < WITHIN, late


@pytest.mark.parametrize(
    ("authorization", "expected_reason"),
    [
        ("Bearer afp_00000000_not-a-real-secret", "UNAUTHENTICATED: invalid, expired or revoked API token"),
        ("Bearer garbage", "UNAUTHENTICATED: invalid, expired or revoked API token"),
        ("Basic dXNlcjpwYXNz", 'UNAUTHENTICATED: send {"Authorization": "Bearer <API token>"}'),
    ],
)
async def test_a_bad_token_in_connection_init_closes_4401_unauthenticated(
    live_server_port, live_brands, authorization, expected_reason
):
    brand, _ = live_brands
    host = await sync_to_async(lambda: brand.domains.get().domain)()
    socket = await GraphQLWebsocket.open(live_server_port, host, acknowledge=False)

    await socket.send({"type": "connection_init", "payload": {"Authorization": authorization}})

    assert await socket.closed() == (CLOSE_UNAUTHENTICATED, expected_reason)
