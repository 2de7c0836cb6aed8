"""People management by brand admins (list, search, filter, role change, deactivation) and
the session list every signed-in user has. Real database, Django test client on the brand's
host; the live (websocket, old cookie over HTTP) half is in test_people_live.py."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.sessions.models import Session
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts import services
from accounts.models import ApiToken, ApiTokenScope, Role, User, UserSession
from accounts.services import api_token_create
from tests.conftest import PASSWORD, make_user

USERS = """
query Users($first: Int, $after: String, $search: String, $role: Role, $status: UserStatus) {
  users(first: $first, after: $after, search: $search, role: $role, status: $status) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id email fullName role isActive } }
  }
}
"""
ROLE_CHANGE = """
mutation($u: ID!, $r: Role!) { userRoleChange(userId: $u, role: $r) {
  user { id role } errors { field code } } }
"""
DEACTIVATE = "mutation($u: ID!) { userDeactivate(userId: $u) { user { id isActive } errors { field code } } }"
REACTIVATE = "mutation($u: ID!) { userReactivate(userId: $u) { user { id isActive } errors { field code } } }"
USER_SESSIONS = "query($u: ID!) { userSessions(userId: $u) { id deviceType browser os ipNetwork isCurrent } }"
MY_SESSIONS = "{ mySessions { id deviceType browser os ipNetwork country isCurrent lastSeenAt } }"
USER_SESSION_REVOKE = (
    "mutation($id: ID!) { userSessionRevoke(id: $id) { session { id } errors { field code } } }"
)
SESSION_REVOKE = "mutation($id: ID!) { sessionRevoke(id: $id) { session { id } errors { field code } } }"
LOGIN = "mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { errors { code } } }"
ME = "{ me { email } }"

FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)


def _signed_in(gql, brand, user, *, agent: str = FIREFOX_LINUX, ip: str = "203.0.113.77"):
    """A browser that signed in with the login mutation (so its session is recorded)."""
    browser = gql(brand)
    body = browser.data(LOGIN, {"e": user.email, "p": PASSWORD}, HTTP_USER_AGENT=agent, REMOTE_ADDR=ip)
    assert body["login"]["errors"] == []
    return browser


@pytest.fixture
def admin(brand_a):
    return make_user(brand_a, role=Role.BRAND_ADMIN)


# --- authorization ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", [None, Role.AFFILIATE, Role.MERCHANT, Role.CUSTOMER])
def test_only_brand_admins_list_users_change_roles_and_deactivate(gql, brand_a, role):
    target = make_user(brand_a, role=Role.AFFILIATE)
    actor = make_user(brand_a, role=role) if role else None
    client = gql(brand_a, actor)
    with tenant_context(brand_a):
        session = UserSession.objects.create(user=target, session_key_hash="a" * 64)

    for query, variables in [
        (USERS, {}),
        (USER_SESSIONS, {"u": target.pk}),
        (ROLE_CHANGE, {"u": target.pk, "r": "BRAND_ADMIN"}),
        (DEACTIVATE, {"u": target.pk}),
        (REACTIVATE, {"u": target.pk}),
        (USER_SESSION_REVOKE, {"id": session.pk}),
    ]:
        body = client.execute(query, variables)
        assert body["data"] is None, (query, body)
        assert body["errors"][0]["extensions"]["code"] in {"UNAUTHENTICATED", "FORBIDDEN"}

    with tenant_context(brand_a):
        target.refresh_from_db()
        assert (target.role, target.is_active) == (Role.AFFILIATE, True)
        assert UserSession.objects.filter(pk=session.pk).exists()


def test_anonymous_has_no_session_list(gql, brand_a):
    body = gql(brand_a).execute(MY_SESSIONS)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


# --- listing ---------------------------------------------------------------------------------


def test_users_are_searched_filtered_and_paged_newest_first(gql, brand_a, admin):
    with tenant_context(brand_a):
        ada = User.objects.create_user(
            email="ada.lovelace@example.com", full_name="Ada Lovelace", role="merchant"
        )
        grace = User.objects.create_user(
            email="grace@example.com", full_name="Grace Hopper", role="affiliate"
        )
        gone = User.objects.create_user(email="gone@example.com", full_name="Gone Person", role="affiliate")
        services.user_deactivate(actor=admin, user=gone)
    client = gql(brand_a, admin)

    def emails(**variables):
        edges = client.data(USERS, variables)["users"]["edges"]
        return [edge["node"]["email"] for edge in edges]

    assert emails(search="LOVELACE") == [ada.email]
    assert emails(search="hopper") == [grace.email]
    assert emails(role="MERCHANT") == [ada.email]
    assert emails(role="AFFILIATE", status="ACTIVE") == [grace.email]
    assert emails(status="DEACTIVATED") == [gone.email]
    assert emails() == [gone.email, grace.email, ada.email, admin.email]

    first = client.data(USERS, {"first": 2})["users"]
    assert first["totalCount"] == 4
    assert first["pageInfo"]["hasNextPage"]
    rest = client.data(USERS, {"first": 2, "after": first["pageInfo"]["endCursor"]})["users"]
    assert [edge["node"]["email"] for edge in rest["edges"]] == [ada.email, admin.email]
    assert not rest["pageInfo"]["hasNextPage"]


def test_a_page_of_users_costs_the_same_queries_whatever_its_size(
    gql, brand_a, admin, django_assert_max_num_queries
):
    client = gql(brand_a, admin)
    with django_assert_max_num_queries(10) as captured:
        assert len(client.data(USERS, {"first": 50})["users"]["edges"]) == 1
    with tenant_context(brand_a):
        for number in range(30):
            User.objects.create_user(email=f"many{number}@example.com", role="affiliate")
    with django_assert_max_num_queries(len(captured)):
        assert len(client.data(USERS, {"first": 50})["users"]["edges"]) == 31


# --- role changes and the last admin ---------------------------------------------------------


def test_a_brand_admin_changes_a_role(gql, brand_a, admin):
    target = make_user(brand_a, role=Role.AFFILIATE)

    payload = gql(brand_a, admin).data(ROLE_CHANGE, {"u": target.pk, "r": "MERCHANT"})["userRoleChange"]

    assert payload == {"user": {"id": str(target.pk), "role": "MERCHANT"}, "errors": []}
    with tenant_context(brand_a):
        target.refresh_from_db()
        assert target.role == Role.MERCHANT


def test_the_last_active_admin_cannot_demote_or_deactivate_themselves(gql, brand_a, admin):
    client = gql(brand_a, admin)

    demoted = client.data(ROLE_CHANGE, {"u": admin.pk, "r": "AFFILIATE"})["userRoleChange"]
    deactivated = client.data(DEACTIVATE, {"u": admin.pk})["userDeactivate"]

    assert demoted == {"user": None, "errors": [{"field": "userId", "code": "LAST_BRAND_ADMIN"}]}
    assert deactivated == {"user": None, "errors": [{"field": "userId", "code": "CANNOT_DEACTIVATE_SELF"}]}
    with tenant_context(brand_a):
        admin.refresh_from_db()
        assert (admin.role, admin.is_active) == (Role.BRAND_ADMIN, True)


def test_an_admin_may_step_down_when_another_active_admin_remains(gql, brand_a, admin):
    other = make_user(brand_a, role=Role.BRAND_ADMIN)
    inactive = make_user(brand_a, role=Role.BRAND_ADMIN)
    with tenant_context(brand_a):
        services.user_deactivate(actor=admin, user=inactive)
        services.user_deactivate(actor=admin, user=other)
    client = gql(brand_a, admin)

    refused = client.data(ROLE_CHANGE, {"u": admin.pk, "r": "MERCHANT"})["userRoleChange"]
    assert refused["errors"] == [
        {"field": "userId", "code": "LAST_BRAND_ADMIN"}
    ]  # deactivated admins do not count

    assert client.data(REACTIVATE, {"u": other.pk})["userReactivate"]["user"]["isActive"] is True
    stepped_down = client.data(ROLE_CHANGE, {"u": admin.pk, "r": "MERCHANT"})["userRoleChange"]
    assert stepped_down == {"user": {"id": str(admin.pk), "role": "MERCHANT"}, "errors": []}


def test_an_unknown_user_is_a_field_error(gql, brand_a, admin):
    payload = gql(brand_a, admin).data(DEACTIVATE, {"u": "99999999"})["userDeactivate"]
    assert payload == {"user": None, "errors": [{"field": "userId", "code": "NOT_FOUND"}]}


# --- deactivation ----------------------------------------------------------------------------


def test_deactivation_ends_sessions_and_tokens_and_reactivation_does_not_bring_them_back(gql, brand_a, admin):
    target = make_user(brand_a, role=Role.MERCHANT)
    browser = _signed_in(gql, brand_a, target)
    with tenant_context(brand_a):
        _, raw = api_token_create(user=target, name="shop", scopes=[ApiTokenScope.READ])
        session_hash = UserSession.objects.get(user=target).session_key_hash
    assert gql(brand_a).data(ME, HTTP_AUTHORIZATION=f"Bearer {raw}")["me"]["email"] == target.email

    payload = gql(brand_a, admin).data(DEACTIVATE, {"u": target.pk})["userDeactivate"]

    assert payload == {"user": {"id": str(target.pk), "isActive": False}, "errors": []}
    assert browser.data(ME)["me"] is None
    refused = gql(brand_a).post(ME, HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert refused.status_code == 401
    with tenant_context(brand_a):
        assert not UserSession.objects.filter(user=target).exists()
        assert not Session.objects.filter(session_key__in=_keys_with_hash(session_hash)).exists()
        assert ApiToken.objects.get(user=target).revoked_at is not None

    gql(brand_a, admin).data(REACTIVATE, {"u": target.pk})
    assert browser.data(ME)["me"] is None
    assert gql(brand_a).post(ME, HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401
    assert _signed_in(gql, brand_a, target).data(ME)["me"]["email"] == target.email


def _keys_with_hash(key_hash: str) -> list[str]:
    return [
        key
        for key in Session.objects.values_list("session_key", flat=True)
        if services.session_key_hash(key) == key_hash
    ]


# --- sessions --------------------------------------------------------------------------------


def test_login_records_the_device_the_network_and_marks_this_session(gql, brand_a, settings):
    settings.CLICK_COUNTRY_HEADER = "CloudFront-Viewer-Country"
    user = make_user(brand_a)
    laptop = _signed_in(gql, brand_a, user, agent=FIREFOX_LINUX, ip="203.0.113.77")
    phone = gql(brand_a)
    phone.data(
        LOGIN,
        {"e": user.email, "p": PASSWORD},
        HTTP_USER_AGENT=SAFARI_IPHONE,
        REMOTE_ADDR="2001:db8:1234:5678::1",
        HTTP_CLOUDFRONT_VIEWER_COUNTRY="fr",
    )

    sessions = laptop.data(MY_SESSIONS)["mySessions"]

    assert [(s["deviceType"], s["browser"], s["os"], s["ipNetwork"], s["isCurrent"]) for s in sessions] == [
        ("mobile", "Mobile Safari", "iOS", "2001:db8:1234::/48", False),
        ("desktop", "Firefox", "Linux", "203.0.113.0/24", True),
    ]
    assert sessions[0]["country"] == "FR"
    assert [s["isCurrent"] for s in phone.data(MY_SESSIONS)["mySessions"]] == [True, False]
    with tenant_context(brand_a):
        stored = UserSession.objects.filter(user=user).values_list("ip_network", flat=True)
        assert "203.0.113.77" not in set(stored)


def test_revoking_another_session_signs_that_browser_out_only(gql, brand_a):
    user = make_user(brand_a)
    laptop = _signed_in(gql, brand_a, user)
    phone = _signed_in(gql, brand_a, user, agent=SAFARI_IPHONE)
    phone_session = next(s for s in phone.data(MY_SESSIONS)["mySessions"] if s["isCurrent"])

    payload = laptop.data(SESSION_REVOKE, {"id": phone_session["id"]})["sessionRevoke"]

    assert payload == {"session": {"id": phone_session["id"]}, "errors": []}
    assert phone.data(ME)["me"] is None
    assert laptop.data(ME)["me"]["email"] == user.email
    assert [s["isCurrent"] for s in laptop.data(MY_SESSIONS)["mySessions"]] == [True]


def test_a_user_cannot_revoke_someone_elses_session(gql, brand_a):
    owner, other = make_user(brand_a), make_user(brand_a)
    owner_browser = _signed_in(gql, brand_a, owner)
    session_id = owner_browser.data(MY_SESSIONS)["mySessions"][0]["id"]

    payload = _signed_in(gql, brand_a, other).data(SESSION_REVOKE, {"id": session_id})["sessionRevoke"]

    assert payload == {"session": None, "errors": [{"field": "id", "code": "NOT_FOUND"}]}
    assert owner_browser.data(ME)["me"]["email"] == owner.email


def test_a_brand_admin_sees_and_revokes_a_users_sessions(gql, brand_a, admin):
    user = make_user(brand_a)
    browser = _signed_in(gql, brand_a, user, agent=SAFARI_IPHONE)
    client = gql(brand_a, admin)

    sessions = client.data(USER_SESSIONS, {"u": user.pk})["userSessions"]
    assert [(s["deviceType"], s["isCurrent"]) for s in sessions] == [("mobile", False)]

    revoked = client.data(USER_SESSION_REVOKE, {"id": sessions[0]["id"]})["userSessionRevoke"]

    assert revoked["errors"] == []
    assert browser.data(ME)["me"] is None
    assert client.data(USER_SESSIONS, {"u": user.pk})["userSessions"] == []


def test_logout_removes_the_session_record(gql, brand_a):
    user = make_user(brand_a)
    browser = _signed_in(gql, brand_a, user)

    browser.data("mutation { logout { ok } }")

    with tenant_context(brand_a):
        assert not UserSession.objects.filter(user=user).exists()


def test_last_seen_moves_at_most_once_a_minute(gql, brand_a):
    user = make_user(brand_a)
    browser = _signed_in(gql, brand_a, user)
    with tenant_context(brand_a):
        session = UserSession.objects.get(user=user)
    an_hour_ago = timezone.now() - dt.timedelta(hours=1)

    with CaptureQueriesContext(_connection()) as queries:
        browser.data(ME)
    assert not [query for query in queries if "accounts_usersession" in query["sql"]]

    with tenant_context(brand_a):
        UserSession.objects.filter(pk=session.pk).update(last_seen_at=an_hour_ago)
    services._seen_recently.clear()  # as if this process had not seen it for a minute
    browser.data(ME)
    with CaptureQueriesContext(_connection()) as queries:
        browser.data(ME)
    assert not [query for query in queries if "accounts_usersession" in query["sql"]]
    with tenant_context(brand_a):
        assert UserSession.objects.get(pk=session.pk).last_seen_at > an_hour_ago


def _connection():
    from django.db import connection

    return connection
