"""Payout runs and settings over GraphQL: fresh two-factor, permissions, brands, auto-approval."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django_tenants.utils import tenant_context

from accounts.models import Role
from payouts.models import PayoutRun, WithdrawalRequest, WithdrawalStatus
from payouts.selectors import payout_settings
from payouts.services import payout_settings_update, withdrawal_request
from tests.accounts.two_factor_helpers import VERIFY as TWO_FACTOR_VERIFY
from tests.accounts.two_factor_helpers import enrol, next_code
from tests.conftest import make_user
from tests.engine import make_affiliate, make_program
from tests.payouts.test_runs import _earn, approved_withdrawal

pytestmark = pytest.mark.timeout(300)

RUN = """
mutation($ids: [ID!]!) {
  payoutRunCreate(withdrawalIds: $ids) {
    runs { id provider status batchReference itemCount totals { amount currency }
           items { withdrawalId status withdrawalStatus receiver error } }
    errors { field code }
  }
}
"""
RUNS = (
    "{ payoutRuns(first: 10) { totalCount edges { node { id status items { status withdrawalStatus } } } } }"
)
WITHDRAWALS = (
    "{ withdrawals { edges { node { id status failureReason payout { status runId provider } } } } }"
)
SETTINGS = """
mutation($t: Decimal) {
  payoutSettingsUpdate(input: {autoApproveThreshold: $t}) { settings { autoApproveThreshold } errors { field code } }
}
"""
PROVIDERS = "{ payoutProviders { identifier automated configured } payoutSettings { autoApproveThreshold } }"


@pytest.fixture
def setup_a(brand_a):
    admin = make_user(brand_a, role=Role.BRAND_ADMIN)
    with tenant_context(brand_a):
        program = make_program(cascade_rates=[])
    return admin, program


def test_a_brand_admin_pays_with_a_fresh_code_and_sees_the_run(paypal, gql, brand_a, setup_a):
    admin, program = setup_a
    secret, _ = enrol(gql(brand_a, admin), brand_a, admin)
    with tenant_context(brand_a):
        withdrawal = approved_withdrawal(brand_a, program, admin, "ana@example.com")
    client = gql(brand_a, admin)  # signed in, no code in this session

    refused = client.data(RUN, {"ids": [str(withdrawal.pk)]})["payoutRunCreate"]
    assert refused["errors"] == [{"field": "code", "code": "FRESH_TWO_FACTOR_REQUIRED"}]
    assert refused["runs"] == []
    with tenant_context(brand_a):
        assert not PayoutRun.objects.exists()

    assert client.data(TWO_FACTOR_VERIFY, {"c": next_code(brand_a, admin, secret)})["twoFactorVerify"]["ok"]
    created = client.data(RUN, {"ids": [str(withdrawal.pk)]})["payoutRunCreate"]

    assert created["errors"] == []
    [run] = created["runs"]
    assert (run["provider"], run["status"], run["itemCount"]) == ("paypal", "SENT", 1)
    assert run["totals"] == [{"amount": "40.00", "currency": "EUR"}]
    assert run["items"] == [
        {
            "withdrawalId": str(withdrawal.pk),
            "status": "PENDING",
            "withdrawalStatus": "PROCESSING",
            "receiver": "ana@example.com",
            "error": "",
        }
    ]
    listed = client.data(RUNS)["payoutRuns"]
    assert listed["totalCount"] == 1

    paypal.post_all(
        paypal.process(paypal.batches_for(run["batchReference"])[0]["batch_header"]["payout_batch_id"])
    )
    affiliate = client.data(
        "query($id: ID!) { payoutRun(id: $id) { status items { status withdrawalStatus } } }",
        {"id": run["id"]},
    )
    assert affiliate["payoutRun"] == {
        "status": "COMPLETED",
        "items": [{"status": "SUCCEEDED", "withdrawalStatus": "PAID"}],
    }


def test_the_affiliate_sees_a_failed_withdrawal_and_its_reason(paypal, gql, brand_a, setup_a):
    admin, program = setup_a
    with tenant_context(brand_a):
        withdrawal = approved_withdrawal(brand_a, program, admin, "fail@example.com")
        from payouts.services import payout_run_create

        [run] = payout_run_create(actor=admin, withdrawal_ids=[withdrawal.pk])
        user = withdrawal.affiliate.user
    paypal.post_all(paypal.process(run.remote_batch_id))

    [edge] = gql(brand_a, user).data(WITHDRAWALS)["withdrawals"]["edges"]
    assert edge["node"]["status"] == "FAILED"
    assert "Receiver is unregistered" in edge["node"]["failureReason"]
    assert edge["node"]["payout"] == {"status": "FAILED", "runId": str(run.pk), "provider": "paypal"}


def test_affiliates_cannot_run_payouts_or_read_runs(paypal, gql, brand_a, setup_a):
    admin, program = setup_a
    with tenant_context(brand_a):
        withdrawal = approved_withdrawal(brand_a, program, admin, "ana@example.com")
        user = withdrawal.affiliate.user
    client = gql(brand_a, user)

    for query, variables in (
        (RUN, {"ids": [str(withdrawal.pk)]}),
        (RUNS, None),
        (PROVIDERS, None),
        (SETTINGS, {"t": "50"}),
    ):
        body = client.execute(query, variables)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", query
    with tenant_context(brand_a):
        assert WithdrawalRequest.objects.get(pk=withdrawal.pk).status == WithdrawalStatus.APPROVED
        assert not PayoutRun.objects.exists()


def test_brand_b_admin_cannot_run_brand_a_withdrawals(paypal, gql, brand_a, brand_b, setup_a):
    admin, program = setup_a
    admin_b = make_user(brand_b, role=Role.BRAND_ADMIN)
    with tenant_context(brand_a):
        withdrawal = approved_withdrawal(brand_a, program, admin, "ana@example.com")
        run_count = PayoutRun.objects.count()

    answer = gql(brand_b, admin_b).data(RUN, {"ids": [str(withdrawal.pk)]})["payoutRunCreate"]
    # Brand B's admin reaches brand B's schema only: the id is not one of B's withdrawals.
    assert answer["errors"] == [{"field": "withdrawalIds", "code": "NOT_FOUND"}]
    with tenant_context(brand_a):
        assert WithdrawalRequest.objects.get(pk=withdrawal.pk).status == WithdrawalStatus.APPROVED
        assert PayoutRun.objects.count() == run_count


def test_providers_and_settings(paypal, gql, brand_a, setup_a):
    admin, _ = setup_a
    client = gql(brand_a, admin)
    data = client.data(PROVIDERS)
    providers = {p["identifier"]: (p["automated"], p["configured"]) for p in data["payoutProviders"]}
    assert providers["paypal"] == (True, True)
    assert providers["bank_transfer"] == (False, True)
    assert Decimal(data["payoutSettings"]["autoApproveThreshold"]) == 0

    for bad in ("-1", "10.001", "1000000.01"):
        answer = client.data(SETTINGS, {"t": bad})["payoutSettingsUpdate"]
        assert answer["errors"] == [{"field": "autoApproveThreshold", "code": "INVALID"}], bad
    saved = client.data(SETTINGS, {"t": "50"})["payoutSettingsUpdate"]
    assert saved == {"settings": {"autoApproveThreshold": "50.00"}, "errors": []}
    with tenant_context(brand_a):
        assert payout_settings().auto_approve_threshold == Decimal(50)


@pytest.mark.parametrize(
    ("threshold", "amount", "status"),
    [
        ("0", "10.00", "requested"),
        ("50", "50.00", "approved"),
        ("50", "50.01", "requested"),
        ("50", "12.00", "approved"),
    ],
)
def test_withdrawals_at_or_below_the_threshold_are_approved_when_requested(
    brand_a, brand_b, threshold, amount, status
):
    with tenant_context(brand_a):
        payout_settings_update(actor=None, auto_approve_threshold=threshold)
        affiliate = make_affiliate(brand_a, make_program(cascade_rates=[]))
        _earn(affiliate, "100.00", f"threshold-{threshold}-{amount}")
        withdrawal = withdrawal_request(
            affiliate=affiliate, amount=amount, method="paypal", details={"email": "a@example.com"}
        )
        assert WithdrawalRequest.objects.get(pk=withdrawal.pk).status == status
        assert withdrawal.status == status
    with tenant_context(brand_b):  # brand B keeps its own setting (0: by hand)
        assert payout_settings().auto_approve_threshold == 0
