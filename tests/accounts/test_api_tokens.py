from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import ApiToken, Role
from tests.conftest import make_user

CREATE = """
mutation Create($input: ApiTokenCreateInput!) {
  apiTokenCreate(input: $input) {
    token
    apiToken { id name prefix scopes isActive }
    errors { field code message }
  }
}
"""
REVOKE = "mutation Revoke($id: ID!) { apiTokenRevoke(id: $id) { apiToken { isActive revokedAt } errors { field code } } }"
ME = "{ me { email } }"


def _create(gql, brand, user, scopes=("READ", "WRITE"), name="CI"):
    return gql(brand, user).data(CREATE, {"input": {"name": name, "scopes": list(scopes)}})["apiTokenCreate"]


def test_a_token_is_shown_once_stored_hashed_and_authenticates_as_bearer(gql, brand_a):
    user = make_user(brand_a, role=Role.MERCHANT)

    payload = _create(gql, brand_a, user)

    raw = payload["token"]
    assert payload["errors"] == []
    assert raw.startswith(payload["apiToken"]["prefix"] + "_")
    with tenant_context(brand_a):
        stored = ApiToken.objects.get(pk=payload["apiToken"]["id"])
        assert raw not in {stored.secret_hash, stored.prefix}
        assert len(stored.secret_hash) == 64
    listed = gql(brand_a, user).data("{ apiTokens { prefix name } }")["apiTokens"]
    assert listed == [{"prefix": payload["apiToken"]["prefix"], "name": "CI"}]
    anonymous = gql(brand_a)
    assert anonymous.data(ME, HTTP_AUTHORIZATION=f"Bearer {raw}")["me"]["email"] == user.email


def test_bearer_requests_need_no_csrf_and_can_mutate_with_the_write_scope(gql, brand_a):
    user = make_user(brand_a)
    raw = _create(gql, brand_a, user)["token"]
    client = gql(brand_a)
    client.client = client.client.__class__(enforce_csrf_checks=True)

    data = client.data(
        CREATE, {"input": {"name": "second", "scopes": ["READ"]}}, HTTP_AUTHORIZATION=f"Bearer {raw}"
    )

    assert data["apiTokenCreate"]["errors"] == []


def test_a_read_only_token_cannot_mutate_and_is_told_which_scope_is_missing(gql, brand_a):
    user = make_user(brand_a)
    raw = _create(gql, brand_a, user, scopes=("READ",))["token"]

    body = gql(brand_a).execute(
        CREATE, {"input": {"name": "x", "scopes": ["READ"]}}, HTTP_AUTHORIZATION=f"Bearer {raw}"
    )

    assert [(error["message"], error["extensions"]) for error in body["errors"]] == [
        (
            "This API token has the READ scope; this operation needs WRITE.",
            {"code": "FORBIDDEN", "requiredScope": "WRITE"},
        )
    ]
    with tenant_context(brand_a):
        assert ApiToken.objects.filter(user=user).count() == 1


def test_a_role_gated_mutation_names_the_missing_scope_too(gql, brand_a):
    admin = make_user(brand_a, role=Role.BRAND_ADMIN)
    raw = _create(gql, brand_a, admin, scopes=("READ",))["token"]

    body = gql(brand_a).execute(
        'mutation { brandUpdate(input: {name: "Renamed"}) { errors { code } } }',
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )

    assert body["errors"][0]["extensions"] == {"code": "FORBIDDEN", "requiredScope": "WRITE"}


def test_a_write_only_token_is_told_that_queries_need_read(gql, brand_a):
    user = make_user(brand_a)
    raw = _create(gql, brand_a, user, scopes=("WRITE",))["token"]

    body = gql(brand_a).execute("{ apiTokens { name } }", HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert [(error["message"], error["extensions"]) for error in body["errors"]] == [
        (
            "This API token has the WRITE scope; this operation needs READ.",
            {"code": "FORBIDDEN", "requiredScope": "READ"},
        )
    ]


def test_a_revoked_token_is_refused(gql, brand_a):
    user = make_user(brand_a)
    payload = _create(gql, brand_a, user)

    revoked = gql(brand_a, user).data(REVOKE, {"id": payload["apiToken"]["id"]})["apiTokenRevoke"]
    response = gql(brand_a).post(ME, HTTP_AUTHORIZATION=f"Bearer {payload['token']}")

    assert revoked["apiToken"]["isActive"] is False
    assert revoked["apiToken"]["revokedAt"] is not None
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "INVALID_TOKEN"


def test_an_expired_token_is_refused(gql, brand_a):
    user = make_user(brand_a)
    payload = _create(gql, brand_a, user)
    with tenant_context(brand_a):
        ApiToken.objects.filter(pk=payload["apiToken"]["id"]).update(
            expires_at=timezone.now() - dt.timedelta(seconds=1)
        )

    assert gql(brand_a).post(ME, HTTP_AUTHORIZATION=f"Bearer {payload['token']}").status_code == 401


def test_malformed_and_forged_tokens_are_refused(gql, brand_a):
    user = make_user(brand_a)
    prefix = _create(gql, brand_a, user)["apiToken"]["prefix"]

    for header in ("Bearer nonsense", f"Bearer {prefix}_forged-secret", "Basic dXNlcjpwYXNz", "Bearer "):
        assert gql(brand_a).post(ME, HTTP_AUTHORIZATION=header).status_code == 401


def test_a_token_of_brand_a_means_nothing_on_brand_b(gql, brand_a, brand_b):
    user = make_user(brand_a)
    raw = _create(gql, brand_a, user)["token"]

    assert gql(brand_b).post(ME, HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401


def test_revoking_another_users_token_answers_like_a_missing_one(gql, brand_a):
    owner, other = make_user(brand_a), make_user(brand_a)
    token_id = _create(gql, brand_a, owner)["apiToken"]["id"]

    payload = gql(brand_a, other).data(REVOKE, {"id": token_id})["apiTokenRevoke"]
    missing = gql(brand_a, other).data(REVOKE, {"id": "999999"})["apiTokenRevoke"]

    assert payload == missing == {"apiToken": None, "errors": [{"field": "id", "code": "NOT_FOUND"}]}
    with tenant_context(brand_a):
        assert ApiToken.objects.get(pk=token_id).revoked_at is None


def test_token_input_errors(gql, brand_a):
    user = make_user(brand_a)

    payload = gql(brand_a, user).data(CREATE, {"input": {"name": " ", "scopes": [], "expiresInDays": 0}})[
        "apiTokenCreate"
    ]

    assert {(error["field"], error["code"]) for error in payload["errors"]} == {
        ("name", "REQUIRED"),
        ("scopes", "INVALID_SCOPE"),
        ("expiresInDays", "INVALID"),
    }
    assert payload["token"] is None


def test_anonymous_users_cannot_create_tokens(gql, brand_a):
    body = gql(brand_a).execute(CREATE, {"input": {"name": "x", "scopes": ["READ"]}})

    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
