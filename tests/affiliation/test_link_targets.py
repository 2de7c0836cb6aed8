"""Target URLs that Python and browsers would read differently never become a link, a landing
page or a merchant website; the URL stored is the normalised one (issue 9, finding 10)."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from accounts.models import Role
from affiliation.models import Link, Program
from tests.conftest import make_user
from tests.engine import make_affiliate, make_program

LINK_CREATE = """
mutation($input: LinkCreateInput!) {
  linkCreate(input: $input) { link { targetUrl } errors { field code message } }
}
"""
PROGRAM_UPDATE = """
mutation($id: ID!, $input: ProgramInput!) {
  programUpdate(id: $id, input: $input) { program { landingUrl allowedDomains } errors { field code } }
}
"""
MERCHANT_UPDATE = """
mutation($input: MerchantProfileInput!) {
  merchantProfileUpdate(input: $input) { merchant { website } errors { field code } }
}
"""
BAD_TARGETS = [
    "http://evil.com\\@alpha.localhost/",  # browsers go to evil.com; urllib saw alpha.localhost
    "https://shop.example.com/\r\nSet-Cookie: afp_click=forged",
    "https://shop.example.com:99999/",
    "https://user:secret@shop.example.com/",
    "https://shop.example.com\\.evil.net/",
    "http:shop.example.com/",
]


@pytest.fixture
def program(brand_a):
    with tenant_context(brand_a):
        return make_program(allowed_domains=["partner.example.org"])


@pytest.fixture
def affiliate(brand_a, program):
    with tenant_context(brand_a):
        return make_affiliate(brand_a, program)


@pytest.mark.parametrize("target", BAD_TARGETS)
def test_link_create_refuses_a_target_browsers_would_read_differently(
    gql, brand_a, program, affiliate, target
):
    payload = gql(brand_a, affiliate.user).data(
        LINK_CREATE, {"input": {"programId": str(program.pk), "targetUrl": target}}
    )["linkCreate"]

    assert payload["link"] is None
    assert [(error["field"], error["code"]) for error in payload["errors"]] == [("targetUrl", "INVALID")]
    with tenant_context(brand_a):
        assert not Link.objects.exists()


def test_link_create_stores_the_normalised_target(gql, brand_a, program, affiliate):
    payload = gql(brand_a, affiliate.user).data(
        LINK_CREATE,
        {
            "input": {
                "programId": str(program.pk),
                "targetUrl": "HTTPS://Partner.Example.org:443/a b?q=red shoes",
            }
        },
    )["linkCreate"]

    assert payload["errors"] == []
    assert payload["link"]["targetUrl"] == "https://partner.example.org/a%20b?q=red%20shoes"
    with tenant_context(brand_a):
        assert Link.objects.get().target_url == "https://partner.example.org/a%20b?q=red%20shoes"


@pytest.mark.parametrize("target", BAD_TARGETS)
def test_a_program_landing_page_is_held_to_the_same_rule(gql, brand_a, program, target):
    admin = make_user(brand_a, role=Role.BRAND_ADMIN)

    payload = gql(brand_a, admin).data(
        PROGRAM_UPDATE, {"id": str(program.pk), "input": {"landingUrl": target}}
    )["programUpdate"]

    assert [(error["field"], error["code"]) for error in payload["errors"]] == [("landingUrl", "INVALID")]
    with tenant_context(brand_a):
        assert Program.objects.get(pk=program.pk).landing_url == "https://shop.example.com/"


def test_a_program_stores_its_normalised_landing_page_and_domains(gql, brand_a, program):
    admin = make_user(brand_a, role=Role.BRAND_ADMIN)

    payload = gql(brand_a, admin).data(
        PROGRAM_UPDATE,
        {
            "id": str(program.pk),
            "input": {"landingUrl": "HTTPS://Shop.Example.com", "allowedDomains": ["B\u00fccher.example"]},
        },
    )["programUpdate"]

    assert payload["errors"] == []
    assert payload["program"] == {
        "landingUrl": "https://shop.example.com/",
        "allowedDomains": ["xn--bcher-kva.example"],
    }


@pytest.mark.parametrize("domain", ["evil.com\\@shop.example.com", "shop.example.com:99999", "a b.example"])
def test_an_allowed_domain_is_a_host_name_only(gql, brand_a, program, domain):
    admin = make_user(brand_a, role=Role.BRAND_ADMIN)

    payload = gql(brand_a, admin).data(
        PROGRAM_UPDATE, {"id": str(program.pk), "input": {"allowedDomains": [domain]}}
    )["programUpdate"]

    assert [(error["field"], error["code"]) for error in payload["errors"]] == [("allowedDomains", "INVALID")]


@pytest.mark.parametrize("website", BAD_TARGETS)
def test_a_merchant_website_is_held_to_the_same_rule(gql, brand_a, website):
    merchant = make_user(brand_a, role=Role.MERCHANT)

    payload = gql(brand_a, merchant).data(
        MERCHANT_UPDATE, {"input": {"displayName": "Spa", "website": website}}
    )["merchantProfileUpdate"]

    assert [(error["field"], error["code"]) for error in payload["errors"]] == [("website", "INVALID")]


def test_a_merchant_website_is_stored_normalised(gql, brand_a):
    merchant = make_user(brand_a, role=Role.MERCHANT)

    payload = gql(brand_a, merchant).data(
        MERCHANT_UPDATE, {"input": {"displayName": "Spa", "website": "HTTPS://LeSpa.example"}}
    )["merchantProfileUpdate"]

    assert payload == {"merchant": {"website": "https://lespa.example/"}, "errors": []}
