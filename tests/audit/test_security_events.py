"""A user's Security activity: sign-ins, failures, sign-outs and tokens of their own account,
each with the IP and user agent of the HTTP request that caused it."""

from __future__ import annotations

import random

from django_tenants.utils import tenant_context

from accounts.models import Role
from accounts.services import api_token_create, api_token_revoke
from core.audit import audit_log
from core.models import AuditEvent
from core.ratelimit import rate_limit_reset
from tests.conftest import PASSWORD, make_user

LOGIN = """
mutation Login($email: String!, $password: String!) {
  login(input: {email: $email, password: $password}) { user { email } errors { code } }
}
"""
LOGOUT = "mutation { logout { ok } }"
MINE = """
query Mine($first: Int!, $after: String) {
  mySecurityEvents(first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { action actorId subjectId ip userAgent data } }
  }
}
"""


def _client_ip() -> str:
    ip = f"203.0.113.{random.randint(1, 254)}"
    rate_limit_reset(f"login:ip:{ip}", window_seconds=900)
    return ip


def test_login_failure_and_logout_are_recorded_with_ip_and_user_agent(gql, brand_a):
    user = make_user(brand_a, role=Role.AFFILIATE)
    client = gql(brand_a)
    ip = _client_ip()
    origin = {"REMOTE_ADDR": ip, "HTTP_USER_AGENT": "Mozilla/5.0 (X11; Linux) Firefox/130.0"}

    failed = client.data(LOGIN, {"email": user.email, "password": "wrong"}, **origin)["login"]
    signed_in = client.data(LOGIN, {"email": user.email, "password": PASSWORD}, **origin)["login"]
    mine = client.data(MINE, {"first": 10}, **origin)["mySecurityEvents"]
    client.data(LOGOUT, **origin)

    assert failed["errors"] == [{"code": "INVALID_CREDENTIALS"}]
    assert signed_in["errors"] == []
    assert [edge["node"]["action"] for edge in mine["edges"]] == ["user.login", "user.login_failed"]
    for edge in mine["edges"]:
        assert edge["node"]["ip"] == ip
        assert edge["node"]["userAgent"] == "Mozilla/5.0 (X11; Linux) Firefox/130.0"
        assert edge["node"]["subjectId"] == str(user.pk)
    assert mine["edges"][0]["node"]["data"] == {"method": "password"}
    assert mine["edges"][1]["node"]["actorId"] is None  # a failed attempt has no actor
    assert "wrong" not in str(mine)  # never the attempted password
    with tenant_context(brand_a):
        logout = AuditEvent.objects.filter(subject_id=user.pk).order_by("-pk").first()
        assert (logout.action, logout.ip, logout.actor_id) == ("user.logout", ip, user.pk)


def test_a_forwarded_ip_is_ignored_from_an_untrusted_peer(gql, brand_a):
    user = make_user(brand_a)
    ip = _client_ip()

    gql(brand_a).data(
        LOGIN,
        {"email": user.email, "password": PASSWORD},
        REMOTE_ADDR=ip,
        HTTP_X_FORWARDED_FOR="198.51.100.1",
    )

    with tenant_context(brand_a):
        assert AuditEvent.objects.get(subject_id=user.pk, action="user.login").ip == ip


def test_a_user_sees_only_their_own_security_events(gql, brand_a):
    alice = make_user(brand_a)
    bob = make_user(brand_a)
    admin = make_user(brand_a, role=Role.BRAND_ADMIN)
    with tenant_context(brand_a):
        token, _ = api_token_create(user=alice, name="CI", scopes=["read"])
        api_token_revoke(user=alice, token_id=token.pk)
        api_token_create(user=bob, name="bob's", scopes=["read"])
        audit_log(
            actor=admin, action="user.role_changed", target=alice, previous="affiliate", role="merchant"
        )
        audit_log(actor=alice, action="link.created", target=alice)  # not a security event

    alice_sees = gql(brand_a, alice).data(MINE, {"first": 10})["mySecurityEvents"]
    bob_sees = gql(brand_a, bob).data(MINE, {"first": 10})["mySecurityEvents"]

    assert [edge["node"]["action"] for edge in alice_sees["edges"]] == [
        "user.role_changed",
        "api_token.revoked",
        "api_token.created",
    ]
    assert [edge["node"]["action"] for edge in bob_sees["edges"]] == ["api_token.created"]


def test_anonymous_callers_have_no_security_events(gql, brand_a):
    body = gql(brand_a).execute(MINE, {"first": 10})

    assert body["data"] is None
    assert [error["extensions"]["code"] for error in body["errors"]] == ["UNAUTHENTICATED"]


def test_another_brand_with_the_same_user_id_shows_none_of_them(gql, brand_a, brand_b):
    """User ids repeat across schemas: the events of A's user never reach B's."""
    user_a = make_user(brand_a)
    user_b = make_user(brand_b)
    with tenant_context(brand_a):
        audit_log(actor=None, action="user.login_failed", subject=user_a, email="secret-a")
        AuditEvent.objects.filter(action="user.login_failed", subject_id=user_a.pk).update(subject_id=424242)
    with tenant_context(brand_b):
        from accounts.models import User

        User.objects.filter(pk=user_b.pk).update(id=424242)
        user_b.pk = 424242

    seen = gql(brand_b, user_b).data(MINE, {"first": 10})["mySecurityEvents"]

    assert "secret-a" not in str(seen)


def test_a_page_of_my_events_costs_the_same_whatever_its_size(gql, brand_a, django_assert_num_queries):
    user = make_user(brand_a)
    with tenant_context(brand_a):
        for _ in range(12):
            audit_log(actor=None, action="user.login_failed", subject=user)
    client = gql(brand_a, user)

    # Host routing (3), session and user (2), count and page (2).
    with django_assert_num_queries(7):
        small = client.data(MINE, {"first": 2})["mySecurityEvents"]
    with django_assert_num_queries(7):
        large = client.data(MINE, {"first": 12})["mySecurityEvents"]

    assert (len(small["edges"]), len(large["edges"]), large["totalCount"]) == (2, 12, 12)
    rest = client.data(MINE, {"first": 10, "after": small["pageInfo"]["endCursor"]})["mySecurityEvents"]
    assert len(rest["edges"]) == 10
