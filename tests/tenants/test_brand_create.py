from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django_tenants.utils import schema_exists, tenant_context

from accounts.models import Role, User
from core.models import AuditEvent
from tenants.models import Domain, Tenant
from tenants.services import brand_create
from tests.conftest import make_user

BRAND_CREATE = """
mutation Create($input: BrandCreateInput!) {
  brandCreate(input: $input) {
    brand { name subdomain domain currency language theme { name } provisioningMs }
    errors { field code message }
  }
}
"""


def _input(**overrides: str) -> dict[str, str]:
    return {
        "name": "Gamma",
        "subdomain": "gamma",
        "theme": "vivid",
        "currency": "USD",
        "language": "FR",
        **overrides,
    }


def test_operator_creates_a_brand_served_on_its_subdomain(gql, public_tenant):
    operator = make_user(public_tenant, role=Role.OPERATOR)

    data = gql(public_tenant, operator).data(BRAND_CREATE, {"input": _input()})

    payload = data["brandCreate"]
    assert payload["errors"] == []
    assert payload["brand"]["domain"] == "gamma.localhost"
    assert payload["brand"]["theme"]["name"] == "vivid"
    assert payload["brand"]["language"] == "FR"
    assert payload["brand"]["provisioningMs"] >= 0
    tenant = Tenant.objects.get(subdomain="gamma")
    assert schema_exists(tenant.schema_name)
    assert AuditEvent.objects.filter(action="brand.created", actor_id=operator.pk).exists()
    brand = gql(tenant).data("{ brand { name currency } }")["brand"]
    assert brand == {"name": "Gamma", "currency": "USD"}


def test_cloned_brand_has_the_template_tables_but_no_rows_of_other_brands(brand_a):
    make_user(brand_a, email="only-in-alpha@example.com")

    tenant = brand_create(
        actor=None, name="Delta", subdomain="delta", theme="default", currency="EUR", language="en"
    )

    with tenant_context(tenant):
        assert User.objects.count() == 0
        assert AuditEvent.objects.count() == 0
        user = User.objects.create_user(email="first@delta.test", password="x" * 12)
        assert user.pk is not None  # sequences work in the clone


def test_template_schema_holds_no_business_rows(db):
    template = Tenant.objects.get(schema_name="tenant_template")
    with tenant_context(template):
        assert User.objects.count() == 0
        assert AuditEvent.objects.count() == 0
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM django_session")
            assert cursor.fetchone() == (0,)


@pytest.mark.parametrize(
    ("subdomain", "code"),
    [
        ("www", "RESERVED"),
        ("api", "RESERVED"),
        ("admin", "RESERVED"),
        ("Gamma", "INVALID"),
        ("ga.mma", "INVALID"),
        ("-gamma", "INVALID"),
        ("gam_ma", "INVALID"),
        ("ab", "TOO_SHORT"),
        ("a" * 31, "TOO_LONG"),
        ("", "REQUIRED"),
        ("alpha", "TAKEN"),
    ],
)
def test_bad_subdomains_get_a_field_error_and_nothing_is_created(
    gql, public_tenant, brand_a, subdomain, code
):
    operator = make_user(public_tenant, role=Role.OPERATOR)
    brands_before = Tenant.objects.count()

    payload = gql(public_tenant, operator).data(BRAND_CREATE, {"input": _input(subdomain=subdomain)})[
        "brandCreate"
    ]

    assert payload["brand"] is None
    assert len(payload["errors"]) == 1
    assert payload["errors"][0]["field"] == "subdomain"
    assert payload["errors"][0]["code"] == code
    assert payload["errors"][0]["message"]
    assert Tenant.objects.count() == brands_before


def test_every_bad_field_is_reported_at_once(gql, public_tenant):
    operator = make_user(public_tenant, role=Role.OPERATOR)

    payload = gql(public_tenant, operator).data(
        BRAND_CREATE, {"input": _input(name=" ", theme="neon", currency="XYZ")}
    )["brandCreate"]

    assert {(error["field"], error["code"]) for error in payload["errors"]} == {
        ("name", "REQUIRED"),
        ("theme", "UNKNOWN_THEME"),
        ("currency", "UNKNOWN_CURRENCY"),
    }


@pytest.mark.parametrize("role", [None, Role.BRAND_ADMIN])
def test_only_operators_create_brands(gql, public_tenant, brand_a, role):
    client = gql(public_tenant, make_user(public_tenant, role=role) if role else None)

    body = client.execute(BRAND_CREATE, {"input": _input(subdomain="epsilon")})

    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert not Tenant.objects.filter(subdomain="epsilon").exists()


def test_a_brand_admin_cannot_create_brands_from_a_brand_host(gql, brand_a):
    admin = make_user(brand_a, role=Role.BRAND_ADMIN)

    body = gql(brand_a, admin).execute(BRAND_CREATE, {"input": _input(subdomain="zeta")})

    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert not Tenant.objects.filter(subdomain="zeta").exists()


def test_brand_create_command(capsys, db):
    call_command("brand_create", name="Eta", subdomain="eta", theme="aurum", currency="MAD", language="fr")

    assert "eta.localhost" in capsys.readouterr().out
    assert Domain.objects.filter(domain="eta.localhost", tenant__subdomain="eta").exists()


def test_brand_create_command_reports_field_errors(db):
    with pytest.raises(Exception, match=r"subdomain: .*reserved"):
        call_command("brand_create", name="W", subdomain="www")


def test_service_rejects_a_taken_subdomain(brand_a):
    with pytest.raises(ValidationError) as error:
        brand_create(
            actor=None, name="Again", subdomain="alpha", theme="default", currency="EUR", language="en"
        )
    assert error.value.error_dict["subdomain"][0].code == "TAKEN"


def test_a_clone_is_the_migrated_template_to_the_last_index_name(db):
    """Later migrations alter tables, constraints and indexes by name: a clone must be the
    migrated schema exactly, or they would fail on cloned brands."""
    from tenants.clone import schema_signature

    clone = brand_create(
        actor=None, name="Sig", subdomain="signature", theme="default", currency="EUR", language="en"
    )

    template = schema_signature("tenant_template")
    cloned = schema_signature(clone.schema_name)
    assert cloned == template
    assert len(template["constraints"]) > 20
    assert len(template["indexes"]) > 10
    assert template["other_objects"] == []


def test_a_clone_carries_the_migration_history_and_working_identities(db):
    from django.db.migrations.recorder import MigrationRecorder

    clone = brand_create(
        actor=None, name="Hist", subdomain="history", theme="default", currency="EUR", language="en"
    )
    template = Tenant.objects.get(schema_name="tenant_template")

    with tenant_context(template):
        applied = set(MigrationRecorder.Migration.objects.values_list("app", "name"))
    with tenant_context(clone):
        assert set(MigrationRecorder.Migration.objects.values_list("app", "name")) == applied
        first = AuditEvent.objects.create(action="x")
        second = AuditEvent.objects.create(action="y")
        assert second.pk == first.pk + 1
        call_command(
            "migrate_schemas", schema_name=clone.schema_name, tenant=True, interactive=False, verbosity=0
        )
