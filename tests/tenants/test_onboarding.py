"""Brand onboarding: brandCreate (GraphQL, command) invites the first admin on the brand's host and
starts the brand with a default program; the setup checklist follows the brand's real state;
operators are created by command (operator_create, createsuperuser)."""

from __future__ import annotations

import io
import re

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django_tenants.utils import get_public_schema_name, schema_context, schema_exists, tenant_context

from accounts.models import Invitation, Role, User
from accounts.tasks import send_invitation_task
from affiliation.models import Program
from affiliation.services import program_update
from payments.models import BillingSettings
from tenants.models import Tenant
from tenants.services import brand_update
from tests.conftest import PASSWORD, make_user, two_factor_optional

BRAND_CREATE = """
mutation Create($input: BrandCreateInput!) {
  brandCreate(input: $input) { brand { subdomain domain } errors { field code } }
}
"""
CHECKLIST = "{ brandSetupChecklist { items { step done path } completed total } }"


def _send(brand: Tenant) -> None:
    with tenant_context(brand):
        for pk in Invitation.objects.filter(sent_at__isnull=True).values_list("pk", flat=True):
            send_invitation_task.run(pk)


def test_brand_create_invites_the_first_admin_on_the_brand_host_with_the_right_port(
    gql, public_tenant, settings
):
    settings.PUBLIC_URL_SCHEME, settings.PUBLIC_URL_PORT = "http", "8123"
    operator = make_user(public_tenant, role=Role.OPERATOR)
    data = gql(public_tenant, operator).data(
        BRAND_CREATE,
        {
            "input": {
                "name": "Epsilon",
                "subdomain": "epsilon",
                "currency": "MAD",
                "language": "FR",
                "adminEmail": "Owner@Epsilon.test",
                "adminName": "Owner",
            }
        },
    )
    tenant = Tenant.objects.get(subdomain="epsilon")
    _send(tenant)

    assert data["brandCreate"]["errors"] == []
    with tenant_context(tenant):
        invitation = Invitation.objects.get()
        assert (invitation.email, invitation.role, invitation.full_name) == (
            "owner@epsilon.test",
            Role.BRAND_ADMIN,
            "Owner",
        )
        program = Program.objects.get()
        assert (program.currency, program.name, program.is_active) == (
            "MAD",
            "Programme partenaires Epsilon",
            True,
        )
        assert program.landing_url == "http://epsilon.localhost:8123/"
        assert program.tiers.count() == 3
        assert User.objects.count() == 0  # nobody exists until the invitation is accepted
    message = mail.outbox[-1]
    assert message.to == ["owner@epsilon.test"]
    assert re.search(r"http://epsilon\.localhost:8123/invitation/accept\?token=[\w-]+", message.body)


def test_a_bad_admin_email_creates_no_brand(gql, public_tenant):
    operator = make_user(public_tenant, role=Role.OPERATOR)

    data = gql(public_tenant, operator).data(
        BRAND_CREATE,
        {"input": {"name": "Zeta", "subdomain": "zeta", "adminEmail": "nope", "currency": "XXX1"}},
    )

    assert data["brandCreate"] == {
        "brand": None,
        "errors": [
            {"field": "adminEmail", "code": "INVALID"},
            {"field": "currency", "code": "UNKNOWN_CURRENCY"},
        ],
    }
    assert not Tenant.objects.filter(subdomain="zeta").exists()
    assert not schema_exists("brand_zeta")


def test_the_command_creates_a_brand_with_its_program_and_invites_the_admin(db):
    out = io.StringIO()

    call_command(
        "brand_create", "--name", "Eta", "--subdomain", "eta", "--admin-email", "boss@eta.test", stdout=out
    )

    tenant = Tenant.objects.get(subdomain="eta")
    assert "invited boss@eta.test as brand admin" in out.getvalue()
    with tenant_context(tenant):
        assert Invitation.objects.get().email == "boss@eta.test"
        assert Program.objects.get().name == "Eta partner program"
    with pytest.raises(CommandError, match="admin_email"):
        call_command("brand_create", "--name", "Theta", "--subdomain", "theta", "--admin-email", "x@")
    assert not Tenant.objects.filter(subdomain="theta").exists()


