"""``GET /audit/export.csv``: the brand's log for its admins, formula-safe, nothing across brands."""

from __future__ import annotations

import csv
import io

import pytest
from django_tenants.utils import tenant_context

from accounts.models import Role
from accounts.services import api_token_create
from core.audit import audit_log
from core.models import AuditEvent
from tests.conftest import domain_of, make_user

URL = "/audit/export.csv"


def _rows(response):
    return list(csv.reader(io.StringIO(response.content.decode())))


@pytest.fixture
def admin_a(brand_a):
    admin = make_user(brand_a, role=Role.BRAND_ADMIN)
    with tenant_context(brand_a):
        AuditEvent.objects.all().delete()
        audit_log(actor=admin, action="program.created", target=admin, name="=cmd|' /C calc'!A0")
        audit_log(actor=admin, action="product.created", target=admin, name="+SUM(1,2)")
    return admin


def test_a_brand_admin_exports_the_filtered_log_with_formulas_quoted(client, brand_a, admin_a):
    with tenant_context(brand_a):
        client.force_login(admin_a)

    response = client.get(
        URL, {"action": "program.created"}, HTTP_HOST=domain_of(brand_a), HTTP_USER_AGENT="=HYPERLINK()"
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Cache-Control"] == "no-store"
    header, *rows = _rows(response)
    assert header[:5] == ["id", "created_at", "action", "actor_id", "actor_email"]
    assert len(rows) == 1
    row = dict(zip(header, rows[0], strict=True))
    assert row["action"] == "program.created"
    assert row["actor_email"] == admin_a.email
    assert row["target_type"] == "accounts.User"
    assert row["data"] == '{"name": "=cmd|\' /C calc\'!A0"}'  # JSON text starts with {: inert
    everything = _rows(client.get(URL, HTTP_HOST=domain_of(brand_a)))
    assert [row[2] for row in everything[1:]] == ["product.created", "program.created"]


def test_cells_that_start_like_a_formula_are_quoted(client, brand_a):
    admin = make_user(brand_a, role=Role.BRAND_ADMIN, email="=cmd@example.com")
    with tenant_context(brand_a):
        AuditEvent.objects.all().delete()
        audit_log(actor=admin, action="program.created")
        client.force_login(admin)

    header, row = _rows(client.get(URL, HTTP_HOST=domain_of(brand_a)))

    assert dict(zip(header, row, strict=True))["actor_email"] == "'=cmd@example.com"


@pytest.mark.parametrize("role", [Role.AFFILIATE, Role.MERCHANT, Role.CUSTOMER])
def test_other_roles_are_refused(client, brand_a, admin_a, role):
    user = make_user(brand_a, role=role)
    with tenant_context(brand_a):
        client.force_login(user)

    response = client.get(URL, HTTP_HOST=domain_of(brand_a))

    assert response.status_code == 403
    assert b"program.created" not in response.content


def test_anonymous_and_bad_parameters_are_refused(client, brand_a, admin_a):
    assert client.get(URL, HTTP_HOST=domain_of(brand_a)).status_code == 401
    with tenant_context(brand_a):
        client.force_login(admin_a)
    assert client.get(URL, {"from": "yesterday"}, HTTP_HOST=domain_of(brand_a)).status_code == 400
    assert client.get(URL, {"actorId": "x"}, HTTP_HOST=domain_of(brand_a)).status_code == 400


def test_a_read_token_exports_on_its_own_brand_only(client, brand_a, brand_b, admin_a):
    with tenant_context(brand_a):
        _, raw = api_token_create(user=admin_a, name="export", scopes=["read"])
    with tenant_context(brand_b):
        AuditEvent.objects.all().delete()
        audit_log(actor=None, action="category.created", secret="b-only")
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    own = client.get(URL, HTTP_HOST=domain_of(brand_a), **bearer)
    other = client.get(URL, HTTP_HOST=domain_of(brand_b), **bearer)

    assert own.status_code == 200
    assert [row[2] for row in _rows(own)[1:]] == ["api_token.created", "product.created", "program.created"]
    assert other.status_code == 401
    assert b"b-only" not in other.content


def test_operators_export_the_platform_log_on_the_root_host(client, public_tenant, brand_a, admin_a):
    operator = make_user(public_tenant, role=Role.OPERATOR)
    with tenant_context(public_tenant):
        AuditEvent.objects.all().delete()
        audit_log(actor=operator, action="brand.created", target=brand_a)
        client.force_login(operator)

    response = client.get(URL, HTTP_HOST=domain_of(public_tenant))

    assert response.status_code == 200
    assert [row[2] for row in _rows(response)[1:]] == ["brand.created"]
