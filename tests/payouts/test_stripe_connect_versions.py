"""Stripe Connect events rendered in another API version (an endpoint left on the account's
default, a version upgrade half done): their objects (a transfer, a connected account, a payout
living on the connected account) are read again in the pinned version and applied, never parsed
from the foreign payload; one that cannot be read again is refused (400, nothing stored)."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from accounts.models import Role
from affiliation.selectors import affiliate_balance
from ledger.selectors import ledger_differences
from payments import webhooks
from payments.models import StripeEvent
from payouts.models import PayoutItemStatus, StripeConnectAccount, StripeConnectStatus, WithdrawalRequest
from payouts.services import withdrawal_approve, withdrawal_request
from payouts.services.connect import connect_account_refresh, connect_onboarding_start
from payouts.services.runs import payout_run_create
from tests.conftest import make_user
from tests.connect_fixtures import fail_payout, onboard
from tests.payouts.stripe_connect_helpers import (
    events_fixture,  # noqa: F401 - the fixture
    funded_affiliate,
    stripe_on_fixture,  # noqa: F401 - the fixture
    stripe_program,
)

pytestmark = pytest.mark.django_db

OLD_VERSION = "2024-06-20"


def _in_another_version(event: dict, **snapshot: object) -> dict:
    """The event as an endpoint on another API version receives it; ``snapshot`` changes its
    object so that applying the payload instead of the object read again would show."""
    foreign = copy.deepcopy(event)
    foreign["api_version"] = OLD_VERSION
    foreign["data"]["object"].update(snapshot)
    return foreign


def _connected(affiliate, fake) -> str:
    account, _ = connect_onboarding_start(user=affiliate.user)
    onboard(fake, account.account_id)
    connect_account_refresh(user=affiliate.user)
    return account.account_id


@pytest.fixture
def affiliate_a(brand_a, stripe_on):
    with tenant_context(brand_a):
        return funded_affiliate(brand_a, stripe_program())


def test_every_handled_connect_object_can_be_read_again():
    for object_type in ("transfer", "account", "payout"):
        assert object_type in webhooks._REREADERS


def test_an_account_update_in_another_version_is_read_again_and_applied(
    brand_a, affiliate_a, stripe_on, events
):
    with tenant_context(brand_a):
        account, _ = connect_onboarding_start(user=affiliate_a.user)
    onboard(stripe_on, account.account_id)
    (updated,) = events.new(types=("account.updated",))

    response = events.post(_in_another_version(updated, payouts_enabled=False, details_submitted=False))

    assert response.status_code == 200
    assert response.json()["status"] == "applied"
    with tenant_context(brand_a):
        assert (
            StripeConnectAccount.objects.get(account_id=account.account_id).status
            == StripeConnectStatus.VERIFIED
        )
        assert StripeEvent.objects.filter(event_id=updated["id"]).exists()


def test_a_transfer_reversal_in_another_version_is_read_again_and_returns_the_money(
    brand_a, affiliate_a, stripe_on, events
):
    with tenant_context(brand_a):
        _connected(affiliate_a, stripe_on)
        admin = make_user(connection.tenant, role=Role.BRAND_ADMIN)
        withdrawal = withdrawal_request(affiliate=affiliate_a, amount="40.00", method="stripe", details={})
        withdrawal_approve(actor=admin, withdrawal=withdrawal)
        (run,) = payout_run_create(actor=admin, withdrawal_ids=[withdrawal.pk])
        item = run.items.get()
        assert item.status == PayoutItemStatus.SUCCEEDED
    events.new()
    stripe_on.client().v1.transfers.reversals.create(item.remote_id)
    (reversed_event,) = events.new(types=("transfer.reversed",))

    # The foreign payload says "not reversed": applied as is, it would be a partial reversal.
    response = events.post(_in_another_version(reversed_event, reversed=False, amount_reversed=1000))

    assert response.status_code == 200
    with tenant_context(brand_a):
        item.refresh_from_db()
        assert item.status == PayoutItemStatus.RETURNED
        assert WithdrawalRequest.objects.get(pk=withdrawal.pk).status == "failed"
        balance = affiliate_balance(affiliate_a)
        assert (balance.available, balance.reserved, balance.paid) == (Decimal(100), 0, 0)
        assert ledger_differences() == []


def test_a_failed_payout_in_another_version_is_read_on_its_connected_account(
    brand_a, affiliate_a, stripe_on, events
):
    with tenant_context(brand_a):
        account_id = _connected(affiliate_a, stripe_on)
    events.new()
    payout = fail_payout(stripe_on, account_id, amount=2000, currency="eur", failure_code="account_closed")
    (failed,) = events.new(types=("payout.failed",))
    # The payout exists only on the connected account: the platform alone cannot read it.
    with pytest.raises(Exception, match="No such payout"):
        stripe_on.client().v1.payouts.retrieve(payout["id"])

    response = events.post(_in_another_version(failed, failure_code="no_account", amount=1))

    assert response.status_code == 200
    with tenant_context(brand_a):
        account = StripeConnectAccount.objects.get(account_id=account_id)
        assert account.last_payout_failure["payout"] == payout["id"]
        assert account.last_payout_failure["code"] == "account_closed"
        assert account.last_payout_failure["amount"] == "20.00"


@pytest.mark.parametrize("object_type", ["account", "payout"])
def test_a_connect_event_whose_object_cannot_be_read_again_is_still_refused(
    brand_a, affiliate_a, stripe_on, events, monkeypatch, object_type
):
    with tenant_context(brand_a):
        account_id = _connected(affiliate_a, stripe_on)
    events.new()
    fail_payout(stripe_on, account_id, amount=2000, currency="eur")
    onboard(stripe_on, account_id, outcome="restricted")
    event_type = {"account": "account.updated", "payout": "payout.failed"}[object_type]
    (event,) = events.new(types=(event_type,))
    monkeypatch.delitem(webhooks._REREADERS, object_type)

    response = events.post(_in_another_version(event))

    assert response.status_code == 400
    with tenant_context(brand_a):
        assert not StripeEvent.objects.filter(event_id=event["id"]).exists()
        account = StripeConnectAccount.objects.get(account_id=account_id)
        assert (account.status, account.last_payout_failure) == (StripeConnectStatus.VERIFIED, {})
