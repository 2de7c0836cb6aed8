"""People management and sessions are per brand: the same user id and session id exist in
two brands, and each brand's admin reaches only their own."""

from __future__ import annotations

from django_tenants.utils import tenant_context

from accounts.models import Role, User, UserSession
from tests.accounts.test_people import (
    DEACTIVATE,
    ME,
    MY_SESSIONS,
    ROLE_CHANGE,
    SAFARI_IPHONE,
    SESSION_REVOKE,
    USER_SESSION_REVOKE,
    USER_SESSIONS,
    USERS,
    _signed_in,
)
from tests.conftest import PASSWORD, make_user


def test_a_brand_admin_sees_and_acts_on_their_own_brand_only(gql, brand_a, brand_b):
    admin = make_user(brand_a, role=Role.BRAND_ADMIN)
    """The same user id exists in both brands; brand A's admin reaches only A's."""
    with tenant_context(brand_a):
        in_a = User.objects.create_user(
            pk=880001, email="twin@example.com", password=PASSWORD, role="affiliate"
        )
    with tenant_context(brand_b):
        in_b = User.objects.create_user(
            pk=880001, email="twin-b@example.com", password=PASSWORD, role="affiliate"
        )
    _signed_in(gql, brand_a, in_a, agent=SAFARI_IPHONE)
    b_browser = _signed_in(gql, brand_b, in_b)
    client = gql(brand_a, admin)

    sessions = client.data(USER_SESSIONS, {"u": 880001})["userSessions"]
    assert [session["deviceType"] for session in sessions] == ["mobile"]  # A's phone, not B's laptop

    listed = client.data(USERS, {"search": "twin"})["users"]["edges"]
    assert [edge["node"]["email"] for edge in listed] == ["twin@example.com"]
    assert client.data(DEACTIVATE, {"u": 880001})["userDeactivate"]["errors"] == []
    client.data(ROLE_CHANGE, {"u": 880001, "r": "MERCHANT"})

    with tenant_context(brand_b):
        in_b.refresh_from_db()
        assert (in_b.is_active, in_b.role) == (True, Role.AFFILIATE)
        b_session = UserSession.objects.get(user=in_b)
    assert b_browser.data(ME)["me"]["email"] == in_b.email
    with tenant_context(brand_a):
        assert not UserSession.objects.filter(pk=b_session.pk).exists()
    refused = client.data(USER_SESSION_REVOKE, {"id": b_session.pk})["userSessionRevoke"]
    assert refused == {"session": None, "errors": [{"field": "id", "code": "NOT_FOUND"}]}
    assert b_browser.data(ME)["me"]["email"] == in_b.email


def test_my_sessions_and_their_ids_stay_in_their_brand(gql, brand_a, brand_b):
    """Brand A has two sessions of one user; brand B's user (same id) has one. Each lists its
    own, and A's second session id means nothing on B."""
    with tenant_context(brand_a):
        in_a = User.objects.create_user(
            pk=880002, email="pair@example.com", password=PASSWORD, role="affiliate"
        )
    with tenant_context(brand_b):
        in_b = User.objects.create_user(
            pk=880002, email="pair@example.com", password=PASSWORD, role="affiliate"
        )
    _signed_in(gql, brand_a, in_a)
    a_phone = _signed_in(gql, brand_a, in_a, agent=SAFARI_IPHONE)
    b_browser = _signed_in(gql, brand_b, in_b)
    a_ids = {session["id"] for session in a_phone.data(MY_SESSIONS)["mySessions"]}
    b_sessions = b_browser.data(MY_SESSIONS)["mySessions"]
    assert len(a_ids) == 2
    assert len(b_sessions) == 1
    foreign = sorted(a_ids - {b_sessions[0]["id"]})[0]

    refused = b_browser.data(SESSION_REVOKE, {"id": foreign})["sessionRevoke"]

    assert refused == {"session": None, "errors": [{"field": "id", "code": "NOT_FOUND"}]}
    with tenant_context(brand_a):
        assert UserSession.objects.filter(user=in_a).count() == 2
    assert a_phone.data(ME)["me"]["email"] == in_a.email
