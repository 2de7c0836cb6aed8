"""Custom domains against the live server (uvicorn, the project's ASGI app) and a real Celery
worker: the HTTP token check reaches the platform through a Host header, a session works on the
custom host, and the beat's re-check verifies a domain in the worker."""

from __future__ import annotations

import itertools
import json
import os
import time
from typing import Any

import httpx
import pytest
from django.db import connection

from accounts.models import Role
from tenants.custom_domains import custom_domain_add, custom_domain_remove, custom_domain_verify
from tenants.domain_checks import WELL_KNOWN_PREFIX, txt_record_name
from tenants.models import CustomDomain, CustomDomainStatus, Domain
from tenants.tasks import custom_domains_recheck_task
from tenants.websocket import origin_allowed
from tests.conftest import PASSWORD, domain_of, make_user
from tests.dns_server import LocalDnsServer

pytestmark = pytest.mark.live

_numbers = itertools.count(1)


def _host(label: str) -> str:
    return f"{label}{next(_numbers)}-{os.environ['TEST_RUN_ID'][-6:]}.example.com"


@pytest.fixture
def http_checks(dns: LocalDnsServer, settings: Any, live_server_port: int) -> LocalDnsServer:
    """Custom domains resolve to 127.0.0.1, where the HTTP check finds the live server."""
    settings.CUSTOM_DOMAIN_HTTP_PORT = live_server_port
    settings.CUSTOM_DOMAIN_FETCH_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    return dns


def _get(port: int, host: str, path: str, **kwargs: Any) -> httpx.Response:
    return httpx.get(f"http://127.0.0.1:{port}{path}", headers={"Host": host}, timeout=10, **kwargs)


def test_the_http_token_is_answered_by_the_platform_and_verifies_the_domain(
    live_brands, http_checks, settings, live_server_port, django_db_blocker
):
    brand, other = live_brands
    host = _host("http")
    http_checks.set(host, "A", "127.0.0.1")
    with django_db_blocker.unblock():
        claim = custom_domain_add(actor=None, tenant=brand, domain=host)
        try:
            # The platform answers the token of a pending claim, before tenancy; nothing else.
            answered = _get(live_server_port, host, WELL_KNOWN_PREFIX + claim.token)
            assert (answered.status_code, answered.text) == (200, claim.token)
            assert _get(live_server_port, host, WELL_KNOWN_PREFIX + "afv-wrong").status_code == 404
            assert (
                _get(live_server_port, "elsewhere.example.com", WELL_KNOWN_PREFIX + claim.token).status_code
                == 404
            )
            assert _get(live_server_port, host, "/graphql/").status_code == 404  # pending: not served

            # SSRF bound: a name pointing at a loopback address is not fetched unless allowed.
            settings.CUSTOM_DOMAIN_FETCH_ALLOWED_NETWORKS = []
            refused = custom_domain_verify(actor=None, tenant=brand, custom_domain_id=claim.pk)
            assert (refused.status, refused.last_check_code) == (
                CustomDomainStatus.PENDING,
                "HTTP_ADDRESS_REFUSED",
            )
            settings.CUSTOM_DOMAIN_FETCH_ALLOWED_NETWORKS = ["127.0.0.0/8"]

            # Two brands claim the host: the platform cannot tell whose it is, so answers neither.
            rival = custom_domain_add(actor=None, tenant=other, domain=host)
            assert _get(live_server_port, host, WELL_KNOWN_PREFIX + claim.token).status_code == 404
            blocked = custom_domain_verify(actor=None, tenant=brand, custom_domain_id=claim.pk)
            assert (blocked.status, blocked.last_check_code) == (
                CustomDomainStatus.PENDING,
                "NOT_VERIFIED_YET",
            )
            custom_domain_remove(actor=None, tenant=other, custom_domain_id=rival.pk)

            verified = custom_domain_verify(actor=None, tenant=brand, custom_domain_id=claim.pk)
            assert (verified.status, verified.verified_method) == (CustomDomainStatus.VERIFIED, "http")
            assert (
                _get(live_server_port, host, WELL_KNOWN_PREFIX + claim.token).status_code == 404
            )  # served now
            body = httpx.post(
                f"http://127.0.0.1:{live_server_port}/graphql/",
                json={"query": "{ brand { name } }"},
                headers={"Host": host},
                timeout=10,
            ).json()
            assert body["data"]["brand"]["name"] == brand.name
        finally:
            custom_domain_remove(actor=None, tenant=brand, custom_domain_id=claim.pk)
            connection.set_schema_to_public()
    assert _get(live_server_port, host, "/graphql/").status_code == 404


