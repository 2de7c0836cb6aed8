"""Invitations: a brand admin invites a merchant, a brand admin or a staff member by email; the
link works once, for 7 days, on the brand's own host; resending kills the old link; revoking
kills it for good; only the token's hash is stored."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.invitations import INVITATION_TTL, invitation_create
from accounts.models import Invitation, Role, User
from accounts.tasks import send_invitation_task
from accounts.tokens import secret_hash
from core.models import AuditEvent
from support.models import ContactMessage
from tenants.selectors import brand_base_url
from tests.conftest import PASSWORD, make_user

CREATE = """
mutation($input: InvitationCreateInput!) {
  invitationCreate(input: $input) { invitation { id email role status fullName } errors { field code } }
}
"""
RESEND = "mutation($id: ID!) { invitationResend(id: $id) { invitation { id status } errors { field code } } }"
REVOKE = "mutation($id: ID!) { invitationRevoke(id: $id) { invitation { id status } errors { field code } } }"
ACCEPT = """
mutation($input: InvitationAcceptInput!) {
  invitationAccept(input: $input) { user { email role fullName } errors { field code } }
}
"""
PREVIEW = "query($t: String!) { invitationPreview(token: $t) { email role accountExists } }"
LIST = "{ invitations { id email role status inviterEmail } }"


def _send(brand) -> list[str]:
    """What the Celery worker does with the invitations enqueued: returns the emailed tokens."""
    before = len(mail.outbox)
    with tenant_context(brand):
        for pk in Invitation.objects.filter(sent_at__isnull=True).values_list("pk", flat=True):
            send_invitation_task.run(pk)
    return [re.search(r"token=([\w-]+)", message.body).group(1) for message in mail.outbox[before:]]


def _invite(client, email: str, role: str = "STAFF", full_name: str = "") -> dict:
    return client.data(CREATE, {"input": {"email": email, "role": role, "fullName": full_name}})[
        "invitationCreate"
    ]


@pytest.fixture
def admin_a(brand_a):
    return make_user(brand_a, role=Role.BRAND_ADMIN)


def test_an_invited_staff_member_sets_a_password_on_the_brand_host_and_is_signed_in(gql, brand_a, admin_a):
    created = _invite(gql(brand_a, admin_a), "Sam@Example.com", "STAFF", "Sam")
    [token] = _send(brand_a)
    message = mail.outbox[-1]
    invitee = gql(brand_a)
    preview = invitee.data(PREVIEW, {"t": token})["invitationPreview"]

    accepted = invitee.data(ACCEPT, {"input": {"token": token, "password": PASSWORD, "fullName": "Sam Doe"}})

    assert created["errors"] == []
    assert created["invitation"]["email"] == "sam@example.com"
    assert created["invitation"]["role"] == "STAFF"
    assert created["invitation"]["status"] == "PENDING"
    assert message.to == ["sam@example.com"]
    assert f"{brand_base_url(brand_a)}/invitation/accept?token={token}" in message.body
    assert preview == {"email": "sam@example.com", "role": "STAFF", "accountExists": False}
    assert accepted["invitationAccept"] == {
        "user": {"email": "sam@example.com", "role": "STAFF", "fullName": "Sam Doe"},
        "errors": [],
    }
    assert invitee.data("{ me { email role } }")["me"] == {"email": "sam@example.com", "role": "STAFF"}
    with tenant_context(brand_a):
        invitation = Invitation.objects.get(email="sam@example.com")
        assert invitation.accepted_at is not None
        assert invitation.accepted_by.email == "sam@example.com"
        assert invitation.inviter == admin_a
        assert invitation.token_hash is None  # nothing left to match, raw token never stored
        assert AuditEvent.objects.filter(action="invitation.accepted").count() == 1
        assert User.objects.get(email="sam@example.com").check_password(PASSWORD)


def test_the_stored_token_is_a_hash_and_the_link_works_once(gql, brand_a, admin_a):
    _invite(gql(brand_a, admin_a), "once@example.com", "MERCHANT")
    [token] = _send(brand_a)
    with tenant_context(brand_a):
        stored = Invitation.objects.get(email="once@example.com").token_hash
    assert stored == secret_hash(token)
    assert token not in stored

    first = gql(brand_a).data(ACCEPT, {"input": {"token": token, "password": PASSWORD}})["invitationAccept"]
    second = gql(brand_a).data(ACCEPT, {"input": {"token": token, "password": PASSWORD}})["invitationAccept"]

    assert first["user"]["role"] == "MERCHANT"
    assert second == {"user": None, "errors": [{"field": "token", "code": "INVALID_OR_EXPIRED_INVITATION"}]}
    assert gql(brand_a).data(PREVIEW, {"t": token})["invitationPreview"] is None


def test_an_invitation_expires_after_7_days(gql, brand_a, admin_a):
    _invite(gql(brand_a, admin_a), "late@example.com")
    [token] = _send(brand_a)
    with tenant_context(brand_a):
        invitation = Invitation.objects.get(email="late@example.com")
        assert invitation.expires_at - invitation.created_at == pytest.approx(
            INVITATION_TTL, abs=dt.timedelta(seconds=5)
        )
        assert dt.timedelta(days=7) == INVITATION_TTL
        Invitation.objects.filter(pk=invitation.pk).update(
            expires_at=timezone.now() - dt.timedelta(seconds=1)
        )

    payload = gql(brand_a).data(ACCEPT, {"input": {"token": token, "password": PASSWORD}})["invitationAccept"]
    listed = gql(brand_a, admin_a).data(LIST)["invitations"]

    assert payload == {"user": None, "errors": [{"field": "token", "code": "INVALID_OR_EXPIRED_INVITATION"}]}
    assert [item["status"] for item in listed if item["email"] == "late@example.com"] == ["EXPIRED"]
    with tenant_context(brand_a):
        assert not User.objects.filter(email="late@example.com").exists()


def test_resending_makes_a_new_link_and_kills_the_old_one(gql, brand_a, admin_a):
    admin = gql(brand_a, admin_a)
    invitation_id = _invite(admin, "again@example.com")["invitation"]["id"]
    [old] = _send(brand_a)
    with tenant_context(brand_a):
        Invitation.objects.filter(pk=invitation_id).update(expires_at=timezone.now() + dt.timedelta(hours=1))

    resent = admin.data(RESEND, {"id": invitation_id})["invitationResend"]
    [new] = _send(brand_a)
    stale = gql(brand_a).data(ACCEPT, {"input": {"token": old, "password": PASSWORD}})["invitationAccept"]
    fresh = gql(brand_a).data(ACCEPT, {"input": {"token": new, "password": PASSWORD}})["invitationAccept"]

    assert resent == {"invitation": {"id": invitation_id, "status": "PENDING"}, "errors": []}
    assert old != new
    assert stale["errors"] == [{"field": "token", "code": "INVALID_OR_EXPIRED_INVITATION"}]
    assert fresh["user"]["email"] == "again@example.com"
    with tenant_context(brand_a):
        invitation = Invitation.objects.get(pk=invitation_id)
        assert invitation.expires_at > timezone.now() + dt.timedelta(days=6)  # the clock restarted
        assert AuditEvent.objects.filter(action="invitation.resent").count() == 1


def test_a_revoked_invitation_no_longer_accepts_and_stays_closed(gql, brand_a, admin_a):
    admin = gql(brand_a, admin_a)
    invitation_id = _invite(admin, "gone@example.com")["invitation"]["id"]
    [token] = _send(brand_a)

    revoked = admin.data(REVOKE, {"id": invitation_id})["invitationRevoke"]
    payload = gql(brand_a).data(ACCEPT, {"input": {"token": token, "password": PASSWORD}})["invitationAccept"]
    again = admin.data(REVOKE, {"id": invitation_id})["invitationRevoke"]
    resend = admin.data(RESEND, {"id": invitation_id})["invitationResend"]
    missing = admin.data(REVOKE, {"id": "999999"})["invitationRevoke"]

    assert revoked == {"invitation": {"id": invitation_id, "status": "REVOKED"}, "errors": []}
    assert payload["errors"] == [{"field": "token", "code": "INVALID_OR_EXPIRED_INVITATION"}]
    assert again == {"invitation": None, "errors": [{"field": "id", "code": "INVITATION_CLOSED"}]}
    assert resend == {"invitation": None, "errors": [{"field": "id", "code": "INVITATION_CLOSED"}]}
    assert missing == {"invitation": None, "errors": [{"field": "id", "code": "NOT_FOUND"}]}
    assert _send(brand_a) == []  # a revoked invitation is never (re)sent
    with tenant_context(brand_a):
        assert not User.objects.filter(email="gone@example.com").exists()


def test_one_open_invitation_per_address_and_bad_input_are_field_errors(gql, brand_a, admin_a):
    admin = gql(brand_a, admin_a)
    make_user(brand_a, email="shop@example.com", role=Role.MERCHANT)

    first = _invite(admin, "dup@example.com")
    second = _invite(admin, "DUP@example.com", "MERCHANT")
    bad = _invite(admin, "not-an-email")
    same_role = _invite(admin, "shop@example.com", "MERCHANT")

    assert first["errors"] == []
    assert second == {"invitation": None, "errors": [{"field": "email", "code": "INVITATION_PENDING"}]}
    assert bad == {"invitation": None, "errors": [{"field": "email", "code": "INVALID"}]}
    assert same_role == {"invitation": None, "errors": [{"field": "email", "code": "EMAIL_TAKEN"}]}
    with tenant_context(brand_a):
        assert Invitation.objects.filter(email="dup@example.com").count() == 1
        with pytest.raises(ValidationError) as caught:
            invitation_create(actor=admin_a, email="aff@example.com", role=Role.AFFILIATE)
        assert caught.value.error_dict["role"][0].code == "ROLE_NOT_ALLOWED"


def test_accepting_needs_a_strong_password_for_a_new_account(gql, brand_a, admin_a):
    _invite(gql(brand_a, admin_a), "weak@example.com")
    [token] = _send(brand_a)

    missing = gql(brand_a).data(ACCEPT, {"input": {"token": token}})["invitationAccept"]
    weak = gql(brand_a).data(ACCEPT, {"input": {"token": token, "password": "123"}})["invitationAccept"]

    assert missing == {"user": None, "errors": [{"field": "password", "code": "REQUIRED"}]}
    assert weak == {"user": None, "errors": [{"field": "password", "code": "PASSWORD_TOO_WEAK"}]}
    with tenant_context(brand_a):
        assert Invitation.objects.get(email="weak@example.com").accepted_at is None


def test_an_existing_account_signs_in_first_then_takes_the_role(gql, brand_a, admin_a):
    affiliate = make_user(brand_a, email="promo@example.com", role=Role.AFFILIATE)
    other = make_user(brand_a, role=Role.AFFILIATE)
    _invite(gql(brand_a, admin_a), "promo@example.com", "BRAND_ADMIN")
    [token] = _send(brand_a)

    preview = gql(brand_a).data(PREVIEW, {"t": token})["invitationPreview"]
    anonymous = gql(brand_a).data(ACCEPT, {"input": {"token": token, "password": "new-password-123"}})
    wrong = gql(brand_a, other).data(ACCEPT, {"input": {"token": token}})
    right = gql(brand_a, affiliate).data(ACCEPT, {"input": {"token": token}})

    assert preview["accountExists"] is True
    assert anonymous["invitationAccept"]["errors"] == [{"field": "token", "code": "SIGN_IN_REQUIRED"}]
    assert wrong["invitationAccept"]["errors"] == [{"field": "token", "code": "WRONG_ACCOUNT"}]
    assert right["invitationAccept"]["user"]["role"] == "BRAND_ADMIN"
    with tenant_context(brand_a):
        promoted = User.objects.get(pk=affiliate.pk)
        assert promoted.role == Role.BRAND_ADMIN
        assert promoted.check_password(PASSWORD)  # the token did not reset the password
        assert User.objects.get(pk=other.pk).role == Role.AFFILIATE


@pytest.mark.parametrize("role", [Role.MERCHANT, Role.STAFF, Role.AFFILIATE, Role.CUSTOMER, None])
def test_only_brand_admins_invite_list_resend_or_revoke(gql, brand_a, admin_a, role):
    invitation_id = _invite(gql(brand_a, admin_a), "target@example.com")["invitation"]["id"]
    client = gql(brand_a, make_user(brand_a, role=role) if role else None)

    bodies = [
        client.execute(CREATE, {"input": {"email": "sneaky@example.com", "role": "BRAND_ADMIN"}}),
        client.execute(LIST),
        client.execute(RESEND, {"id": invitation_id}),
        client.execute(REVOKE, {"id": invitation_id}),
    ]

    assert [body["errors"][0]["extensions"]["code"] for body in bodies] == ["FORBIDDEN"] * 4
    with tenant_context(brand_a):
        assert not Invitation.objects.filter(email="sneaky@example.com").exists()
        invitation = Invitation.objects.get(pk=invitation_id)
        assert invitation.revoked_at is None
        assert invitation.sent_at is None


def test_staff_read_the_contact_inbox_but_cannot_change_settings(gql, brand_a):
    staff = gql(brand_a, make_user(brand_a, role=Role.STAFF))

    with tenant_context(brand_a):
        contact = ContactMessage.objects.create(
            name="Visitor", email="visitor@example.com", subject="Help", message="Hello", locale="en"
        )
    inbox = staff.execute("{ contactMessages(first: 5) { edges { node { id } } } }")
    triaged = staff.data(
        "mutation($id: ID!) { contactMessageStatusSet(id: $id, status: ANSWERED) { errors { code } } }",
        {"id": str(contact.pk)},
    )
    money = staff.execute('mutation { withdrawalApprove(id: "1") { errors { code } } }')
    invite = staff.execute(CREATE, {"input": {"email": "friend@example.com", "role": "STAFF"}})
    settings_change = staff.execute('mutation { brandUpdate(input: {name: "Hijacked"}) { errors { code } } }')

    assert "errors" not in inbox
    assert str(contact.pk) in [edge["node"]["id"] for edge in inbox["data"]["contactMessages"]["edges"]]
    assert triaged["contactMessageStatusSet"]["errors"] == []
    assert money["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert invite["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert settings_change["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_a_new_account_accepting_an_invitation_records_its_consents(gql, brand_a, admin_a):
    from privacy.models import ConsentKind, ConsentRecord, DocumentKind
    from privacy.services import legal_document_publish

    # given published terms and privacy policy, and an invitation to a new address
    with tenant_context(brand_a):
        for kind in (DocumentKind.TERMS, DocumentKind.PRIVACY):
            legal_document_publish(actor=admin_a, kind=kind, title=str(kind), body="Version one.")
    _invite(gql(brand_a, admin_a), "consents@example.com", "MERCHANT")
    [token] = _send(brand_a)
    # when the person accepts it, agreeing to marketing emails
    accepted = gql(brand_a).data(
        ACCEPT, {"input": {"token": token, "password": PASSWORD, "marketingOptIn": True}}
    )["invitationAccept"]
    # then, as at signup, the terms, privacy policy and the marketing choice are on record
    assert accepted["errors"] == []
    with tenant_context(brand_a):
        recorded = dict(
            ConsentRecord.objects.filter(user__email="consents@example.com").values_list("kind", "granted")
        )
    assert recorded == {ConsentKind.TERMS: True, ConsentKind.PRIVACY: True, ConsentKind.MARKETING: True}
