"""Stripe Connect for affiliates, against the fake: onboarding from the mutation to a verified
account, status sync on account.updated (duplicated, reordered), withdrawals by Stripe, a failed
bank payout of the connected account, the Connect endpoint's secret, brand isolation and
permissions."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django_tenants.utils import schema_context, tenant_context

from accounts.models import Role
from affiliation.selectors import affiliate_balance
from core.models import OutboxEvent
from payments.models import StripeEvent
from payouts.models import StripeConnectAccount, StripeConnectStatus
from payouts.services import withdrawal_request
from tenants.models import StripeObjectRoute
from tenants.selectors import brand_base_url
from tests.conftest import make_user
from tests.connect_fixtures import fail_payout, onboard, visit
from tests.payouts.stripe_connect_helpers import (
    MINE,
    ONBOARD,
    REFRESH,
    events_fixture,  # noqa: F401 - the fixture
    funded_affiliate,
    stripe_on_fixture,  # noqa: F401 - the fixture
    stripe_program,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def affiliate_a(brand_a):
    with tenant_context(brand_a):
        return funded_affiliate(brand_a, stripe_program())


@pytest.fixture
def affiliate_b(brand_b):
    with tenant_context(brand_b):
        return funded_affiliate(brand_b, stripe_program())


def _onboard(gql, brand, user):
    payload = gql(brand, user).data(ONBOARD)["stripeConnectOnboard"]
    assert payload["errors"] == []
    return payload


def test_onboarding_end_to_end_verifies_the_affiliate(gql, brand_a, affiliate_a, stripe_on, events):
    payload = _onboard(gql, brand_a, affiliate_a.user)

    account_id = payload["account"]["accountId"]
    assert payload["account"]["status"] == "PENDING"
    assert payload["url"].startswith(stripe_on.url + "/connect/onboarding/")
    remote = stripe_on.client().v1.accounts.retrieve(account_id)
    assert remote.type == "express"
    assert remote.email == affiliate_a.user.email
    assert remote.capabilities.transfers == "inactive"
    assert remote.metadata.to_dict() == {"brand": brand_a.schema_name, "user": str(affiliate_a.user.pk)}
    with schema_context("public"):
        assert StripeObjectRoute.objects.get(stripe_id=account_id).tenant_id == brand_a.pk

    # The affiliate finishes Stripe's form and comes back to the wallet, on the brand's host.
    status, location = visit(payload["url"])
    assert (status, location) == (302, brand_base_url(brand_a) + "/wallet?stripe=return")
    (updated,) = events.new(types=("account.updated",))
    assert updated["account"] == account_id
    assert events.post(updated).status_code == 200

    mine = gql(brand_a, affiliate_a.user).data(MINE)["myStripeConnect"]
    assert mine == {
        "accountId": account_id,
        "status": "VERIFIED",
        "detailsSubmitted": True,
        "payoutsEnabled": True,
        "requirementsDue": [],
        "lastPayoutFailure": None,
    }
    with tenant_context(brand_a):
        assert OutboxEvent.objects.filter(name="stripe_connect.updated").count() == 1
        assert (
            StripeEvent.objects.get(event_id=updated["id"]).outcome
            == f"connected account {account_id}: verified"
        )

    # Asking again gives a fresh link to the same account (an update link once verified).
    again = _onboard(gql, brand_a, affiliate_a.user)
    assert again["account"]["accountId"] == account_id
    assert again["url"] != payload["url"]
    with tenant_context(brand_a):
        assert StripeConnectAccount.objects.filter(user=affiliate_a.user).count() == 1


def test_returning_from_stripe_reads_the_status_back_without_a_webhook(gql, brand_a, affiliate_a, stripe_on):
    account_id = _onboard(gql, brand_a, affiliate_a.user)["account"]["accountId"]
    onboard(stripe_on, account_id, outcome="restricted")

    refreshed = gql(brand_a, affiliate_a.user).data(REFRESH)["stripeConnectRefresh"]

    assert refreshed == {"account": {"accountId": account_id, "status": "RESTRICTED"}, "errors": []}
    mine = gql(brand_a, affiliate_a.user).data(MINE)["myStripeConnect"]
    assert mine["payoutsEnabled"] is False
    assert mine["requirementsDue"] == ["individual.verification.document"]


def test_duplicated_and_reordered_account_updates_leave_the_current_status(
    gql, brand_a, affiliate_a, stripe_on, events
):
    account_id = _onboard(gql, brand_a, affiliate_a.user)["account"]["accountId"]
    onboard(stripe_on, account_id, outcome="restricted")
    onboard(stripe_on, account_id, outcome="complete")
    restricted, verified = events.new(types=("account.updated",))

    # Newest first, then the older one, then a duplicate: Stripe's account is what counts.
    for event in (verified, restricted, restricted, verified):
        assert events.post(event).status_code == 200

    with tenant_context(brand_a):
        account = StripeConnectAccount.objects.get(account_id=account_id)
        assert account.status == StripeConnectStatus.VERIFIED
        assert StripeEvent.objects.filter(event_id__in=[restricted["id"], verified["id"]]).count() == 2
        assert OutboxEvent.objects.filter(name="stripe_connect.updated").count() == 1


def test_a_withdrawal_by_stripe_needs_a_verified_account(gql, brand_a, affiliate_a, stripe_on):
    with tenant_context(brand_a):
        with pytest.raises(ValidationError) as not_connected:
            withdrawal_request(affiliate=affiliate_a, amount="20", method="stripe", details={})
        assert not_connected.value.error_dict["method"][0].code == "STRIPE_NOT_CONNECTED"

    account_id = _onboard(gql, brand_a, affiliate_a.user)["account"]["accountId"]
    with tenant_context(brand_a):
        with pytest.raises(ValidationError) as pending:
            withdrawal_request(affiliate=affiliate_a, amount="20", method="stripe", details={})
        assert pending.value.error_dict["method"][0].code == "STRIPE_NOT_VERIFIED"

    onboard(stripe_on, account_id)
    gql(brand_a, affiliate_a.user).data(REFRESH)
    with tenant_context(brand_a):
        withdrawal = withdrawal_request(
            affiliate=affiliate_a, amount="20", method="stripe", details={"account": "acct_someone_else"}
        )
        assert withdrawal.details == {"account": account_id}  # never what the client says
        assert affiliate_balance(affiliate_a).reserved == Decimal(20)


def test_the_withdrawal_mutation_offers_stripe_with_field_errors(gql, brand_a, affiliate_a, stripe_on):
    mutation = """
    mutation($input: WithdrawalRequestInput!) {
      withdrawalRequest(input: $input) { withdrawal { method details } errors { field code } }
    }"""
    variables = {
        "input": {"programId": str(affiliate_a.program_id), "amount": "20", "method": "STRIPE", "details": {}}
    }
    refused = gql(brand_a, affiliate_a.user).data(mutation, variables)["withdrawalRequest"]
    assert refused == {"withdrawal": None, "errors": [{"field": "method", "code": "STRIPE_NOT_CONNECTED"}]}

    account_id = _onboard(gql, brand_a, affiliate_a.user)["account"]["accountId"]
    onboard(stripe_on, account_id)
    gql(brand_a, affiliate_a.user).data(REFRESH)
    done = gql(brand_a, affiliate_a.user).data(mutation, variables)["withdrawalRequest"]
    assert done == {"withdrawal": {"method": "STRIPE", "details": {"account": account_id}}, "errors": []}


def test_a_failed_bank_payout_is_recorded_and_told_once_without_moving_money(
    gql, brand_a, affiliate_a, stripe_on, events
):
    account_id = _onboard(gql, brand_a, affiliate_a.user)["account"]["accountId"]
    onboard(stripe_on, account_id)
    events.new()
    with tenant_context(brand_a):
        before = affiliate_balance(affiliate_a)

    payout = fail_payout(stripe_on, account_id, amount=2000, currency="eur", failure_code="account_closed")
    (failed,) = events.new(types=("payout.failed",))
    assert failed["account"] == account_id
    assert events.post(failed).status_code == 200
    assert events.post(failed).status_code == 200  # a duplicate

    with tenant_context(brand_a):
        account = StripeConnectAccount.objects.get(account_id=account_id)
        assert account.last_payout_failure["payout"] == payout["id"]
        assert account.last_payout_failure["code"] == "account_closed"
        assert account.last_payout_failure["amount"] == "20.00"
        (told,) = OutboxEvent.objects.filter(name="stripe_connect.payout_failed")
        assert told.payload["user_id"] == affiliate_a.user_id
        assert told.payload["failure_message"] == "The bank account has been closed."
        after = affiliate_balance(affiliate_a)
        assert (after.available, after.reserved, after.paid) == (
            before.available,
            before.reserved,
            before.paid,
        )
    mine = gql(brand_a, affiliate_a.user).data(MINE)["myStripeConnect"]
    assert mine["lastPayoutFailure"] == {
        "amount": "20.00",
        "currency": "EUR",
        "code": "account_closed",
        "message": "The bank account has been closed.",
    }


def test_connect_events_need_the_connect_endpoint_secret(
    gql, brand_a, affiliate_a, stripe_on, events, settings
):
    account_id = _onboard(gql, brand_a, affiliate_a.user)["account"]["accountId"]
    onboard(stripe_on, account_id)
    (updated,) = events.new(types=("account.updated",))

    assert events.post(updated, secret="whsec_somebody_else").status_code == 400
    settings.STRIPE_CONNECT_WEBHOOK_SECRET = ""
    assert events.post(updated).status_code == 400  # signed by the Connect endpoint: unknown secret
    with tenant_context(brand_a):
        assert not StripeEvent.objects.filter(event_id=updated["id"]).exists()
        assert StripeConnectAccount.objects.get(account_id=account_id).status == StripeConnectStatus.PENDING


def test_an_event_of_an_account_no_brand_created_is_acknowledged_unrouted(stripe_on, events):
    account = stripe_on.client().v1.accounts.create(params={"type": "express"})
    onboard(stripe_on, account.id)
    (updated,) = events.new(types=("account.updated",))
    response = events.post(updated)
    assert response.status_code == 200
    assert response.json()["status"] == "unrouted"


def test_brand_b_never_sees_brand_a_s_connect_events(
    gql, brand_a, brand_b, affiliate_a, affiliate_b, stripe_on, events
):
    account_a = _onboard(gql, brand_a, affiliate_a.user)["account"]["accountId"]
    account_b = _onboard(gql, brand_b, affiliate_b.user)["account"]["accountId"]
    assert account_a != account_b
    onboard(stripe_on, account_a)
    fail_payout(stripe_on, account_a, amount=500, currency="eur")
    for event in events.new():
        assert events.post(event).status_code == 200

    with tenant_context(brand_a):
        assert StripeConnectAccount.objects.get(account_id=account_a).status == StripeConnectStatus.VERIFIED
        assert StripeConnectAccount.objects.get(account_id=account_a).last_payout_failure
    with tenant_context(brand_b):
        assert not StripeConnectAccount.objects.filter(account_id=account_a).exists()
        mine = StripeConnectAccount.objects.get(account_id=account_b)
        assert (mine.status, mine.last_payout_failure) == (StripeConnectStatus.PENDING, {})
        assert (
            not StripeEvent.objects.exists() or not StripeEvent.objects.filter(object_id=account_a).exists()
        )
        assert not OutboxEvent.objects.filter(name__startswith="stripe_connect.").exists()
    # B's affiliate sees B's account only, even on A's account id.
    assert gql(brand_b, affiliate_b.user).data(MINE)["myStripeConnect"]["accountId"] == account_b


def test_permissions(gql, brand_a, affiliate_a, stripe_on):
    anonymous = gql(brand_a)
    assert anonymous.execute(ONBOARD)["errors"]
    assert anonymous.execute(MINE)["errors"]
    with tenant_context(brand_a):
        customer = make_user(connection.tenant, role=Role.CUSTOMER)
    refused = gql(brand_a, customer).data(ONBOARD)["stripeConnectOnboard"]
    assert refused["url"] is None
    assert refused["errors"] == [
        {"field": "affiliate", "code": "NOT_APPROVED", "message": "Your membership is not approved."}
    ]
    with tenant_context(brand_a):
        assert not StripeConnectAccount.objects.exists()
    assert gql(brand_a, customer).data(MINE)["myStripeConnect"] is None


def test_onboarding_without_stripe_is_a_user_error(gql, brand_a, affiliate_a, settings):
    settings.STRIPE_API_KEY = ""
    refused = gql(brand_a, affiliate_a.user).data(ONBOARD)["stripeConnectOnboard"]
    assert refused["errors"][0]["code"] == "STRIPE_NOT_AVAILABLE"
