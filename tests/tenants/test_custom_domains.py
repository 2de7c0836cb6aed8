"""Custom domains of a brand: claim, verify by a DNS TXT record (through a local DNS server),
serve, make primary, remove; cross-brand isolation, expiry and enumeration-safe answers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import MagicLink, Role
from accounts.tasks import send_magic_link_task
from affiliation.qr import link_public_url
from affiliation.services import link_create
from billing.services.subscriptions import brand_url as stripe_return_url
from core.models import AuditEvent
from tenants.custom_domains import (
    custom_domain_add,
    custom_domain_check,
    custom_domain_make_primary,
    custom_domain_remove,
    custom_domain_verify,
    custom_domains_due,
    custom_domains_expire,
)
from tenants.domain_checks import txt_record_name
from tenants.models import CustomDomain, CustomDomainStatus, Domain, Tenant
from tenants.selectors import brand_base_url
from tests.accounts.two_factor_helpers import VERIFY as TWO_FACTOR_VERIFY
from tests.accounts.two_factor_helpers import enrol, next_code
from tests.conftest import domain_of, make_user
from tests.dns_server import LocalDnsServer
from tests.engine import make_affiliate, make_program
from tests.webapp.conftest import fake_build

pytestmark = pytest.mark.django_db

DOMAIN = "partners.example.com"

ADD = """
mutation($d: String!) {
  customDomainAdd(input: {domain: $d}) {
    customDomain { id domain status isPrimary verificationRecord { type name value } routingRecord { type name value } }
    domains { platformDomain primaryDomain maxCustomDomains customDomains { id domain } }
    errors { field code message }
  }
}"""
VERIFY = """mutation($id: ID!) { customDomainVerify(id: $id) {
  customDomain { id status verifiedMethod lastCheckCode lastCheckMessage }
  errors { field code message } } }"""
PRIMARY = """mutation($id: ID!) { customDomainMakePrimary(id: $id) {
  customDomain { id isPrimary } domains { primaryDomain } errors { field code message } } }"""
RESET = "mutation { brandPrimaryDomainReset { domains { primaryDomain } errors { code } } }"
REMOVE = """mutation($id: ID!) { customDomainRemove(id: $id) {
  customDomain { id } domains { primaryDomain customDomains { id } } errors { field code message } } }"""
LIST = """{ brandDomains { platformDomain primaryDomain customDomains {
  id domain status isPrimary lastCheckCode verificationRecord { name value } } } }"""


@pytest.fixture(autouse=True)
def _app_built(tmp_path: Any, settings: Any) -> None:
    settings.WEBAPP_DIST_DIR = fake_build(tmp_path)


@pytest.fixture
def admin_a(brand_a: Tenant) -> Any:
    return make_user(brand_a, role=Role.BRAND_ADMIN)


@pytest.fixture
def admin_b(brand_b: Tenant) -> Any:
    return make_user(brand_b, role=Role.BRAND_ADMIN)


def _add(tenant: Tenant, domain: str = DOMAIN, actor: Any = None) -> CustomDomain:
    return custom_domain_add(actor=actor, tenant=tenant, domain=domain)


def _publish_txt(dns: LocalDnsServer, claim: CustomDomain, *extra: str) -> None:
    dns.set(txt_record_name(claim.domain), "TXT", *extra, claim.token)


def _verified(dns: LocalDnsServer, tenant: Tenant, domain: str = DOMAIN) -> CustomDomain:
    claim = _add(tenant, domain)
    _publish_txt(dns, claim)
    claim = custom_domain_verify(actor=None, tenant=tenant, custom_domain_id=claim.pk)
    assert claim.status == CustomDomainStatus.VERIFIED, claim.last_check_message
    return claim


def _tls_ask(domain: str) -> int:
    return Client(HTTP_HOST="web:8000").get("/internal/tls-ask", {"domain": domain}).status_code


def _brand_name_on(host: str) -> Any:
    response = Client().post(
        "/graphql/", data={"query": "{ brand { name } }"}, content_type="application/json", HTTP_HOST=host
    )
    return response.status_code, (
        response.json()["data"]["brand"]["name"] if response.status_code == 200 else None
    )


# --- adding: validation, limits, enumeration ---------------------------------------------------


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("", "REQUIRED"),
        ("not a domain", "INVALID"),
        ("partners", "INVALID"),
        ("partners.example.com:8443", "INVALID"),
        ("partners.example.com/shop", "INVALID"),
        ("-bad.example.com", "INVALID"),
        ("203.0.113.7", "IP_ADDRESS"),
        ("[2001:db8::1]", "IP_ADDRESS"),
        ("alpha.localhost", "RESERVED"),
        ("anything.alpha.localhost", "RESERVED"),
        ("printer.local", "RESERVED"),
    ],
)
def test_a_bad_domain_is_refused_with_its_code(gql, brand_a, admin_a, value, code):
    payload = gql(brand_a, admin_a).data(ADD, {"d": value})["customDomainAdd"]

    assert [(error["field"], error["code"]) for error in payload["errors"]] == [("domain", code)]
    assert payload["customDomain"] is None
    assert not CustomDomain.objects.filter(tenant=brand_a).exists()


def test_a_brand_admin_adds_a_domain_and_is_shown_the_records_to_create(gql, brand_a, admin_a):
    payload = gql(brand_a, admin_a).data(ADD, {"d": " HTTPS://Partners.Example.com/ "})["customDomainAdd"]

    assert payload["errors"] == []
    claim = CustomDomain.objects.get(tenant=brand_a)
    assert payload["customDomain"] == {
        "id": str(claim.pk),
        "domain": DOMAIN,
        "status": "PENDING",
        "isPrimary": False,
        "verificationRecord": {"type": "TXT", "name": f"_affiliate-verify.{DOMAIN}", "value": claim.token},
        "routingRecord": {"type": "CNAME", "name": DOMAIN, "value": domain_of(brand_a)},
    }
    assert payload["domains"]["platformDomain"] == domain_of(brand_a)
    assert payload["domains"]["primaryDomain"] == domain_of(brand_a)
    assert payload["domains"]["maxCustomDomains"] == 5
    assert claim.expires_at - timezone.now() > dt.timedelta(days=6, hours=23)
    assert not Domain.objects.filter(domain=DOMAIN).exists()  # not served before it is verified
    with tenant_context(brand_a):
        [event] = AuditEvent.objects.filter(action="custom_domain.added")
    assert (event.actor_id, event.data["domain"]) == (admin_a.pk, DOMAIN)


def test_the_same_domain_twice_and_a_sixth_domain_are_refused(gql, brand_a, admin_a):
    client = gql(brand_a, admin_a)
    for number in range(5):
        assert client.data(ADD, {"d": f"d{number}.example.com"})["customDomainAdd"]["errors"] == []

    again = client.data(ADD, {"d": "d0.example.com"})["customDomainAdd"]["errors"]
    sixth = client.data(ADD, {"d": "d5.example.com"})["customDomainAdd"]["errors"]

    assert [error["code"] for error in again] == ["ALREADY_ADDED"]
    assert [error["code"] for error in sixth] == ["LIMIT_REACHED"]
    assert CustomDomain.objects.filter(tenant=brand_a).count() == 5


def test_a_pending_claim_of_another_brand_is_not_revealed(gql, brand_a, brand_b, admin_b):
    """Brand B gets the same answer for a domain A claimed (pending) as for a free one."""
    _add(brand_a, DOMAIN)
    client = gql(brand_b, admin_b)

    claimed = client.data(ADD, {"d": DOMAIN})["customDomainAdd"]
    free = client.data(ADD, {"d": "free.example.com"})["customDomainAdd"]

    assert claimed["errors"] == free["errors"] == []
    assert claimed["customDomain"]["status"] == free["customDomain"]["status"] == "PENDING"
    tokens = set(CustomDomain.objects.filter(domain=DOMAIN).values_list("token", flat=True))
    assert len(tokens) == 2  # each brand proves control with its own token


def test_a_domain_served_by_another_brand_cannot_be_added(gql, dns, brand_a, brand_b, admin_b):
    _verified(dns, brand_a)

    payload = gql(brand_b, admin_b).data(ADD, {"d": DOMAIN})["customDomainAdd"]

    assert [(error["field"], error["code"]) for error in payload["errors"]] == [("domain", "UNAVAILABLE")]
    assert "Alpha" not in payload["errors"][0]["message"]
    assert not CustomDomain.objects.filter(tenant=brand_b).exists()


def test_only_brand_admins_manage_domains(gql, brand_a):
    affiliate = make_user(brand_a, role=Role.AFFILIATE)
    for client in (gql(brand_a), gql(brand_a, affiliate)):
        body = client.execute(ADD, {"d": DOMAIN})
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] in {"FORBIDDEN", "UNAUTHENTICATED"}
        assert client.execute(LIST)["data"] is None
    assert not CustomDomain.objects.exists()


# --- verification by DNS TXT -------------------------------------------------------------------


def test_verification_by_txt_record_serves_the_domain(
    gql, dns, brand_a, admin_a, django_capture_on_commit_callbacks
):
    client = gql(brand_a, admin_a)
    claim_id = client.data(ADD, {"d": DOMAIN})["customDomainAdd"]["customDomain"]["id"]
    claim = CustomDomain.objects.get(pk=claim_id)

    # Pending: not served, no certificate, like any unknown host.
    assert _brand_name_on(DOMAIN)[0] == 404
    assert Client().get("/", HTTP_HOST=DOMAIN).status_code == 404
    assert _tls_ask(DOMAIN) == 404

    missing = client.data(VERIFY, {"id": claim_id})["customDomainVerify"]
    assert missing["errors"] == []
    assert missing["customDomain"]["status"] == "PENDING"
    assert missing["customDomain"]["lastCheckCode"] == "NOT_VERIFIED_YET"
    assert f"_affiliate-verify.{DOMAIN}" in missing["customDomain"]["lastCheckMessage"]

    dns.set(txt_record_name(DOMAIN), "TXT", "afv-somebody-elses-token")
    mismatch = client.data(VERIFY, {"id": claim_id})["customDomainVerify"]["customDomain"]
    assert (mismatch["status"], mismatch["lastCheckCode"]) == ("PENDING", "DNS_RECORD_MISMATCH")

    _publish_txt(dns, claim, "afv-somebody-elses-token")
    with django_capture_on_commit_callbacks(execute=True):
        verified = client.data(VERIFY, {"id": claim_id})["customDomainVerify"]["customDomain"]

    assert verified == {
        "id": claim_id,
        "status": "VERIFIED",
        "verifiedMethod": "dns",
        "lastCheckCode": None,
        "lastCheckMessage": None,
    }
    row = Domain.objects.get(domain=DOMAIN)
    assert (row.tenant_id, row.is_primary) == (brand_a.pk, False)
    assert _brand_name_on(DOMAIN) == (200, "Alpha Brand")
    assert Client().get("/", HTTP_HOST=DOMAIN).status_code == 200  # the subdomain is still primary
    assert _tls_ask(DOMAIN) == 200
    assert _brand_name_on(domain_of(brand_a)) == (200, "Alpha Brand")
    assert (txt_record_name(DOMAIN), "TXT") in dns.queries
    with tenant_context(brand_a):
        assert AuditEvent.objects.filter(action="custom_domain.verified", actor_id=admin_a.pk).count() == 1


def test_verify_now_is_throttled_per_domain(gql, dns, settings, brand_a, admin_a):
    settings.CUSTOM_DOMAIN_CHECK_MIN_INTERVAL_SECONDS = 60
    client = gql(brand_a, admin_a)
    claim_id = client.data(ADD, {"d": DOMAIN})["customDomainAdd"]["customDomain"]["id"]

    assert client.data(VERIFY, {"id": claim_id})["customDomainVerify"]["errors"] == []
    again = client.data(VERIFY, {"id": claim_id})["customDomainVerify"]["errors"]

    assert [(error["field"], error["code"]) for error in again] == [("id", "CHECKED_RECENTLY")]


def test_two_brands_claim_one_host_and_the_first_verified_wins(dns, brand_a, brand_b):
    claim_a, claim_b = _add(brand_a), _add(brand_b)
    dns.set(txt_record_name(DOMAIN), "TXT", claim_a.token, claim_b.token)

    first = custom_domain_verify(actor=None, tenant=brand_a, custom_domain_id=claim_a.pk)
    second = custom_domain_verify(actor=None, tenant=brand_b, custom_domain_id=claim_b.pk)

    assert first.status == CustomDomainStatus.VERIFIED
    assert (second.status, second.last_check_code) == (CustomDomainStatus.PENDING, "UNAVAILABLE")
    assert list(Domain.objects.filter(domain=DOMAIN).values_list("tenant_id", flat=True)) == [brand_a.pk]


# --- cross-brand -------------------------------------------------------------------------------


def test_brand_b_can_neither_see_nor_touch_brand_a_domains(gql, dns, brand_a, brand_b, admin_b):
    claim = _verified(dns, brand_a)
    client = gql(brand_b, admin_b)

    listed = client.data(LIST)["brandDomains"]
    answers = [
        client.data(mutation, {"id": str(claim.pk)})[name]
        for mutation, name in (
            (VERIFY, "customDomainVerify"),
            (PRIMARY, "customDomainMakePrimary"),
            (REMOVE, "customDomainRemove"),
        )
    ]
    unknown = client.data(REMOVE, {"id": "999999999"})["customDomainRemove"]

    assert listed["customDomains"] == []
    for answer in [*answers, unknown]:
        assert [(error["field"], error["code"], error["message"]) for error in answer["errors"]] == [
            ("id", "NOT_FOUND", "No such domain.")
        ]
    claim.refresh_from_db()
    assert claim.status == CustomDomainStatus.VERIFIED
    assert Domain.objects.get(domain=DOMAIN).tenant_id == brand_a.pk
    assert domain_of(brand_b) == "beta.localhost"
    assert _brand_name_on(DOMAIN) == (200, "Alpha Brand")


def test_the_same_domain_pending_in_both_brands_never_crosses(gql, dns, brand_a, brand_b, admin_a, admin_b):
    claim_a, claim_b = _add(brand_a), _add(brand_b)
    _publish_txt(dns, claim_b)  # only B proves control

    by_a = gql(brand_a, admin_a).data(VERIFY, {"id": str(claim_a.pk)})["customDomainVerify"]["customDomain"]
    by_b = gql(brand_b, admin_b).data(VERIFY, {"id": str(claim_b.pk)})["customDomainVerify"]["customDomain"]
    removed = gql(brand_a, admin_a).data(REMOVE, {"id": str(claim_a.pk)})["customDomainRemove"]

    assert (by_a["status"], by_b["status"]) == ("PENDING", "VERIFIED")
    assert removed["errors"] == []
    assert Domain.objects.get(domain=DOMAIN).tenant_id == brand_b.pk  # A's removal left B's row
    assert _brand_name_on(DOMAIN) == (200, "Beta Brand")


# --- primary: canonical URLs, redirects, removal ----------------------------------------------


def test_a_primary_custom_domain_is_in_every_url_and_pages_redirect_to_it(
    gql, dns, settings, brand_a, admin_a, django_capture_on_commit_callbacks
):
    settings.PUBLIC_URL_SCHEME, settings.PUBLIC_URL_PORT = "https", ""
    claim = _verified(dns, brand_a)
    client = gql(brand_a, admin_a)
    subdomain = domain_of(brand_a)
    with tenant_context(brand_a):
        program = make_program()
        link = link_create(affiliate=make_affiliate(brand_a, program))

    payload = client.data(PRIMARY, {"id": str(claim.pk)})["customDomainMakePrimary"]

    assert payload["errors"] == []
    assert payload["customDomain"]["isPrimary"] is True
    assert payload["domains"]["primaryDomain"] == DOMAIN
    brand_a.refresh_from_db()
    assert brand_base_url(brand_a) == f"https://{DOMAIN}"
    assert link_public_url(link, tenant=brand_a) == f"https://{DOMAIN}/r/{link.code}"
    # A link as the API hands it out, and an email.
    owner = link.affiliate.user
    links = gql(brand_a, owner).data("{ myLinks { edges { node { url qrCodeSvgUrl } } } }")["myLinks"]
    assert links["edges"][0]["node"] == {
        "url": f"https://{DOMAIN}/r/{link.code}",
        "qrCodeSvgUrl": f"https://{DOMAIN}/links/{link.code}/qr.svg",
    }
    with tenant_context(brand_a):
        magic = MagicLink.objects.create(user=owner, expires_at=timezone.now() + dt.timedelta(minutes=15))
        send_magic_link_task.run(magic.pk)
    assert f"https://{DOMAIN}/login/magic?token=" in mail.outbox[-1].body
    with tenant_context(brand_a):  # where Stripe Checkout and the customer portal send the payer back
        assert stripe_return_url(settings.STRIPE_CHECKOUT_SUCCESS_PATH) == f"https://{DOMAIN}/billing/success"
    sitemap = Client().get("/sitemap.xml", HTTP_HOST=DOMAIN)
    assert sitemap.status_code == 200
    assert f"https://{DOMAIN}/" in sitemap.content.decode()

    # Pages on the subdomain redirect; the API, the QR codes and the pages on the custom domain answer.
    page = Client().get("/deals?page=2", HTTP_HOST=subdomain)
    assert page.status_code == 301
    assert page["Location"] == f"https://{DOMAIN}/deals?page=2"
    assert Client().get("/robots.txt", HTTP_HOST=subdomain).status_code == 301
    assert Client().get("/deals", HTTP_HOST=DOMAIN).status_code == 200
    assert _brand_name_on(subdomain) == (200, "Alpha Brand")
    assert _brand_name_on(DOMAIN) == (200, "Alpha Brand")
    with tenant_context(brand_a):
        assert AuditEvent.objects.filter(action="custom_domain.made_primary", actor_id=admin_a.pk).exists()

    # Back to the subdomain: no redirect any more.
    assert client.data(RESET)["brandPrimaryDomainReset"] == {
        "domains": {"primaryDomain": subdomain},
        "errors": [],
    }
    assert Client().get("/deals", HTTP_HOST=subdomain).status_code == 200
    assert Client().get("/deals", HTTP_HOST=DOMAIN).status_code == 200


def test_a_pending_domain_cannot_be_made_primary(gql, brand_a, admin_a):
    claim = _add(brand_a)

    errors = gql(brand_a, admin_a).data(PRIMARY, {"id": str(claim.pk)})["customDomainMakePrimary"]["errors"]

    assert [(error["field"], error["code"]) for error in errors] == [("id", "NOT_VERIFIED")]
    assert domain_of(brand_a) == "alpha.localhost"


def test_removing_the_primary_domain_falls_back_to_the_subdomain(
    gql, dns, brand_a, admin_a, django_capture_on_commit_callbacks
):
    claim = _verified(dns, brand_a)
    custom_domain_make_primary(actor=None, tenant=brand_a, custom_domain_id=claim.pk)
    assert brand_base_url(brand_a).endswith(f"://{DOMAIN}")

    with django_capture_on_commit_callbacks(execute=True):
        payload = gql(brand_a, admin_a).data(REMOVE, {"id": str(claim.pk)})["customDomainRemove"]

    assert payload["errors"] == []
    assert payload["domains"] == {"primaryDomain": "alpha.localhost", "customDomains": []}
    assert not Domain.objects.filter(domain=DOMAIN).exists()
    assert Domain.objects.get(tenant=brand_a).is_primary
    assert "://alpha.localhost" in brand_base_url(Tenant.objects.get(pk=brand_a.pk))
    assert _brand_name_on(DOMAIN)[0] == 404
    assert _tls_ask(DOMAIN) == 404
    assert Client().get("/deals", HTTP_HOST="alpha.localhost").status_code == 200
    with tenant_context(brand_a):
        actions = list(
            AuditEvent.objects.filter(action__startswith="custom_domain.").values_list("action", flat=True)
        )
    assert sorted(actions) == sorted(
        [
            "custom_domain.added",
            "custom_domain.verified",
            "custom_domain.made_primary",
            "custom_domain.removed",
        ]
    )


# --- the beat: re-check and expiry -------------------------------------------------------------


def test_the_beat_checks_due_claims_and_expires_old_ones(dns, settings, brand_a, brand_b):
    waiting, late, recent = (
        _add(brand_a, DOMAIN),
        _add(brand_a, "late.example.com"),
        _add(brand_b, "recent.example.com"),
    )
    now = timezone.now()
    CustomDomain.objects.filter(pk=late.pk).update(expires_at=now - dt.timedelta(seconds=1))
    CustomDomain.objects.filter(pk=recent.pk).update(last_checked_at=now - dt.timedelta(minutes=1))

    assert custom_domains_expire() == 1
    assert custom_domains_due() == [waiting.pk]

    _publish_txt(dns, waiting)
    checked = custom_domain_check(custom_domain_id=waiting.pk)
    assert checked is not None
    assert checked.status == CustomDomainStatus.VERIFIED
    late.refresh_from_db()
    assert (late.status, late.last_check_code) == (CustomDomainStatus.FAILED, "EXPIRED")
    assert custom_domain_check(custom_domain_id=late.pk) is None  # the beat leaves failed claims alone
    with tenant_context(brand_a):
        assert AuditEvent.objects.filter(action="custom_domain.expired", actor_id=None).count() == 1
        assert AuditEvent.objects.filter(action="custom_domain.verified", actor_id=None).count() == 1

    # "Verify now" on a failed claim restarts its period when the check fails again.
    retried = custom_domain_verify(actor=None, tenant=brand_a, custom_domain_id=late.pk)
    assert retried.status == CustomDomainStatus.PENDING
    assert retried.expires_at > timezone.now() + dt.timedelta(days=6)


def test_removing_a_claim_of_another_brand_by_service_is_not_found(brand_a, brand_b):
    claim = _add(brand_a)

    with pytest.raises(ValidationError) as raised:
        custom_domain_remove(actor=None, tenant=brand_b, custom_domain_id=claim.pk)

    assert raised.value.error_dict["id"][0].code == "NOT_FOUND"
    assert CustomDomain.objects.filter(pk=claim.pk).exists()


def test_the_well_known_path_answers_a_pending_claims_token_only(brand_a):
    claim = _add(brand_a)
    path = f"/.well-known/affiliate-verify/{claim.token}"

    answered = Client().get(path, HTTP_HOST=f"{DOMAIN.upper()}:80")

    assert (answered.status_code, answered.content.decode()) == (200, claim.token)
    assert answered["Cache-Control"] == "no-store"
    assert Client().post(path, HTTP_HOST=DOMAIN).status_code == 404
    assert Client().get(path, HTTP_HOST="other.example.com").status_code == 404
    assert Client().get(path, HTTP_HOST=domain_of(brand_a)).status_code == 404
    assert Client().get("/.well-known/affiliate-verify/é", HTTP_HOST=DOMAIN).status_code == 404
    assert Client().get("/.well-known/affiliate-verify/", HTTP_HOST=DOMAIN).status_code == 404


def test_making_a_domain_primary_needs_a_fresh_two_factor_code(gql, dns, brand_a):
    """Login links and invitations are emailed on the primary host: a stolen session alone must
    not be able to switch it."""
    admin = make_user(brand_a, role=Role.BRAND_ADMIN)
    secret, _ = enrol(gql(brand_a, admin), brand_a, admin)
    claim = _verified(dns, brand_a)
    client = gql(brand_a, admin)  # signed in, no code in this session

    refused = client.data(PRIMARY, {"id": str(claim.pk)})["customDomainMakePrimary"]
    assert [(error["field"], error["code"]) for error in refused["errors"]] == [
        ("code", "FRESH_TWO_FACTOR_REQUIRED")
    ]
    assert refused["domains"]["primaryDomain"] == "alpha.localhost"

    verified = client.data(TWO_FACTOR_VERIFY, {"c": next_code(brand_a, admin, secret)})["twoFactorVerify"]
    accepted = client.data(PRIMARY, {"id": str(claim.pk)})["customDomainMakePrimary"]

    assert verified["ok"] is True
    assert accepted["errors"] == []
    assert accepted["domains"]["primaryDomain"] == DOMAIN


def test_an_unreachable_name_server_is_a_dns_error_not_a_crash(dns, settings, brand_a):
    settings.CUSTOM_DOMAIN_DNS_PORT = _closed_udp_port()
    settings.CUSTOM_DOMAIN_CHECK_TIMEOUT_SECONDS = 0.5
    claim = _add(brand_a)

    checked = custom_domain_verify(actor=None, tenant=brand_a, custom_domain_id=claim.pk)

    assert (checked.status, checked.last_check_code) == (CustomDomainStatus.PENDING, "DNS_ERROR")
    assert not Domain.objects.filter(domain=DOMAIN).exists()


def _closed_udp_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
