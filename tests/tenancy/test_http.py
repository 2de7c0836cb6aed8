"""Brand A's data is invisible and untouchable from brand B over HTTP GraphQL."""

from __future__ import annotations

from django.test import Client
from django_tenants.utils import tenant_context

from accounts.models import ApiToken, ApiTokenScope, Role
from accounts.services import api_token_create
from tenants.models import Tenant
from tests.conftest import domain_of, make_user
from tests.graphql_client import GraphQLClient

BRAND_UPDATE = 'mutation { brandUpdate(input: {name: "Hijacked"}) { brand { name } errors { code } } }'


def test_each_host_serves_its_own_brand(gql, brand_a, brand_b):
    assert gql(brand_a).data("{ brand { name subdomain } }")["brand"] == {
        "name": "Alpha Brand",
        "subdomain": "alpha",
    }
    assert gql(brand_b).data("{ brand { name subdomain } }")["brand"] == {
        "name": "Beta Brand",
        "subdomain": "beta",
    }


def test_the_root_host_serves_no_brand(gql, public_tenant):
    assert gql(public_tenant).data("{ brand { name } }")["brand"] is None


def test_an_unknown_host_is_404(client, db):
    response = client.post(
        "/graphql/",
        data={"query": "{ brand { name } }"},
        content_type="application/json",
        HTTP_HOST="nowhere.localhost",
    )

    assert response.status_code == 404


def test_the_template_schema_is_not_served(client, db):
    template = Tenant.objects.get(schema_name="tenant_template")

    assert not template.domains.exists()
    response = client.get("/graphql/", {"query": "{ brand { name } }"}, HTTP_HOST="tenant_template.localhost")
    assert response.status_code == 404


def test_a_session_of_brand_a_is_anonymous_on_brand_b(brand_a, brand_b):
    """The test client sends its cookies to every host, like a shared cookie domain would."""
    admin = make_user(brand_a, role=Role.BRAND_ADMIN)
    browser = Client()
    with tenant_context(brand_a):
        browser.force_login(admin)

    on_a = GraphQLClient(browser, host=domain_of(brand_a)).data("{ me { role } }")
    on_b = GraphQLClient(browser, host=domain_of(brand_b)).execute(BRAND_UPDATE)

    assert on_a == {"me": {"role": "BRAND_ADMIN"}}
    assert on_b["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    brand_b.refresh_from_db()
    assert brand_b.name == "Beta Brand"


def test_a_brand_admin_changes_only_their_own_brand(gql, brand_a, brand_b):
    admin = make_user(brand_a, role=Role.BRAND_ADMIN)

    payload = gql(brand_a, admin).data(BRAND_UPDATE)["brandUpdate"]

    assert payload == {"brand": {"name": "Hijacked"}, "errors": []}
    brand_b.refresh_from_db()
    assert brand_b.name == "Beta Brand"


def test_a_token_of_brand_a_cannot_be_revoked_from_brand_b(gql, brand_a, brand_b):
    with tenant_context(brand_a):
        token, _ = api_token_create(user=make_user(brand_a), name="a", scopes=[ApiTokenScope.READ])
    intruder = make_user(brand_b)

    payload = gql(brand_b, intruder).data(
        "mutation($id: ID!) { apiTokenRevoke(id: $id) { apiToken { id } errors { code } } }",
        {"id": str(token.pk)},
    )["apiTokenRevoke"]

    assert payload == {"apiToken": None, "errors": [{"code": "NOT_FOUND"}]}
    with tenant_context(brand_a):
        assert ApiToken.objects.get(pk=token.pk).revoked_at is None


def test_users_of_brand_a_are_not_listed_or_reachable_from_brand_b(gql, brand_a, brand_b):
    with tenant_context(brand_a):
        user = make_user(brand_a, email="private@example.com")
        _, raw = api_token_create(user=user, name="mine", scopes=[ApiTokenScope.READ])

    assert gql(brand_b).post("{ me { email } }", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401
    assert (
        gql(brand_a).data("{ me { email } }", HTTP_AUTHORIZATION=f"Bearer {raw}")["me"]["email"]
        == "private@example.com"
    )


def test_operator_queries_are_refused_on_brand_hosts(gql, brand_a):
    admin = make_user(brand_a, role=Role.BRAND_ADMIN)

    body = gql(brand_a, admin).execute("{ brands(first: 10) { totalCount } }")

    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_operators_list_brands_page_by_page(gql, public_tenant, brand_a, brand_b):
    operator = make_user(public_tenant, role=Role.OPERATOR)
    client = gql(public_tenant, operator)
    query = "query($after: String) { brands(first: 1, after: $after) { totalCount edges { node { subdomain } } pageInfo { hasNextPage endCursor } } }"

    first = client.data(query)["brands"]
    second = client.data(query, {"after": first["pageInfo"]["endCursor"]})["brands"]

    assert first["totalCount"] >= 2
    assert first["edges"][0]["node"]["subdomain"] != second["edges"][0]["node"]["subdomain"]
    assert first["pageInfo"]["hasNextPage"] is True


def test_the_console_lists_the_newest_brand_first(gql, public_tenant, brand_a, brand_b):
    # given more brands than one page, and a brand just created
    operator = make_user(public_tenant, role=Role.OPERATOR)
    newest = Tenant.objects.filter(kind="brand").order_by("-pk").first()
    # when the operator opens the console's first page
    page = gql(public_tenant, operator).data("{ brands(first: 1) { edges { node { subdomain } } } }")
    # then the newest brand is on it (with hundreds of brands, page 1 was the oldest ones)
    assert newest is not None
    assert page["brands"]["edges"][0]["node"]["subdomain"] == newest.subdomain
