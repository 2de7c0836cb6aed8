"""Signup (issue 9): it answers the same whether or not the email has an account, the address
gets an email either way, and merchants follow the brand's merchant signup policy."""

from __future__ import annotations

import os
import re
import time

import pytest
from django.core import mail
from django_tenants.utils import tenant_context

from accounts.models import MagicLink, Role, User
from accounts.tasks import send_magic_link_task, send_signup_attempt_task
from core.models import OutboxEvent
from tenants.models import MerchantSignup, Tenant
from tests.conftest import PASSWORD, make_user
from tests.engine import make_affiliate, make_program

SIGNUP = """
mutation Signup($input: SignupInput!) {
  signup(input: $input) { ok awaitingApproval errors { field code message } }
}
"""
LOGIN = """
mutation Login($email: String!, $password: String!) {
  login(input: {email: $email, password: $password}) { user { email role } errors { field code } }
}
"""
MAGIC_LOGIN = (
    "mutation($token: String!) { magicLinkLogin(token: $token) { user { email role } errors { code } } }"
)
ME = "{ me { email role requestedRole } }"


def _send_pending_emails(brand: Tenant) -> None:
    """What the Celery worker does with the tasks signup enqueued."""
    with tenant_context(brand):
        for link_id in MagicLink.objects.filter(sent_at__isnull=True).values_list("pk", flat=True):
            send_magic_link_task.run(link_id)


def _link_token(message) -> str:
    return re.search(r"token=([\w-]+)", message.body).group(1)


@pytest.fixture
def policy():
    """``policy(brand, value)`` sets the brand's merchant signup policy, and puts it back."""
    changed: list[tuple[Tenant, str]] = []

    def set_policy(brand: Tenant, value: str) -> None:
        changed.append((brand, brand.merchant_signup))
        Tenant.objects.filter(pk=brand.pk).update(merchant_signup=value)

    yield set_policy
    for brand, value in reversed(changed):
        Tenant.objects.filter(pk=brand.pk).update(merchant_signup=value)


def test_signup_of_an_existing_email_answers_exactly_like_a_new_one(
    gql, brand_a, django_capture_on_commit_callbacks
):
    make_user(brand_a, email="taken@example.com")
    new_client, taken_client = gql(brand_a), gql(brand_a)

    with django_capture_on_commit_callbacks() as callbacks:
        new = new_client.post(SIGNUP, {"input": {"email": "fresh@example.com", "password": PASSWORD}})
        taken = taken_client.post(SIGNUP, {"input": {"email": "TAKEN@example.com", "password": PASSWORD}})

    assert (new.status_code, new.content) == (taken.status_code, taken.content)
    assert new.json() == {"data": {"signup": {"ok": True, "awaitingApproval": False, "errors": []}}}
    assert set(new.cookies) == set(taken.cookies) == set()  # nobody is signed in
    assert new_client.data(ME)["me"] is None
    assert taken_client.data(ME)["me"] is None
    # one email each (a sign-in link, a notice to the owner), and the dispatch of the new
    # user's user.signed_up event (the existing account's owner gets no event)
    assert len(callbacks) == 3
    with tenant_context(brand_a):
        signed_up = OutboxEvent.objects.filter(name="user.signed_up")
        assert [event.payload["user_id"] for event in signed_up] == [
            User.objects.get(email="fresh@example.com").pk
        ]
        owner = User.objects.get(email="taken@example.com")
        send_signup_attempt_task.run(owner.pk)
        assert owner.check_password(PASSWORD)  # the existing account is untouched
    assert mail.outbox[-1].to == ["taken@example.com"]
    assert "tried to sign up" in mail.outbox[-1].subject


def test_a_new_account_signs_in_with_the_emailed_link_then_its_password_works(gql, brand_a):
    client = gql(brand_a)
    assert client.data(
        SIGNUP, {"input": {"email": "Nia@Example.com", "password": PASSWORD, "fullName": "Nia"}}
    )["signup"]["ok"]
    # Before the link: the password does not work yet (so signup + login tells nothing either).
    early = gql(brand_a).data(LOGIN, {"email": "nia@example.com", "password": PASSWORD})["login"]
    assert early["errors"] == [{"field": "password", "code": "INVALID_CREDENTIALS"}]

    _send_pending_emails(brand_a)
    message = mail.outbox[-1]
    assert message.to == ["nia@example.com"]
    signed_in = client.data(MAGIC_LOGIN, {"token": _link_token(message)})["magicLinkLogin"]

    assert signed_in == {"user": {"email": "nia@example.com", "role": "AFFILIATE"}, "errors": []}
    later = gql(brand_a).data(LOGIN, {"email": "nia@example.com", "password": PASSWORD})["login"]
    assert later["errors"] == []


