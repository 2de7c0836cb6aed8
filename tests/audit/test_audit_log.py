"""The audit log, readable: filters, pages, who may read it, and nothing across brands."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Role
from core.audit import audit_changes, audit_log
from core.models import AuditEvent
from tests.conftest import domain_of, make_user

EVENTS = """
query Events($filter: AuditEventFilter, $first: Int!, $after: String) {
  auditEvents(filter: $filter, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id action actorId actorEmail subjectId targetType targetId before after data ip userAgent createdAt } }
  }
}
"""


def _actions(connection):
    return [edge["node"]["action"] for edge in connection["edges"]]


@pytest.fixture
def logged(brand_a):
    """Given a brand admin, a merchant and an affiliate of brand A, and a few events."""
    admin = make_user(brand_a, role=Role.BRAND_ADMIN)
    merchant = make_user(brand_a, role=Role.MERCHANT)
    affiliate = make_user(brand_a, role=Role.AFFILIATE)
    with tenant_context(brand_a):
        AuditEvent.objects.all().delete()
        old = audit_log(actor=None, action="order.paid")  # pages are in insertion order: oldest first
        AuditEvent.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=10))
        audit_log(actor=admin, action="program.created", target=merchant, name="Spring")
        audit_log(
            actor=admin,
            action="user.role_changed",
            target=affiliate,
            **audit_changes({"role": "affiliate", "email": "a@x"}, {"role": "merchant", "email": "a@x"}),
        )
        audit_log(actor=merchant, action="product.created", target=merchant, name="Spa day")
    return {"admin": admin, "merchant": merchant, "affiliate": affiliate}


def test_a_brand_admin_reads_the_log_newest_first_with_before_and_after(gql, brand_a, logged):
    connection = gql(brand_a, logged["admin"]).data(EVENTS, {"first": 10})["auditEvents"]

    assert connection["totalCount"] == 4
    assert _actions(connection) == ["product.created", "user.role_changed", "program.created", "order.paid"]
    changed = connection["edges"][1]["node"]
    assert changed["before"] == {"role": "affiliate"}
    assert changed["after"] == {"role": "merchant"}
    assert changed["data"] == {}
    assert changed["subjectId"] == str(logged["affiliate"].pk)
    assert changed["actorEmail"] == logged["admin"].email
    assert connection["edges"][0]["node"]["data"] == {"name": "Spa day"}


def _filter(name, logged):
    five_days_ago = (timezone.now() - dt.timedelta(days=5)).isoformat()
    merchant, admin = logged["merchant"], logged["admin"]
    return {
        "action exact": {"action": "program.created"},
        "action prefix": {"action": "user.*"},
        "object type and id": {"targetType": "accounts.User", "targetId": str(merchant.pk)},
        "object type alone": {"targetType": "accounts.user"},
        "actor email": {"actorEmail": merchant.email.upper()},
        "actor id": {"actorId": str(admin.pk)},
        "from": {"start": five_days_ago},
        "until": {"end": five_days_ago},
    }[name]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("action exact", ["program.created"]),
        ("action prefix", ["user.role_changed"]),
        ("object type and id", ["product.created", "program.created"]),
        ("object type alone", ["product.created", "user.role_changed", "program.created"]),
        ("actor email", ["product.created"]),
        ("actor id", ["user.role_changed", "program.created"]),
        ("from", ["product.created", "user.role_changed", "program.created"]),
        ("until", ["order.paid"]),
    ],
)
def test_each_filter_narrows(gql, brand_a, logged, name, expected):
    connection = gql(brand_a, logged["admin"]).data(EVENTS, {"first": 10, "filter": _filter(name, logged)})[
        "auditEvents"
    ]

    assert _actions(connection) == expected
    assert connection["totalCount"] == len(expected)


def test_pages_follow_the_cursor_in_a_constant_number_of_queries(
    gql, brand_a, logged, django_assert_num_queries
):
    client = gql(brand_a, logged["admin"])
    first = client.data(EVENTS, {"first": 2})["auditEvents"]
    second = client.data(EVENTS, {"first": 2, "after": first["pageInfo"]["endCursor"]})["auditEvents"]

    assert _actions(first) + _actions(second) == [
        "product.created",
        "user.role_changed",
        "program.created",
        "order.paid",
    ]
    assert first["pageInfo"]["hasNextPage"] is True
    assert second["pageInfo"]["hasNextPage"] is False
    with tenant_context(brand_a):
        for _ in range(20):
            audit_log(actor=logged["admin"], action="program.updated")
    # Host routing (3), session and user (2), then count and page (2), whatever the page size.
    with django_assert_num_queries(7):
        small = client.data(EVENTS, {"first": 2})["auditEvents"]
    with django_assert_num_queries(7):
        large = client.data(EVENTS, {"first": 24})["auditEvents"]
    assert (len(small["edges"]), len(large["edges"])) == (2, 24)


@pytest.mark.parametrize("role", [Role.AFFILIATE, Role.MERCHANT, Role.CUSTOMER, None])
def test_only_brand_admins_read_the_brand_log(gql, brand_a, logged, role):
    user = make_user(brand_a, role=role) if role is not None else None
    with tenant_context(brand_a):
        before = AuditEvent.objects.count()

    body = gql(brand_a, user).execute(EVENTS, {"first": 10})

    assert body["data"] is None
    assert [error["extensions"]["code"] for error in body["errors"]] == ["FORBIDDEN"]
    with tenant_context(brand_a):
        assert AuditEvent.objects.count() == before  # reading was side-effect free


def test_an_operator_reads_platform_actions_on_the_root_host_only(gql, public_tenant, brand_a, logged):
    operator = make_user(public_tenant, role=Role.OPERATOR)
    with tenant_context(public_tenant):
        AuditEvent.objects.all().delete()
        audit_log(actor=operator, action="brand.created", target=brand_a, subdomain="alpha")

    on_root = gql(public_tenant, operator).data(EVENTS, {"first": 10})["auditEvents"]
    on_brand = gql(brand_a, logged["admin"]).data(EVENTS, {"first": 10})["auditEvents"]

    assert _actions(on_root) == ["brand.created"]
    assert on_root["edges"][0]["node"]["targetType"] == "tenants.Tenant"
    assert "brand.created" not in _actions(on_brand)
    operator_on_brand = gql(public_tenant, operator)
    operator_on_brand.host = domain_of(brand_a)  # the operator's session cookie, on a brand's host
    refused = operator_on_brand.execute(EVENTS, {"first": 10})
    assert refused["data"] is None
    assert [error["extensions"]["code"] for error in refused["errors"]] == ["FORBIDDEN"]


def test_a_brand_admin_sees_none_of_another_brands_events(gql, brand_a, brand_b):
    """Same ids on both sides: user ids and event ids repeat across schemas."""
    admin_a = make_user(brand_a, role=Role.BRAND_ADMIN)
    admin_b = make_user(brand_b, role=Role.BRAND_ADMIN)
    with tenant_context(brand_a):
        AuditEvent.objects.all().delete()
        event = audit_log(actor=admin_a, action="program.created", target=admin_a, secret="a-only")
        AuditEvent.objects.filter(pk=event.pk).update(id=990001)
    with tenant_context(brand_b):
        AuditEvent.objects.all().delete()
        event = audit_log(actor=admin_b, action="category.created", target=admin_b, secret="b-only")
        AuditEvent.objects.filter(pk=event.pk).update(id=990001)

    client_a = gql(brand_a, admin_a)
    seen_by_a = client_a.data(EVENTS, {"first": 10})["auditEvents"]
    client_a.host = domain_of(brand_b)  # A's session cookie sent to B's host
    a_session_on_b = client_a.execute(EVENTS, {"first": 10})

    assert [(edge["node"]["id"], edge["node"]["data"]) for edge in seen_by_a["edges"]] == [
        ("990001", {"secret": "a-only"})
    ]
    by_b_target = gql(brand_a, admin_a).data(
        EVENTS, {"first": 10, "filter": {"targetType": "accounts.User", "targetId": str(admin_b.pk)}}
    )["auditEvents"]
    assert all(edge["node"]["data"] != {"secret": "b-only"} for edge in by_b_target["edges"])
    assert a_session_on_b["data"] is None
    assert [error["extensions"]["code"] for error in a_session_on_b["errors"]] == ["FORBIDDEN"]