def test_the_setup_checklist_follows_the_brand_state(gql, db):
    call_command("brand_create", "--name", "Iota", "--subdomain", "iota", "--admin-email", "a@iota.test")
    (tenant,) = two_factor_optional(Tenant.objects.get(subdomain="iota"))  # an admin without 2FA acts
    admin_user = make_user(tenant, role=Role.BRAND_ADMIN)
    admin = gql(tenant, admin_user)

    def done() -> dict[str, bool]:
        checklist = admin.data(CHECKLIST)["brandSetupChecklist"]
        assert checklist["total"] == 5
        assert checklist["completed"] == sum(item["done"] for item in checklist["items"])
        return {item["step"]: item["done"] for item in checklist["items"]}

    fresh = admin.data(CHECKLIST)["brandSetupChecklist"]
    with tenant_context(tenant):
        program = Program.objects.get()
        program_update(actor=admin_user, program=program, name="Iota partners")
    after_program = done()
    with tenant_context(tenant):
        program_update(actor=admin_user, program=Program.objects.get(), withdrawal_methods=["paypal"])
        BillingSettings.objects.create(
            bank_account_holder="Iota SARL", bank_iban="FR7630006000011234567890189"
        )
        make_user(tenant, role=Role.MERCHANT)
    brand_update(actor=admin_user, tenant=tenant, theme="vivid")
    everything = done()

    assert fresh["completed"] == 0
    assert [(item["step"], item["path"]) for item in fresh["items"]] == [
        ("PROGRAM", "/admin/program"),
        ("PAYOUT_METHODS", "/admin/program"),
        ("BANK_DETAILS", "/admin/billing"),
        ("THEME", "/admin/theme"),
        ("FIRST_MERCHANT", "/admin/invitations"),
    ]
    assert after_program == {
        "PROGRAM": True,
        "PAYOUT_METHODS": False,
        "BANK_DETAILS": False,
        "THEME": False,
        "FIRST_MERCHANT": False,
    }
    assert set(everything.values()) == {True}


def test_operator_create_makes_an_operator_who_signs_in_on_the_root_domain(gql, public_tenant):
    out = io.StringIO()

    call_command("operator_create", "--email", "Ops@Platform.test", "--password", PASSWORD, stdout=out)
    login = gql(public_tenant).data(
        f'mutation {{ login(input: {{email: "ops@platform.test", password: "{PASSWORD}"}}) {{ user {{ role }} errors {{ code }} }} }}'
    )

    assert out.getvalue().strip() == "created operator ops@platform.test"
    assert login["login"] == {"user": {"role": "OPERATOR"}, "errors": []}
    with pytest.raises(CommandError, match="email"):
        call_command("operator_create", "--email", "ops@platform.test", "--password", PASSWORD)
    with pytest.raises(CommandError, match="password"):
        call_command("operator_create", "--email", "weak@platform.test", "--password", "123")


def test_operator_create_refuses_to_run_without_a_password(db, monkeypatch):
    monkeypatch.delenv("OPERATOR_PASSWORD", raising=False)
    with pytest.raises(CommandError, match="--password or OPERATOR_PASSWORD"):
        call_command("operator_create", "--email", "nopass@platform.test")


def test_createsuperuser_non_interactive_makes_an_operator(db, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)

    call_command("createsuperuser", "--noinput", "--email", "root@platform.test", stdout=io.StringIO())

    with schema_context(get_public_schema_name()):
        user = User.objects.get(email="root@platform.test")
    assert user.role == Role.OPERATOR
    assert user.check_password(PASSWORD)


ADMIN_INVITE = """
mutation($b: ID!, $e: String!) {
  brandAdminInvite(brandId: $b, email: $e) { invitation { id email role status } errors { field code } }
}
"""


def test_an_operator_resends_the_first_admin_invitation_or_invites_another_admin(gql, public_tenant):
    from accounts.tokens import secret_hash
    from core.models import AuditEvent

    call_command("brand_create", "--name", "Kappa", "--subdomain", "kappa", "--admin-email", "k@kappa.test")
    (tenant,) = two_factor_optional(Tenant.objects.get(subdomain="kappa"))  # an admin without 2FA acts
    _send(tenant)
    first_token = re.search(r"token=([\w-]+)", mail.outbox[-1].body).group(1)
    operator = make_user(public_tenant, role=Role.OPERATOR)
    console = gql(public_tenant, operator)

    resent = console.data(ADMIN_INVITE, {"b": str(tenant.pk), "e": "K@kappa.test"})["brandAdminInvite"]
    _send(tenant)
    other = console.data(ADMIN_INVITE, {"b": str(tenant.pk), "e": "second@kappa.test"})["brandAdminInvite"]
    bad = console.data(ADMIN_INVITE, {"b": str(tenant.pk), "e": "nope"})["brandAdminInvite"]
    missing = console.execute(ADMIN_INVITE, {"b": "999999", "e": "x@kappa.test"})
    as_admin = gql(tenant, make_user(tenant, role=Role.BRAND_ADMIN)).execute(
        ADMIN_INVITE, {"b": str(tenant.pk), "e": "x@kappa.test"}
    )

    with tenant_context(tenant):
        first = Invitation.objects.get(email="k@kappa.test")
        assert resent["invitation"] == {
            "id": str(first.pk),
            "email": "k@kappa.test",
            "role": "BRAND_ADMIN",
            "status": "PENDING",
        }
        assert first.token_hash != secret_hash(first_token)  # the old link is dead
        assert other["errors"] == []
        assert Invitation.objects.filter(email="second@kappa.test", role=Role.BRAND_ADMIN).exists()
        assert not Invitation.objects.filter(email="x@kappa.test").exists()
    assert bad == {"invitation": None, "errors": [{"field": "email", "code": "INVALID"}]}
    assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert as_admin["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    with schema_context(get_public_schema_name()):
        assert AuditEvent.objects.filter(action="brand.admin_invited", actor_id=operator.pk).count() == 2
