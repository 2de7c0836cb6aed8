"""Postbacks and QR codes stay inside their brand: keys, clicks, links and rate-limit buckets."""

from __future__ import annotations

import pytest
from django.test import Client
from django_tenants.utils import tenant_context

from accounts.models import Role
from affiliation.models import Conversion, PostbackKey
from affiliation.postbacks import postback_key_create
from affiliation.services import link_create
from tests.affiliation.test_postbacks import fresh_ip, post_signed, sale
from tests.conftest import domain_of, make_user
from tests.engine import make_affiliate, make_click, make_program


@pytest.fixture
def two_brands(brand_a, brand_b):
    """Each brand with a program (in its currency), an affiliate with a click, and a key."""
    setup = {}
    for tenant, currency in ((brand_a, "EUR"), (brand_b, "MAD")):
        with tenant_context(tenant):
            program = make_program(currency=currency)
            affiliate = make_affiliate(tenant, program)
            setup[tenant.subdomain] = {
                "tenant": tenant,
                "affiliate": affiliate,
                "click": make_click(affiliate),
                "key": postback_key_create(),
            }
    return setup["alpha"], setup["beta"]


def conversion_count(tenant) -> int:
    with tenant_context(tenant):
        return Conversion.objects.count()


def test_a_postback_signed_with_brand_as_secret_is_refused_on_brand_bs_host(two_brands):
    a, b = two_brands

    response = post_signed(b["tenant"], sale(a["click"].id), secret=a["key"].secret, ip=fresh_ip())

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "INVALID_SIGNATURE"
    assert (conversion_count(a["tenant"]), conversion_count(b["tenant"])) == (0, 0)


def test_brand_as_click_in_a_postback_validly_signed_for_brand_b_is_not_attributed(two_brands):
    a, b = two_brands
    payload = {**sale(a["click"].id), "currency": "MAD"}

    response = post_signed(b["tenant"], payload, secret=b["key"].secret, ip=fresh_ip())

    assert response.status_code == 422
    assert (response.json()["error"]["code"], response.json()["error"]["field"]) == (
        "NOT_ATTRIBUTED",
        "click_id",
    )
    assert (conversion_count(a["tenant"]), conversion_count(b["tenant"])) == (0, 0)


def test_the_same_order_id_is_recorded_once_per_brand(two_brands):
    a, b = two_brands
    ip = fresh_ip()

    on_a = post_signed(a["tenant"], sale(a["click"].id, "shared"), secret=a["key"].secret, ip=ip)
    on_b = post_signed(
        b["tenant"], {**sale(b["click"].id, "shared"), "currency": "MAD"}, secret=b["key"].secret, ip=ip
    )

    assert (on_a.status_code, on_b.status_code) == (201, 201)
    assert (conversion_count(a["tenant"]), conversion_count(b["tenant"])) == (1, 1)


def test_failed_signatures_on_brand_a_do_not_throttle_brand_b(two_brands, settings):
    settings.POSTBACK_FAILED_SIGNATURE_LIMIT = 2
    a, b = two_brands
    ip = fresh_ip()

    for _ in range(2):
        assert post_signed(a["tenant"], sale(a["click"].id), secret="0" * 64, ip=ip).status_code == 401
    throttled_on_a = post_signed(a["tenant"], sale(a["click"].id), secret=a["key"].secret, ip=ip)
    fine_on_b = post_signed(
        b["tenant"], {**sale(b["click"].id), "currency": "MAD"}, secret=b["key"].secret, ip=ip
    )

    assert (throttled_on_a.status_code, fine_on_b.status_code) == (429, 201)


def test_keys_belong_to_their_brand(two_brands):
    a, b = two_brands

    with tenant_context(b["tenant"]):
        assert list(PostbackKey.objects.values_list("pk", flat=True)) == [b["key"].pk]
        assert not PostbackKey.objects.filter(secret=a["key"].secret).exists()


@pytest.mark.parametrize("role", [Role.AFFILIATE, Role.BRAND_ADMIN])
def test_a_qr_of_brand_as_link_is_404_for_a_user_of_brand_b(two_brands, role):
    a, b = two_brands
    with tenant_context(a["tenant"]):
        link = link_create(affiliate=a["affiliate"])
    intruder = make_user(b["tenant"], role=role)
    client = Client()
    with tenant_context(b["tenant"]):
        client.force_login(intruder)

    responses = [
        client.get(f"/links/{link.code}/qr.{image_format}", HTTP_HOST=domain_of(b["tenant"]))
        for image_format in ("svg", "png")
    ]
    missing = client.get("/links/NoSuch1/qr.svg", HTTP_HOST=domain_of(b["tenant"]))

    assert [response.status_code for response in responses] == [404, 404]
    assert responses[0].content == missing.content


def test_a_session_of_brand_a_gets_nothing_on_brand_bs_host(two_brands):
    """The test client sends its cookies to every host, like a shared cookie domain would."""
    a, b = two_brands
    with tenant_context(a["tenant"]):
        link = link_create(affiliate=a["affiliate"])
    client = Client()
    with tenant_context(a["tenant"]):
        client.force_login(a["affiliate"].user)

    own = client.get(f"/links/{link.code}/qr.svg", HTTP_HOST=domain_of(a["tenant"]))
    elsewhere = client.get(f"/links/{link.code}/qr.svg", HTTP_HOST=domain_of(b["tenant"]))

    assert (own.status_code, elsewhere.status_code) == (200, 404)
