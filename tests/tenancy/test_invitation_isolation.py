"""Invitations and the setup checklist across brands: a brand admin of brand B neither sees nor
changes brand A's invitations, a brand-A link does not accept on brand B's host, and the checklist
reads only the brand's own state."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from accounts.models import Invitation, Role, User
from payments.models import BillingSettings
from tests.accounts.test_invitations import ACCEPT, LIST, PREVIEW, RESEND, REVOKE, _invite, _send
from tests.conftest import PASSWORD, make_user
from tests.tenants.test_onboarding import CHECKLIST


@pytest.fixture
def admin_a(brand_a):
    return make_user(brand_a, role=Role.BRAND_ADMIN)


def test_an_admin_of_brand_b_cannot_see_resend_or_revoke_brand_a_invitations(gql, brand_a, brand_b, admin_a):
    invitation_id = _invite(gql(brand_a, admin_a), "alpha-only@example.com")["invitation"]["id"]
    admin_b = gql(brand_b, make_user(brand_b, role=Role.BRAND_ADMIN))

    listed = admin_b.data(LIST)["invitations"]
    revoke = admin_b.data(REVOKE, {"id": invitation_id})["invitationRevoke"]
    resend = admin_b.data(RESEND, {"id": invitation_id})["invitationResend"]

    assert "alpha-only@example.com" not in [item["email"] for item in listed]
    assert revoke == {"invitation": None, "errors": [{"field": "id", "code": "NOT_FOUND"}]}
    assert resend == {"invitation": None, "errors": [{"field": "id", "code": "NOT_FOUND"}]}
    with tenant_context(brand_a):
        assert Invitation.objects.get(pk=invitation_id).revoked_at is None


def test_a_brand_a_token_does_not_accept_on_brand_b_host(gql, brand_a, brand_b, admin_a):
    _invite(gql(brand_a, admin_a), "crosser@example.com", "BRAND_ADMIN")
    [token] = _send(brand_a)

    preview = gql(brand_b).data(PREVIEW, {"t": token})["invitationPreview"]
    payload = gql(brand_b).data(ACCEPT, {"input": {"token": token, "password": PASSWORD}})["invitationAccept"]

    assert preview is None
    assert payload == {"user": None, "errors": [{"field": "token", "code": "INVALID_OR_EXPIRED_INVITATION"}]}
    with tenant_context(brand_b):
        assert not User.objects.filter(email="crosser@example.com").exists()
    with tenant_context(brand_a):
        assert Invitation.objects.get(email="crosser@example.com").accepted_at is None


def test_the_checklist_is_for_brand_admins_of_the_brand_only(gql, brand_a, brand_b):
    with tenant_context(brand_a):
        BillingSettings.objects.update_or_create(
            pk=1, defaults={"bank_account_holder": "Alpha", "bank_iban": "FR7630006000011234567890189"}
        )
    merchant = gql(brand_a, make_user(brand_a, role=Role.MERCHANT)).execute(CHECKLIST)
    in_b = gql(brand_b, make_user(brand_b, role=Role.BRAND_ADMIN)).data(CHECKLIST)["brandSetupChecklist"]

    assert merchant["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert {item["step"]: item["done"] for item in in_b["items"]}["BANK_DETAILS"] is False