def test_an_affiliate_joins_the_only_program_under_the_referral_code_at_signup(gql, brand_a):
    with tenant_context(brand_a):
        from affiliation.models import Program

        Program.objects.update(is_active=False)
        program = make_program()
        referrer = make_affiliate(brand_a, program)

    payload = gql(brand_a).data(
        SIGNUP,
        {"input": {"email": "ref@example.com", "password": PASSWORD, "referralCode": referrer.referral_code}},
    )["signup"]

    assert payload["ok"] is True
    with tenant_context(brand_a):
        joined = User.objects.get(email="ref@example.com").affiliations.get()
        assert (joined.program_id, joined.referred_by_id) == (program.pk, referrer.pk)


def test_merchant_signup_by_approval_waits_for_a_brand_admin(gql, brand_a, policy):
    policy(brand_a, MerchantSignup.APPROVAL)
    admin = gql(brand_a, make_user(brand_a, role=Role.BRAND_ADMIN))

    payload = gql(brand_a).data(
        SIGNUP, {"input": {"email": "shop@example.com", "password": PASSWORD, "role": "MERCHANT"}}
    )["signup"]

    assert payload == {"ok": True, "awaitingApproval": True, "errors": []}
    with tenant_context(brand_a):
        user = User.objects.get(email="shop@example.com")
        assert (user.role, user.requested_role) == (Role.CUSTOMER, Role.MERCHANT)
    # Not a merchant yet: merchant mutations are refused.
    merchant = gql(brand_a, user)
    body = merchant.execute(
        'mutation { conversionRecord(input: {orderId: "x", amount: "1.00", currency: "EUR", couponCode: "X"}) '
        "{ errors { code } } }"
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    applications = admin.data("{ merchantApplications { id email requestedRole } }")["merchantApplications"]
    assert applications == [{"id": str(user.pk), "email": "shop@example.com", "requestedRole": "MERCHANT"}]
    approved = admin.data(
        "mutation($id: ID!) { merchantApprove(userId: $id) { user { role requestedRole } errors { code } } }",
        {"id": str(user.pk)},
    )["merchantApprove"]

    assert approved == {"user": {"role": "MERCHANT", "requestedRole": None}, "errors": []}
    assert admin.data("{ merchantApplications { id } }")["merchantApplications"] == []
    again = admin.data(
        "mutation($id: ID!) { merchantApprove(userId: $id) { user { role } errors { field code } } }",
        {"id": str(user.pk)},
    )["merchantApprove"]
    assert again == {"user": None, "errors": [{"field": "userId", "code": "NOT_FOUND"}]}


def test_a_brand_admin_refuses_a_merchant_application(gql, brand_a, policy):
    policy(brand_a, MerchantSignup.APPROVAL)
    gql(brand_a).data(
        SIGNUP, {"input": {"email": "no@example.com", "password": PASSWORD, "role": "MERCHANT"}}
    )
    admin = gql(brand_a, make_user(brand_a, role=Role.BRAND_ADMIN))
    with tenant_context(brand_a):
        user = User.objects.get(email="no@example.com")

    refused = admin.data(
        "mutation($id: ID!) { merchantRefuse(userId: $id) { user { role requestedRole } errors { code } } }",
        {"id": str(user.pk)},
    )["merchantRefuse"]

    assert refused == {"user": {"role": "CUSTOMER", "requestedRole": None}, "errors": []}


@pytest.mark.parametrize("role", [Role.MERCHANT, Role.AFFILIATE, None])
def test_only_brand_admins_decide_merchant_applications(gql, brand_a, policy, role):
    policy(brand_a, MerchantSignup.APPROVAL)
    gql(brand_a).data(
        SIGNUP, {"input": {"email": "wait@example.com", "password": PASSWORD, "role": "MERCHANT"}}
    )
    with tenant_context(brand_a):
        user = User.objects.get(email="wait@example.com")
    client = gql(brand_a, make_user(brand_a, role=role) if role else None)

    body = client.execute(
        "mutation($id: ID!) { merchantApprove(userId: $id) { errors { code } } }", {"id": str(user.pk)}
    )

    assert body["errors"][0]["extensions"]["code"] in {"FORBIDDEN", "UNAUTHENTICATED"}
    with tenant_context(brand_a):
        assert User.objects.get(pk=user.pk).role == Role.CUSTOMER


def test_open_merchant_signup_makes_a_merchant_at_once(gql, brand_a, policy):
    policy(brand_a, MerchantSignup.OPEN)

    payload = gql(brand_a).data(
        SIGNUP, {"input": {"email": "open@example.com", "password": PASSWORD, "role": "MERCHANT"}}
    )["signup"]

    assert payload == {"ok": True, "awaitingApproval": False, "errors": []}
    with tenant_context(brand_a):
        assert User.objects.get(email="open@example.com").role == Role.MERCHANT


def test_invite_only_refuses_merchant_signup_with_a_field_error(gql, brand_a, policy):
    policy(brand_a, MerchantSignup.INVITE_ONLY)

    merchant = gql(brand_a).data(
        SIGNUP, {"input": {"email": "inv@example.com", "password": PASSWORD, "role": "MERCHANT"}}
    )["signup"]
    affiliate = gql(brand_a).data(SIGNUP, {"input": {"email": "aff@example.com", "password": PASSWORD}})[
        "signup"
    ]

    assert merchant["ok"] is False
    assert [(e["field"], e["code"]) for e in merchant["errors"]] == [
        ("role", "MERCHANT_SIGNUP_BY_INVITATION")
    ]
    assert affiliate["ok"] is True
    with tenant_context(brand_a):
        assert not User.objects.filter(email="inv@example.com").exists()


def test_the_default_policy_is_approval(brand_a):
    assert Tenant._meta.get_field("merchant_signup").default == MerchantSignup.APPROVAL


def test_an_unknown_policy_is_a_field_error(brand_a):
    from django.core.exceptions import ValidationError

    from tenants.services import brand_update

    with pytest.raises(ValidationError) as caught:
        brand_update(actor=None, tenant=brand_a, merchant_signup="everyone")

    assert caught.value.error_dict["merchant_signup"][0].code == "UNKNOWN_MERCHANT_SIGNUP"


def test_a_brand_admin_invites_a_merchant_who_signs_in_with_the_emailed_link(gql, brand_a, policy):
    policy(brand_a, MerchantSignup.INVITE_ONLY)
    make_user(brand_a, email="taken-shop@example.com")
    admin = gql(brand_a, make_user(brand_a, role=Role.BRAND_ADMIN))
    invite = (
        'mutation($e: String!) { merchantInvite(email: $e, fullName: "Shop") '
        "{ user { email role } errors { field code } } }"
    )

    invited = admin.data(invite, {"e": "Invited@Example.com"})["merchantInvite"]
    taken = admin.data(invite, {"e": "taken-shop@example.com"})["merchantInvite"]
    _send_pending_emails(brand_a)
    signed_in = gql(brand_a).data(MAGIC_LOGIN, {"token": _link_token(mail.outbox[-1])})["magicLinkLogin"]

    assert invited == {"user": {"email": "invited@example.com", "role": "MERCHANT"}, "errors": []}
    assert taken == {"user": None, "errors": [{"field": "email", "code": "EMAIL_TAKEN"}]}
    assert signed_in["user"] == {"email": "invited@example.com", "role": "MERCHANT"}
    body = gql(brand_a, make_user(brand_a, role=Role.MERCHANT)).execute(
        'mutation { merchantInvite(email: "x@example.com") { errors { code } } }'
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_signups_per_address_are_throttled_alike_for_new_and_existing_emails(gql, brand_a, settings):
    suffix = f"{os.getpid()}-{time.time_ns()}"
    make_user(brand_a, email=f"old-{suffix}@example.com")
    limit = settings.LOGIN_RATE_LIMIT_PER_ACCOUNT

    def codes(email: str) -> list[list[str]]:
        return [
            [
                e["code"]
                for e in gql(brand_a).data(SIGNUP, {"input": {"email": email, "password": PASSWORD}})[
                    "signup"
                ]["errors"]
            ]
            for _ in range(limit + 1)
        ]

    assert (
        codes(f"new-{suffix}@example.com")
        == codes(f"old-{suffix}@example.com")
        == [[]] * limit + [["RATE_LIMITED"]]
    )
