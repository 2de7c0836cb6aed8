"""Two-factor authentication (issue 11): enrolment, the login's second step after a password or
a login link, single use of codes, backup codes, throttling, mandatory roles, fresh checks
before withdrawals, payout details and API tokens, recovery by a brand admin, tenant isolation.

Real database and Redis; codes are computed with pyotp from the secret of the otpauth URI."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyotp
import pytest
from django.test import override_settings
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import MagicLink, Role, TwoFactor, TwoFactorBackupCode, User
from accounts.services import api_token_create, magic_link_send
from accounts.two_factor import secret_decrypt
from affiliation.services import commissions_release_due, conversion_record
from core.models import AuditEvent
from tests.accounts.two_factor_helpers import (
    LOGIN,
    ME,
    SETUP_BEGIN,
    SETUP_CONFIRM,
    VERIFY,
    VERIFY_LOGIN,
    enrol,
    next_code,
    secret_of,
)
from tests.conftest import PASSWORD, make_user
from tests.engine import make_affiliate, make_click, make_program

STATUS = "{ twoFactorStatus { enabled required enrolmentRequired backupCodesRemaining fresh } }"
API_TOKEN_CREATE = (
    'mutation { apiTokenCreate(input: {name: "ci", scopes: [READ]}) { token errors { field code } } }'
)
WITHDRAW = """
mutation($p: ID!) {
  withdrawalRequest(input: {programId: $p, amount: "20.00", method: PAYPAL, details: {email: "me@example.com"}}) {
    withdrawal { status } errors { field code }
  }
}
"""
MERCHANT_APPLICATIONS = "{ merchantApplications { id } }"
RESET = "mutation($u: ID!) { twoFactorReset(userId: $u) { user { id } errors { field code } } }"


def _mandatory(brand, roles=("brand_admin", "operator")) -> None:
    """The real default (the shared test brands make two-factor optional; see conftest)."""
    brand.two_factor_required_roles = list(roles)
    brand.save(update_fields=["two_factor_required_roles"])


def _enrolled(gql, brand, role=Role.AFFILIATE):
    user = make_user(brand, role=role)
    secret, backup_codes = enrol(gql(brand, user), brand, user)
    return user, secret, backup_codes


def _password_step(client, user) -> dict:
    return client.data(LOGIN, {"e": user.email, "p": PASSWORD})["login"]


def test_enrol_with_the_qr_code_then_confirm_a_code(gql, brand_a):
    user = make_user(brand_a)
    client = gql(brand_a, user)

    begin = client.data(SETUP_BEGIN)["twoFactorSetupBegin"]
    secret = secret_of(begin["otpauthUri"])
    wrong = client.data(SETUP_CONFIRM, {"c": "000000"})["twoFactorSetupConfirm"]
    status_before = client.data(STATUS)["twoFactorStatus"]
    confirm = client.data(SETUP_CONFIRM, {"c": next_code(brand_a, user, secret)})["twoFactorSetupConfirm"]

    assert begin["otpauthUri"].startswith("otpauth://totp/Alpha%20Brand:")
    assert "issuer=Alpha%20Brand" in begin["otpauthUri"]
    assert begin["qrCodeSvg"].startswith("<svg")
    assert wrong == {"backupCodes": None, "errors": [{"field": "code", "code": "INVALID_TWO_FACTOR_CODE"}]}
    assert status_before["enabled"] is False
    assert confirm["errors"] == []
    assert len(confirm["backupCodes"]) == 10 == len(set(confirm["backupCodes"]))
    assert client.data(STATUS)["twoFactorStatus"] == {
        "enabled": True,
        "required": False,
        "enrolmentRequired": False,
        "backupCodesRemaining": 10,
        "fresh": True,
    }
    with tenant_context(brand_a):
        row = TwoFactor.objects.get(user=user)
        stored_codes = list(TwoFactorBackupCode.objects.filter(user=user).values_list("code_hash", flat=True))
        assert AuditEvent.objects.filter(action="two_factor.enabled", target_id=str(user.pk)).exists()
    assert secret not in row.secret_encrypted  # encrypted at rest
    assert secret_decrypt(row.secret_encrypted) == secret
    assert not set(confirm["backupCodes"]) & set(stored_codes)  # hashed
    # Setting up again is refused while it is on.
    again = client.data(SETUP_BEGIN)["twoFactorSetupBegin"]
    assert again["errors"] == [{"field": "code", "code": "TWO_FACTOR_ALREADY_ENABLED"}]


def test_a_password_login_asks_for_the_code_before_signing_in(gql, brand_a):
    user, secret, _ = _enrolled(gql, brand_a)
    client = gql(brand_a)

    first = _password_step(client, user)
    me_between = client.data(ME)["me"]
    tokens_between = client.execute("{ apiTokens { id } }")
    wrong = client.data(VERIFY_LOGIN, {"c": "123456"})["loginVerifyTwoFactor"]
    second = client.data(VERIFY_LOGIN, {"c": next_code(brand_a, user, secret)})["loginVerifyTwoFactor"]

    assert first == {"user": None, "twoFactorRequired": True, "errors": []}
    assert me_between is None
    assert tokens_between["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert wrong == {"user": None, "errors": [{"field": "code", "code": "INVALID_TWO_FACTOR_CODE"}]}
    assert second == {"user": {"email": user.email}, "errors": []}
    assert client.data(ME)["me"] == {"email": user.email}


def test_a_user_without_two_factor_signs_in_with_the_password_alone(gql, brand_a):
    user = make_user(brand_a)
    client = gql(brand_a)

    assert _password_step(client, user) == {
        "user": {"email": user.email},
        "twoFactorRequired": False,
        "errors": [],
    }


def test_a_code_is_accepted_once(gql, brand_a):
    user, secret, _ = _enrolled(gql, brand_a)
    code = next_code(brand_a, user, secret)
    first, second = gql(brand_a), gql(brand_a)
    _password_step(first, user)
    _password_step(second, user)

    accepted = first.data(VERIFY_LOGIN, {"c": code})["loginVerifyTwoFactor"]
    replayed = second.data(VERIFY_LOGIN, {"c": code})["loginVerifyTwoFactor"]

    assert accepted["errors"] == []
    assert replayed == {"user": None, "errors": [{"field": "code", "code": "INVALID_TWO_FACTOR_CODE"}]}
    assert second.data(ME)["me"] is None


def test_a_backup_code_works_exactly_once(gql, brand_a):
    user, _, backup_codes = _enrolled(gql, brand_a)
    first, second = gql(brand_a), gql(brand_a)
    _password_step(first, user)
    _password_step(second, user)

    accepted = first.data(VERIFY_LOGIN, {"c": backup_codes[0].upper()})["loginVerifyTwoFactor"]
    reused = second.data(VERIFY_LOGIN, {"c": backup_codes[0]})["loginVerifyTwoFactor"]

    assert accepted["errors"] == []
    assert reused["errors"] == [{"field": "code", "code": "INVALID_TWO_FACTOR_CODE"}]
    assert first.data(STATUS)["twoFactorStatus"]["backupCodesRemaining"] == 9


@override_settings(LOGIN_RATE_LIMIT_PER_ACCOUNT=3, LOGIN_RATE_LIMIT_PER_IP=100)
def test_guessing_codes_is_throttled_with_429(gql, brand_a):
    user, secret, _ = _enrolled(gql, brand_a)
    client = gql(brand_a)
    _password_step(client, user)
    ip = "203.0.113.77"

    wrong = [client.post(VERIFY_LOGIN, {"c": f"00000{n}"}, REMOTE_ADDR=ip) for n in range(3)]
    throttled = client.post(VERIFY_LOGIN, {"c": next_code(brand_a, user, secret)}, REMOTE_ADDR=ip)

    assert [response.status_code for response in wrong] == [200, 200, 200]
    assert throttled.status_code == 429
    assert 0 < int(throttled["Retry-After"]) <= 900
    assert throttled.json()["data"]["loginVerifyTwoFactor"]["errors"] == [
        {"field": "code", "code": "RATE_LIMITED"}
    ]
    assert client.data(ME)["me"] is None


def test_a_login_link_also_asks_for_the_code(gql, brand_a):
    user, secret, _ = _enrolled(gql, brand_a)
    delivered: list[str] = []
    with tenant_context(brand_a):
        link = MagicLink.objects.create(user=user, expires_at=timezone.now() + dt.timedelta(minutes=15))
        magic_link_send(link_id=link.pk, deliver=lambda _link, token: delivered.append(token))
    client = gql(brand_a)

    first = client.data(
        "mutation($t: String!) { magicLinkLogin(token: $t) { user { email } twoFactorRequired errors { code } } }",
        {"t": delivered[0]},
    )["magicLinkLogin"]
    me_between = client.data(ME)["me"]
    second = client.data(VERIFY_LOGIN, {"c": next_code(brand_a, user, secret)})["loginVerifyTwoFactor"]

    assert first == {"user": None, "twoFactorRequired": True, "errors": []}
    assert me_between is None
    assert second == {"user": {"email": user.email}, "errors": []}


def test_the_second_step_without_a_first_one_signs_nobody_in(gql, brand_a):
    payload = gql(brand_a).data(VERIFY_LOGIN, {"c": "123456"})["loginVerifyTwoFactor"]

    assert payload == {"user": None, "errors": [{"field": "code", "code": "TWO_FACTOR_LOGIN_EXPIRED"}]}


def test_a_brand_admin_without_two_factor_may_only_enrol_when_it_is_mandatory(gql, brand_a):
    _mandatory(brand_a)
    admin = make_user(brand_a, role=Role.BRAND_ADMIN)
    affiliate = make_user(brand_a)
    client = gql(brand_a, admin)

    refused = client.execute(MERCHANT_APPLICATIONS)
    refused_mutation = client.execute(API_TOKEN_CREATE)
    me = client.data(ME)["me"]
    status = client.data(STATUS)["twoFactorStatus"]
    affiliate_tokens = gql(brand_a, affiliate).data("{ apiTokens { id } }")

    assert refused["data"] is None
    assert [error["extensions"]["code"] for error in refused["errors"]] == ["TWO_FACTOR_ENROLMENT_REQUIRED"]
    assert refused_mutation["errors"][0]["extensions"]["code"] == "TWO_FACTOR_ENROLMENT_REQUIRED"
    assert me == {"email": admin.email}
    assert (status["required"], status["enrolmentRequired"]) == (True, True)
    assert affiliate_tokens == {"apiTokens": []}  # optional for affiliates

    secret, _ = enrol(client, brand_a, admin)

    assert client.data(MERCHANT_APPLICATIONS) == {"merchantApplications": []}
    disable = client.data(
        "mutation($c: String!) { twoFactorDisable(code: $c) { ok errors { code } } }",
        {"c": next_code(brand_a, admin, secret)},
    )["twoFactorDisable"]
    assert disable == {"ok": False, "errors": [{"code": "TWO_FACTOR_MANDATORY"}]}


def test_an_operator_must_enrol_too(gql, public_tenant):
    _mandatory(public_tenant)
    operator = make_user(public_tenant, role=Role.OPERATOR)
    client = gql(public_tenant, operator)

    refused = client.execute("{ brands { edges { node { id } } } }")
    enrol(client, public_tenant, operator)

    assert refused["errors"][0]["extensions"]["code"] == "TWO_FACTOR_ENROLMENT_REQUIRED"
    assert "errors" not in client.execute("{ brands { edges { node { id } } } }")


def test_a_user_may_turn_optional_two_factor_off_with_a_code(gql, brand_a):
    user, secret, _ = _enrolled(gql, brand_a)
    client = gql(brand_a, user)
    disable = "mutation($c: String!) { twoFactorDisable(code: $c) { ok errors { code } } }"

    wrong = client.data(disable, {"c": "111111"})["twoFactorDisable"]
    right = client.data(disable, {"c": next_code(brand_a, user, secret)})["twoFactorDisable"]

    assert wrong == {"ok": False, "errors": [{"code": "INVALID_TWO_FACTOR_CODE"}]}
    assert right == {"ok": True, "errors": []}
    assert _password_step(gql(brand_a), user)["twoFactorRequired"] is False


def test_backup_codes_are_regenerated_after_a_code(gql, brand_a):
    user, secret, old_codes = _enrolled(gql, brand_a)
    client = gql(brand_a, user)

    payload = client.data(
        "mutation($c: String!) { twoFactorBackupCodesRegenerate(code: $c) { backupCodes errors { code } } }",
        {"c": next_code(brand_a, user, secret)},
    )["twoFactorBackupCodesRegenerate"]
    login = gql(brand_a)
    _password_step(login, user)
    old = login.data(VERIFY_LOGIN, {"c": old_codes[0]})["loginVerifyTwoFactor"]
    new = login.data(VERIFY_LOGIN, {"c": payload["backupCodes"][0]})["loginVerifyTwoFactor"]

    assert len(payload["backupCodes"]) == 10
    assert not set(payload["backupCodes"]) & set(old_codes)
    assert old["errors"] == [{"field": "code", "code": "INVALID_TWO_FACTOR_CODE"}]
    assert new["errors"] == []


# --- fresh checks before sensitive actions ------------------------------------------------


@pytest.fixture
def funded_enrolled(gql, brand_a):
    """An affiliate with two-factor on and 100.00 EUR available, in a session signed in
    long ago (no fresh code)."""
    with tenant_context(brand_a):
        affiliate = make_affiliate(brand_a, make_program(cascade_rates=[]))
        click = make_click(affiliate)
        conversion_record(
            source="postback", order_id="tf-1", amount="500.00", currency="EUR", click_id=str(click.id)
        )
        commissions_release_due(now=timezone.now() + dt.timedelta(days=31))
    user = affiliate.user
    secret, _ = enrol(gql(brand_a, user), brand_a, user)
    return affiliate, secret


def test_a_withdrawal_needs_a_fresh_code(gql, brand_a, funded_enrolled):
    affiliate, secret = funded_enrolled
    client = gql(brand_a, affiliate.user)  # signed in, no code in this session
    program = {"p": str(affiliate.program_id)}

    refused = client.data(WITHDRAW, program)["withdrawalRequest"]
    verified = client.data(VERIFY, {"c": next_code(brand_a, affiliate.user, secret)})["twoFactorVerify"]
    accepted = client.data(WITHDRAW, program)["withdrawalRequest"]

    assert refused == {"withdrawal": None, "errors": [{"field": "code", "code": "FRESH_TWO_FACTOR_REQUIRED"}]}
    assert verified == {"ok": True, "errors": []}
    assert accepted == {"withdrawal": {"status": "REQUESTED"}, "errors": []}
    with tenant_context(brand_a):
        assert affiliate.withdrawals.count() == 1


def test_a_fresh_code_expires_after_ten_minutes(gql, brand_a, funded_enrolled):
    affiliate, secret = funded_enrolled
    client = gql(brand_a, affiliate.user)
    client.data(VERIFY, {"c": next_code(brand_a, affiliate.user, secret)})
    session = client.client.session
    session["two_factor_verified_at"] -= 601
    session.save()

    refused = client.data(WITHDRAW, {"p": str(affiliate.program_id)})["withdrawalRequest"]

    assert refused["errors"] == [{"field": "code", "code": "FRESH_TWO_FACTOR_REQUIRED"}]


def test_creating_an_api_token_needs_a_fresh_code(gql, brand_a):
    user, secret, _ = _enrolled(gql, brand_a)
    client = gql(brand_a, user)

    refused = client.data(API_TOKEN_CREATE)["apiTokenCreate"]
    client.data(VERIFY, {"c": next_code(brand_a, user, secret)})
    created = client.data(API_TOKEN_CREATE)["apiTokenCreate"]

    assert refused == {"token": None, "errors": [{"field": "code", "code": "FRESH_TWO_FACTOR_REQUIRED"}]}
    assert created["errors"] == []
    assert created["token"].startswith("afp_")
    # The token itself is a machine credential: no code asked.
    machine = gql(brand_a).execute("{ me { email } }", HTTP_AUTHORIZATION=f"Bearer {created['token']}")
    assert machine["data"]["me"]["email"] == user.email


def test_changing_the_bank_details_needs_a_fresh_code(gql, brand_a):
    admin, secret, _ = _enrolled(gql, brand_a, role=Role.BRAND_ADMIN)
    client = gql(brand_a, admin)
    update = (
        'mutation { billingSettingsUpdate(input: {bankIban: "FR1420041010050500013M02606"}) '
        "{ billingSettings { bankIban } errors { field code } } }"
    )

    refused = client.data(update)["billingSettingsUpdate"]
    client.data(VERIFY, {"c": next_code(brand_a, admin, secret)})
    accepted = client.data(update)["billingSettingsUpdate"]

    assert refused["errors"] == [{"field": "code", "code": "FRESH_TWO_FACTOR_REQUIRED"}]
    assert accepted["errors"] == []


def test_users_without_two_factor_are_not_asked_for_a_code(gql, brand_a):
    user = make_user(brand_a)

    created = gql(brand_a, user).data(API_TOKEN_CREATE)["apiTokenCreate"]

    assert created["errors"] == []


# --- recovery ---------------------------------------------------------------------------------


def test_a_brand_admin_resets_a_users_two_factor_with_an_audit_entry(gql, brand_a):
    user, _, _ = _enrolled(gql, brand_a)
    admin, admin_secret, _ = _enrolled(gql, brand_a, role=Role.BRAND_ADMIN)
    admin_client = gql(brand_a, admin)
    admin_client.data(VERIFY, {"c": next_code(brand_a, admin, admin_secret)})

    by_affiliate = gql(brand_a, make_user(brand_a)).execute(RESET, {"u": str(user.pk)})
    own = admin_client.data(RESET, {"u": str(admin.pk)})["twoFactorReset"]
    reset = admin_client.data(RESET, {"u": str(user.pk)})["twoFactorReset"]

    assert by_affiliate["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert own["errors"] == [{"field": "userId", "code": "CANNOT_RESET_OWN_TWO_FACTOR"}]
    assert reset == {"user": {"id": str(user.pk)}, "errors": []}
    with tenant_context(brand_a):
        assert not TwoFactor.objects.filter(user=user).exists()
        assert not TwoFactorBackupCode.objects.filter(user=user).exists()
        event = AuditEvent.objects.get(action="two_factor.reset", target_id=str(user.pk))
    assert (event.actor_id, event.data) == (admin.pk, {"had_two_factor": True})
    assert _password_step(gql(brand_a), user)["twoFactorRequired"] is False


# --- tenant isolation -----------------------------------------------------------------------


def test_two_factor_of_brand_a_means_nothing_in_brand_b_for_the_same_user_id(gql, brand_a, brand_b):
    same_id = 7_700_000 + (Decimal(timezone.now().timestamp()) % 100_000).to_integral_value()
    users = {}
    for brand in (brand_a, brand_b):
        with tenant_context(brand):
            users[brand.pk] = User.objects.create_user(
                id=int(same_id), email=f"same{same_id}@example.com", password=PASSWORD, role=Role.BRAND_ADMIN
            )
    user_a, user_b = users[brand_a.pk], users[brand_b.pk]
    secret, _ = enrol(gql(brand_a, user_a), brand_a, user_a)
    code = pyotp.TOTP(secret).now()

    b_login = _password_step(gql(brand_b), user_b)
    b_status = gql(brand_b, user_b).data(STATUS)["twoFactorStatus"]
    b_session = gql(brand_b)
    b_verify = b_session.data(VERIFY_LOGIN, {"c": code})["loginVerifyTwoFactor"]
    a_pending = gql(brand_a)
    _password_step(a_pending, user_a)

    assert b_login["twoFactorRequired"] is False
    assert (b_status["enabled"], b_status["backupCodesRemaining"]) == (False, 0)
    assert b_verify["errors"] == [{"field": "code", "code": "TWO_FACTOR_LOGIN_EXPIRED"}]
    with tenant_context(brand_b):
        assert not TwoFactor.objects.filter(user_id=int(same_id)).exists()
    with tenant_context(brand_a):
        assert TwoFactor.objects.filter(user_id=int(same_id), confirmed_at__isnull=False).exists()
    # A pending sign-in of brand A cannot be completed on brand B's host (other cookie jar,
    # and the signed marker names A's schema).
    assert a_pending.data(ME)["me"] is None


def test_a_brand_admin_chooses_the_mandatory_roles_of_the_brand_only(gql, brand_a, brand_b):
    admin = make_user(brand_a, role=Role.BRAND_ADMIN)
    client = gql(brand_a, admin)
    update = (
        "mutation($r: [Role!]!) { brandUpdate(input: {twoFactorRequiredRoles: $r}) "
        "{ brand { twoFactorRequiredRoles } errors { field code } } }"
    )

    bad = client.execute(update, {"r": ["OPERATOR"]})
    payload = client.data(update, {"r": ["AFFILIATE", "BRAND_ADMIN"]})["brandUpdate"]
    after = client.execute(MERCHANT_APPLICATIONS)

    assert bad["data"]["brandUpdate"]["errors"] == [
        {"field": "twoFactorRequiredRoles", "code": "UNKNOWN_ROLE"}
    ]
    assert payload == {"brand": {"twoFactorRequiredRoles": ["BRAND_ADMIN", "AFFILIATE"]}, "errors": []}
    assert after["errors"][0]["extensions"]["code"] == "TWO_FACTOR_ENROLMENT_REQUIRED"  # now myself too
    assert gql(brand_b).data("{ brand { twoFactorRequiredRoles } }") == {
        "brand": {"twoFactorRequiredRoles": []}
    }


def test_an_api_token_of_a_user_who_must_enrol_still_works(gql, brand_a):
    """Tokens are the machine path: the enrolment restriction is for browser sessions."""
    _mandatory(brand_a)
    admin = make_user(brand_a, role=Role.BRAND_ADMIN)
    with tenant_context(brand_a):
        _, raw = api_token_create(user=admin, name="ci", scopes=["read"])

    by_token = gql(brand_a).execute(MERCHANT_APPLICATIONS, HTTP_AUTHORIZATION=f"Bearer {raw}")
    by_session = gql(brand_a, admin).execute(MERCHANT_APPLICATIONS)

    assert by_token == {"data": {"merchantApplications": []}}
    assert by_session["errors"][0]["extensions"]["code"] == "TWO_FACTOR_ENROLMENT_REQUIRED"
