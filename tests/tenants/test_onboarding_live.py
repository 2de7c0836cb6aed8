"""Black box, on the live server with a real Celery worker: an operator creates the brand gamma
with its first admin; the invitation lands in the development mail inbox; the owner accepts it
over HTTP on gamma's host, is signed in as brand admin, must enrol TOTP first (codes computed
with pyotp from the otpauth URI), signs out and in with password + code (a reused code is
refused, a backup code works once), creates a program; an affiliate signs up on gamma and signs
in with the emailed link."""

from __future__ import annotations

import html
import re
import time

import pyotp
import pytest
from django.db import connection
from django_tenants.utils import get_public_schema_name, tenant_context

from accounts.models import Role
from affiliation.models import Affiliate
from tenants.models import Tenant
from tests.conftest import PASSWORD, LiveBrandClient, make_user

pytestmark = pytest.mark.live

LINK = re.compile(r'<a href="([^"]+)" target="_blank">')


def _wait_for_mail(client: LiveBrandClient, to: str, timeout: float = 30) -> list[str]:
    """The links of the newest message to ``to`` in the dev inbox, read over HTTP."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        listing = client.http.get("/_dev/mail/").text
        rows = re.findall(r"<tr><td>[^<]*</td><td>([^<]*)</td><td><a href=\"([^\"]+)/\">", listing)
        for recipient, name in rows:
            if recipient == to:
                page = client.http.get(f"/_dev/mail/{name}/").text
                return [html.unescape(link) for link in LINK.findall(page)]
        time.sleep(0.2)
    raise AssertionError(f"no mail to {to} in the dev inbox")


def _token(links: list[str], path: str) -> str:
    for link in links:
        match = re.search(re.escape(path) + r"\?token=([\w-]+)", link)
        if match:
            return match.group(1)
    raise AssertionError(f"no {path} link in {links}")


def test_an_operator_onboards_gamma_and_its_owner_runs_it(
    live_server_port,
    celery_worker_thread,
    live_client,
    settings,
    tmp_path,
    django_db_setup,
    django_db_blocker,
):
    settings.DEV_MAIL_DIR = tmp_path / "mail"
    settings.EMAIL_BACKEND = "devstack.devmail.DevMailBackend"
    settings.PUBLIC_URL_SCHEME, settings.PUBLIC_URL_PORT = "http", str(live_server_port)
    with django_db_blocker.unblock():
        public = Tenant.objects.get(schema_name=get_public_schema_name())
        operator = make_user(public, role=Role.OPERATOR)
        console = live_client(public)
        try:
            console.login(operator.email)
            created = console.post(
                "mutation($input: BrandCreateInput!) { brandCreate(input: $input) "
                "{ brand { domain } errors { field code } } }",
                {
                    "input": {
                        "name": "Gamma",
                        "subdomain": "gamma",
                        "currency": "EUR",
                        "adminEmail": "owner@gamma.test",
                        "adminName": "Gamma Owner",
                    }
                },
                headers={"X-CSRFToken": console.csrf_token()},
            ).json()["data"]["brandCreate"]
            assert created == {"brand": {"domain": "gamma.localhost"}, "errors": []}
            gamma = Tenant.objects.get(subdomain="gamma")

            links = _wait_for_mail(console, "owner@gamma.test")
            invitation_token = _token(links, f"http://gamma.localhost:{live_server_port}/invitation/accept")

            owner = live_client(gamma)
            accepted = owner.post(
                "mutation($t: String!, $p: String!) { invitationAccept(input: {token: $t, password: $p}) "
                "{ user { email role fullName } errors { code } } }",
                {"t": invitation_token, "p": PASSWORD},
                headers={"X-CSRFToken": owner.csrf_token()},
            ).json()["data"]["invitationAccept"]
            me = owner.post("{ me { email role } }").json()["data"]["me"]
            csrf = {"X-CSRFToken": owner.csrf_token()}
            create_program = (
                'mutation { programCreate(input: {name: "Gamma ambassadors", '
                'landingUrl: "https://gamma.example.com/"}) { program { id currency } errors { code } } }'
            )
            # Two-factor is mandatory for brand admins of a new brand: nothing else before enrolment.
            refused = owner.post(create_program, headers=csrf).json()
            assert refused["errors"][0]["extensions"]["code"] == "TWO_FACTOR_ENROLMENT_REQUIRED"
            setup = owner.post(
                "mutation { twoFactorSetupBegin { otpauthUri errors { code } } }", headers=csrf
            ).json()["data"]["twoFactorSetupBegin"]
            totp = pyotp.parse_uri(setup["otpauthUri"])  # the key an authenticator app reads
            confirmed = owner.post(
                "mutation($c: String!) { twoFactorSetupConfirm(code: $c) { backupCodes errors { code } } }",
                {"c": totp.now()},
                headers=csrf,
            ).json()["data"]["twoFactorSetupConfirm"]
            assert confirmed["errors"] == []
            assert len(confirmed["backupCodes"]) == 10
            backup_code = confirmed["backupCodes"][0]

            def sign_in_with(code: str) -> dict:  # type: ignore[type-arg]
                owner.post("mutation { logout { ok } }", headers={"X-CSRFToken": owner.csrf_token()})
                first = owner.post(
                    "mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) "
                    "{ user { email } twoFactorRequired errors { code } } }",
                    {"e": "owner@gamma.test", "p": PASSWORD},
                    headers={"X-CSRFToken": owner.csrf_token()},
                ).json()["data"]["login"]
                assert first == {"user": None, "twoFactorRequired": True, "errors": []}
                return owner.post(
                    "mutation($c: String!) { loginVerifyTwoFactor(code: $c) { user { email } errors { code } } }",
                    {"c": code},
                    headers={"X-CSRFToken": owner.csrf_token()},
                ).json()["data"]["loginVerifyTwoFactor"]

            time.sleep(max(0.0, 30 - time.time() % 30) + 0.5)  # the confirmation used this step's code
            code = totp.now()
            with_code = sign_in_with(code)
            reused = sign_in_with(code)
            with_backup = sign_in_with(backup_code)
            backup_again = sign_in_with(backup_code)
            final = sign_in_with(confirmed["backupCodes"][1])
            assert with_code == {"user": {"email": "owner@gamma.test"}, "errors": []}
            assert reused["user"] is None
            assert reused["errors"][0]["code"] == "INVALID_TWO_FACTOR_CODE"
            assert with_backup == {"user": {"email": "owner@gamma.test"}, "errors": []}
            assert backup_again["user"] is None
            assert backup_again["errors"][0]["code"] == "INVALID_TWO_FACTOR_CODE"
            assert final == {"user": {"email": "owner@gamma.test"}, "errors": []}
            program = owner.post(
                'mutation { programCreate(input: {name: "Gamma ambassadors", '
                'landingUrl: "https://gamma.example.com/"}) { program { id currency } errors { code } } }',
                headers={"X-CSRFToken": owner.csrf_token()},
            ).json()["data"]["programCreate"]
            checklist = owner.post("{ brandSetupChecklist { items { step done } } }").json()["data"]

            assert accepted == {
                "user": {"email": "owner@gamma.test", "role": "BRAND_ADMIN", "fullName": "Gamma Owner"},
                "errors": [],
            }
            assert me == {"email": "owner@gamma.test", "role": "BRAND_ADMIN"}
            assert program["errors"] == []
            assert program["program"]["currency"] == "EUR"
            assert {"step": "PROGRAM", "done": True} in checklist["brandSetupChecklist"]["items"]

            affiliate = live_client(gamma)
            signup = affiliate.post(
                'mutation($p: String!, $id: ID) { signup(input: {email: "fan@gamma.test", password: $p, '
                "role: AFFILIATE, programId: $id}) { ok errors { code } } }",
                {"p": PASSWORD, "id": program["program"]["id"]},
                headers={"X-CSRFToken": affiliate.csrf_token()},
            ).json()["data"]["signup"]
            login_token = _token(
                _wait_for_mail(affiliate, "fan@gamma.test"),
                f"http://gamma.localhost:{live_server_port}/login/magic",
            )
            signed_in = affiliate.post(
                "mutation($t: String!) { magicLinkLogin(token: $t) { user { email role } errors { code } } }",
                {"t": login_token},
                headers={"X-CSRFToken": affiliate.csrf_token()},
            ).json()["data"]["magicLinkLogin"]

            assert signup == {"ok": True, "errors": []}
            assert signed_in == {"user": {"email": "fan@gamma.test", "role": "AFFILIATE"}, "errors": []}
            with tenant_context(gamma):
                assert Affiliate.objects.filter(
                    user__email="fan@gamma.test", program_id=int(program["program"]["id"])
                ).exists()
        finally:
            connection.set_schema_to_public()
            with connection.cursor() as cursor:
                cursor.execute('DROP SCHEMA IF EXISTS "brand_gamma" CASCADE')
            Tenant.objects.filter(subdomain="gamma").delete()