def test_a_session_works_on_the_custom_host(
    live_brands, dns, live_client, live_server_port, django_db_blocker
):
    brand, _ = live_brands
    host = _host("session")
    with django_db_blocker.unblock():
        admin = make_user(brand, role=Role.BRAND_ADMIN)
        claim = custom_domain_add(actor=None, tenant=brand, domain=host)
        dns.set(txt_record_name(host), "TXT", claim.token)
        custom_domain_verify(actor=None, tenant=brand, custom_domain_id=claim.pk)
        try:
            client = live_client(brand)
            client.http.headers["Host"] = host
            client.login(admin.email, PASSWORD)
            session_cookie = next(cookie for cookie in client.http.cookies.jar if cookie.name == "sessionid")
            me = client.post("{ me { email } brandDomains { customDomains { domain status } } }").json()

            assert session_cookie.domain in (host, "127.0.0.1", "")  # host-only: no Domain attribute
            assert not session_cookie.domain_specified
            assert me["data"]["me"]["email"] == admin.email
            assert me["data"]["brandDomains"]["customDomains"] == [{"domain": host, "status": "VERIFIED"}]

            # A "simple" (multipart) POST needs the CSRF token and the page's own origin: the
            # custom host is trusted as its own origin; another host of the brand is not.
            def simple_post(origin: str) -> httpx.Response:
                operations = json.dumps({"query": "{ me { email } }", "variables": {}})
                return client.http.post(
                    "/graphql/",
                    files={"operations": (None, operations), "map": (None, "{}")},
                    headers={"X-CSRFToken": client.csrf_token(), "Origin": origin},
                )

            same_origin = simple_post(f"http://{host}")
            assert same_origin.status_code == 200, same_origin.text
            assert same_origin.json()["data"]["me"]["email"] == admin.email
            assert simple_post(f"http://{domain_of(brand)}").status_code == 403
            # Websockets from a page on the custom host are accepted (the brand's own origin).
            domains = list(Domain.objects.filter(tenant=brand).values_list("domain", flat=True))
            assert origin_allowed(f"https://{host}", domains)
        finally:
            custom_domain_remove(actor=None, tenant=brand, custom_domain_id=claim.pk)
            connection.set_schema_to_public()


def test_the_beat_verifies_a_pending_domain_in_the_worker(
    live_brands, dns, celery_worker_thread, django_db_blocker
):
    brand, _ = live_brands
    host = _host("beat")
    with django_db_blocker.unblock():
        claim = custom_domain_add(actor=None, tenant=brand, domain=host)
        try:
            dns.set(txt_record_name(host), "TXT", claim.token)

            custom_domains_recheck_task.delay()

            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                claim.refresh_from_db()
                if claim.status == CustomDomainStatus.VERIFIED:
                    break
                time.sleep(0.2)
            assert claim.status == CustomDomainStatus.VERIFIED
            assert claim.verified_method == "dns"
            assert Domain.objects.filter(domain=host, tenant=brand).exists()
        finally:
            if CustomDomain.objects.filter(pk=claim.pk).exists():
                custom_domain_remove(actor=None, tenant=brand, custom_domain_id=claim.pk)
            connection.set_schema_to_public()
