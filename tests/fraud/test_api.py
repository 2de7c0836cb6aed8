"""The review queue and the rule settings over GraphQL: brand admins only, per brand; the
affiliate sees "under review" and nothing of the rules."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django_tenants.utils import tenant_context

from accounts.models import Role
from affiliation.models import CommissionStatus
from fraud.models import FraudCase
from ledger.selectors import ledger_differences
from tests.conftest import make_user
from tests.engine import make_affiliate
from tests.fraud.helpers import program, sale

pytestmark = pytest.mark.django_db

QUEUE = """
query($status: FraudCaseStatus) {
  fraudCases(status: $status) {
    totalCount
    edges { node { id kind status action score ruleCodes affiliateEmail orderId amount { amount }
      reasons { code action facts } } }
  }
}
"""
CASE = "query($id: ID!) { fraudCase(id: $id) { id status reasons { code } } }"
DECIDE = """
mutation($input: FraudCaseDecideInput!) {
  fraudCaseDecide(input: $input) {
    case { id status reviewerEmail note history { decision note } }
    errors { field code message }
  }
}
"""
RULES = "query($program: ID!) { fraudRules(programId: $program) { code enabled action threshold customised countries } }"
RULES_UPDATE = """
mutation($input: FraudRulesUpdateInput!) {
  fraudRulesUpdate(input: $input) { rules { code enabled action threshold countries } errors { field code } }
}
"""
MY_COMMISSIONS = """
{ myCommissions(first: 10) { edges { node { status underReview conversion { underReview status } } } } }
"""


@pytest.fixture
def held_case(brand_a):
    with tenant_context(brand_a):
        seller = make_affiliate(brand_a, program())
        sale(seller, click_age=dt.timedelta(seconds=2))
        case = FraudCase.objects.get(affiliate=seller)
        admin = make_user(brand_a, role=Role.BRAND_ADMIN)
        return seller, case, admin


def test_brand_admins_see_the_queue_with_reasons_and_decide(gql, brand_a, held_case):
    seller, case, admin = held_case
    client = gql(brand_a, admin)

    queue = client.data(QUEUE, {"status": "OPEN"})["fraudCases"]

    [node] = [edge["node"] for edge in queue["edges"]]
    assert (node["kind"], node["action"], node["ruleCodes"]) == ("CONVERSION", "HOLD", ["click_injection"])
    assert node["reasons"][0]["facts"]["threshold"] == "15"
    assert node["affiliateEmail"] == seller.user.email

    decided = client.data(DECIDE, {"input": {"id": str(case.pk), "decision": "REJECT", "note": "bot"}})

    payload = decided["fraudCaseDecide"]
    assert payload["errors"] == []
    assert payload["case"]["status"] == "REJECTED"
    assert payload["case"]["reviewerEmail"] == admin.email
    assert payload["case"]["history"] == [{"decision": "rejected", "note": "bot"}]
    again = client.data(DECIDE, {"input": {"id": str(case.pk), "decision": "APPROVE"}})["fraudCaseDecide"]
    assert again["errors"][0]["code"] == "ALREADY_DECIDED"
    assert again["case"]["status"] == "REJECTED"
    with tenant_context(brand_a):
        assert ledger_differences() == []


def test_another_brands_admin_neither_sees_nor_decides_the_case(gql, brand_a, brand_b, held_case):
    _, case, _ = held_case
    admin_b = make_user(brand_b, role=Role.BRAND_ADMIN)
    client = gql(brand_b, admin_b)

    assert client.data(QUEUE)["fraudCases"]["totalCount"] == 0
    assert client.execute(CASE, {"id": str(case.pk)})["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    body = client.execute(DECIDE, {"input": {"id": str(case.pk), "decision": "APPROVE"}})
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    with tenant_context(brand_a):
        case.refresh_from_db()
        assert case.status == "open"


def test_the_affiliate_sees_under_review_and_never_the_rules(gql, brand_a, held_case):
    seller, case, _ = held_case
    client = gql(brand_a, seller.user)

    [node] = [edge["node"] for edge in client.data(MY_COMMISSIONS)["myCommissions"]["edges"]]

    assert node == {
        "status": CommissionStatus.HELD.upper(),
        "underReview": True,
        "conversion": {"underReview": True, "status": "approved"},
    }
    assert "click_injection" not in json.dumps(node)
    for query, variables in ((QUEUE, {}), (CASE, {"id": str(case.pk)})):
        body = client.execute(query, variables)
        assert body["data"] is None or not any(body["data"].values())
        assert "click_injection" not in json.dumps(body)
    denied = client.execute(DECIDE, {"input": {"id": str(case.pk), "decision": "APPROVE"}})
    assert denied["data"] is None or denied["data"]["fraudCaseDecide"] is None


def test_rule_settings_read_and_update_with_field_errors(gql, brand_a):
    with tenant_context(brand_a):
        shared = program()
        admin = make_user(brand_a, role=Role.BRAND_ADMIN)
    client = gql(brand_a, admin)
    variables = {"program": str(shared.pk)}

    rules = {rule["code"]: rule for rule in client.data(RULES, variables)["fraudRules"]}
    assert rules["click_injection"] == {
        "code": "click_injection",
        "enabled": True,
        "action": "HOLD",
        "threshold": "15",
        "customised": False,
        "countries": [],
    }
    assert len(rules) == 11

    bad = [
        ({"code": "nope", "enabled": True, "action": "FLAG"}, "rules.0.code", "UNKNOWN_RULE"),
        (
            {"code": "click_injection", "enabled": True, "action": "FLAG", "threshold": "-1"},
            "rules.0.threshold",
            "INVALID_THRESHOLD",
        ),
        (
            {"code": "country_not_allowed", "enabled": True, "action": "HOLD", "countries": ["Morocco"]},
            "rules.0.countries",
            "INVALID_COUNTRY",
        ),
    ]
    for rule, field, code in bad:
        payload = client.data(RULES_UPDATE, {"input": {"programId": str(shared.pk), "rules": [rule]}})
        assert payload["fraudRulesUpdate"]["errors"] == [{"field": field, "code": code}]

    payload = client.data(
        RULES_UPDATE,
        {
            "input": {
                "programId": str(shared.pk),
                "rules": [
                    {"code": "click_injection", "enabled": True, "action": "REJECT", "threshold": "30"}
                ],
            }
        },
    )["fraudRulesUpdate"]
    assert payload["errors"] == []
    changed = {rule["code"]: rule for rule in client.data(RULES, variables)["fraudRules"]}["click_injection"]
    assert (changed["action"], changed["threshold"], changed["customised"]) == ("REJECT", "30", True)


def test_affiliates_and_other_brands_cannot_touch_rule_settings(gql, brand_a, brand_b):
    with tenant_context(brand_a):
        shared = program()
        affiliate = make_affiliate(brand_a, shared)
    admin_b = make_user(brand_b, role=Role.BRAND_ADMIN)
    update = {
        "input": {
            "programId": str(shared.pk),
            "rules": [{"code": "click_injection", "enabled": False, "action": "FLAG"}],
        }
    }

    denied = gql(brand_a, affiliate.user).execute(RULES_UPDATE, update)
    assert denied["data"] is None or denied["data"]["fraudRulesUpdate"] is None
    other = gql(brand_b, admin_b).execute(RULES_UPDATE, update)
    assert (
        other["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        or other["data"]["fraudRulesUpdate"]["errors"][0]["code"] == "NOT_FOUND"
    )
    with tenant_context(brand_a):
        assert not shared.fraud_rules.exists()
