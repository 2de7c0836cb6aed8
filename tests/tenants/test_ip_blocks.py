"""IP blocks: an operator blocks an address or a CIDR range on one brand; requests from it get
403 on that brand's hosts only, before anything else; no database query per request."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from accounts.models import Role
from core.models import AuditEvent
from tenants.models import IpBlock, Tenant
from tests.conftest import domain_of, make_user
from tests.webapp.conftest import fake_build

CREATE = """
mutation($input: IpBlockCreateInput!) {
  ipBlockCreate(input: $input) { ipBlock { id brandId network note createdByEmail } errors { field code } }
}"""
DELETE = "mutation($id: ID!) { ipBlockDelete(id: $id) { deletedId errors { field code } } }"
LIST = "query($brandId: ID) { ipBlocks(brandId: $brandId) { totalCount edges { node { network brandId } } } }"


@pytest.fixture(autouse=True)
def _forget_cached_blocks(brand_a: Tenant, brand_b: Tenant) -> Iterator[None]:
    """The rows roll back with the test; the cached copies must go too."""
    yield
    for tenant in (brand_a, brand_b):
        with schema_context(tenant.schema_name):
            cache.delete("ipblocks:networks")


@pytest.fixture
def built_app(tmp_path, settings):  # type: ignore[no-untyped-def]
    settings.WEBAPP_DIST_DIR = fake_build(tmp_path)


@pytest.fixture
def operator_gql(gql, public_tenant):  # type: ignore[no-untyped-def]
    return gql(public_tenant, make_user(public_tenant, role=Role.OPERATOR))


def _block(operator_gql, brand: Tenant, network: str, captured) -> dict:  # type: ignore[no-untyped-def]
    with captured(execute=True):  # after commit: the cache and the lane's routes are rewritten
        payload = operator_gql.data(CREATE, {"input": {"brandId": str(brand.pk), "network": network}})
    return payload["ipBlockCreate"]


def _get(tenant: Tenant, ip: str, path: str = "/", **extra: str):  # type: ignore[no-untyped-def]
    return Client().get(path, HTTP_HOST=domain_of(tenant), REMOTE_ADDR=ip, **extra)


def test_a_blocked_address_gets_403_on_that_brand_only(
    operator_gql, brand_a, brand_b, built_app, django_capture_on_commit_callbacks
):
    payload = _block(operator_gql, brand_a, "203.0.113.7", django_capture_on_commit_callbacks)

    assert payload["errors"] == []
    assert payload["ipBlock"]["network"] == "203.0.113.7/32"
    assert payload["ipBlock"]["brandId"] == str(brand_a.pk)
    assert payload["ipBlock"]["createdByEmail"].startswith("user")
    page = _get(brand_a, "203.0.113.7", "/dashboard")
    assert page.status_code == 403
    assert "Access denied" in page.content.decode()
    api = Client().post(
        "/graphql/",
        data='{"query": "{ brand { name } }"}',
        content_type="application/json",
        HTTP_HOST=domain_of(brand_a),
        REMOTE_ADDR="203.0.113.7",
    )
    assert api.status_code == 403
    assert api.json()["errors"][0]["extensions"]["code"] == "IP_BLOCKED"
    assert _get(brand_a, "203.0.113.8").status_code == 200  # the neighbour is not blocked
    assert _get(brand_b, "203.0.113.7").status_code == 200  # brand B does not block it
    with schema_context("public"):  # the operator's audit log
        assert AuditEvent.objects.filter(action="ip_block.created", target_id=str(brand_a.pk)).exists()


def test_a_cidr_range_blocks_every_address_in_it_ipv4_and_ipv6(
    operator_gql, brand_a, built_app, django_capture_on_commit_callbacks
):
    assert (
        _block(operator_gql, brand_a, "198.51.100.77/24", django_capture_on_commit_callbacks)["errors"] == []
    )
    assert (
        _block(operator_gql, brand_a, "2001:db8:abcd::/48", django_capture_on_commit_callbacks)["errors"]
        == []
    )

    assert _get(brand_a, "198.51.100.1").status_code == 403
    assert _get(brand_a, "198.51.100.254").status_code == 403
    assert _get(brand_a, "198.51.101.1").status_code == 200
    assert _get(brand_a, "2001:db8:abcd:12::1").status_code == 403
    assert _get(brand_a, "2001:db8:abce::1").status_code == 200


def test_the_forwarded_address_counts_only_behind_a_trusted_proxy(
    operator_gql, brand_a, built_app, settings, django_capture_on_commit_callbacks
):
    _block(operator_gql, brand_a, "203.0.113.0/24", django_capture_on_commit_callbacks)

    # From an untrusted peer the header is the client's own word: ignored.
    assert _get(brand_a, "192.0.2.10", HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 200
    settings.TRUSTED_PROXIES = ["192.0.2.10"]
    assert _get(brand_a, "192.0.2.10", HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 403
    # A blocked client cannot hide behind a header it writes itself.
    assert _get(brand_a, "203.0.113.5", HTTP_X_FORWARDED_FOR="192.0.2.99").status_code == 403


def test_no_database_query_per_request_and_lifting_the_block_takes_effect_at_once(
    operator_gql, brand_a, built_app, django_capture_on_commit_callbacks
):
    block_id = _block(operator_gql, brand_a, "203.0.113.9", django_capture_on_commit_callbacks)["ipBlock"][
        "id"
    ]
    _get(brand_a, "203.0.113.9")  # warm

    with CaptureQueriesContext(connection) as queries:
        assert _get(brand_a, "203.0.113.9").status_code == 403
    assert [query["sql"] for query in queries.captured_queries if "ipblock" in query["sql"].lower()] == []
    selects = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    assert all("tenants_domain" in sql for sql in selects), selects  # the host lookup only

    with django_capture_on_commit_callbacks(execute=True):
        payload = operator_gql.data(DELETE, {"id": block_id})["ipBlockDelete"]
    assert payload == {"deletedId": block_id, "errors": []}
    assert _get(brand_a, "203.0.113.9").status_code == 200


@pytest.mark.parametrize(
    ("network", "code"),
    [
        ("not-an-ip", "INVALID_NETWORK"),
        ("10.0.0.0/7", "TOO_BROAD"),
        ("0.0.0.0/0", "TOO_BROAD"),
        ("::/16", "TOO_BROAD"),
    ],
)
def test_bad_networks_are_field_errors(operator_gql, brand_a, network, code):
    payload = operator_gql.data(CREATE, {"input": {"brandId": str(brand_a.pk), "network": network}})[
        "ipBlockCreate"
    ]

    assert payload == {"ipBlock": None, "errors": [{"field": "network", "code": code}]}
    assert not IpBlock.objects.filter(tenant=brand_a).exists()


def test_a_duplicate_and_an_unknown_brand_are_field_errors(
    operator_gql, brand_a, public_tenant, django_capture_on_commit_callbacks
):
    _block(operator_gql, brand_a, "203.0.113.10", django_capture_on_commit_callbacks)

    again = operator_gql.data(CREATE, {"input": {"brandId": str(brand_a.pk), "network": "203.0.113.10/32"}})
    unknown = operator_gql.data(CREATE, {"input": {"brandId": "999999", "network": "203.0.113.10"}})
    public = operator_gql.data(
        CREATE, {"input": {"brandId": str(public_tenant.pk), "network": "203.0.113.10"}}
    )
    missing = operator_gql.data(DELETE, {"id": "999999"})

    assert again["ipBlockCreate"]["errors"] == [{"field": "network", "code": "ALREADY_BLOCKED"}]
    assert unknown["ipBlockCreate"]["errors"] == [{"field": "brandId", "code": "NOT_FOUND"}]
    assert public["ipBlockCreate"]["errors"] == [{"field": "brandId", "code": "NOT_FOUND"}]
    assert missing["ipBlockDelete"]["errors"] == [{"field": "id", "code": "NOT_FOUND"}]
    assert IpBlock.objects.filter(tenant=brand_a).count() == 1


def test_operators_list_the_blocks_of_a_brand(
    operator_gql, brand_a, brand_b, django_capture_on_commit_callbacks
):
    _block(operator_gql, brand_a, "203.0.113.11", django_capture_on_commit_callbacks)
    _block(operator_gql, brand_b, "203.0.113.12", django_capture_on_commit_callbacks)

    of_a = operator_gql.data(LIST, {"brandId": str(brand_a.pk)})["ipBlocks"]

    assert of_a["totalCount"] == 1
    assert of_a["edges"][0]["node"] == {"network": "203.0.113.11/32", "brandId": str(brand_a.pk)}


@pytest.mark.parametrize(
    ("actor", "where"),
    [
        ("anonymous", "root"),
        ("brand_admin", "brand"),
        ("affiliate", "brand"),
        ("anonymous", "brand"),
    ],
)
def test_only_operators_on_the_root_domain_block_addresses(gql, brand_a, public_tenant, actor, where):
    tenant = public_tenant if where == "root" else brand_a
    user = None if actor == "anonymous" else make_user(brand_a, role=actor)
    client = gql(tenant, user)

    body = client.execute(CREATE, {"input": {"brandId": str(brand_a.pk), "network": "203.0.113.13"}})
    listing = client.execute(LIST, {"brandId": str(brand_a.pk)})
    deletion = client.execute(DELETE, {"id": "1"})

    assert body["data"] is None
    assert body["errors"]
    assert listing["data"] is None
    assert deletion["data"] is None
    assert not IpBlock.objects.filter(tenant=brand_a).exists()
