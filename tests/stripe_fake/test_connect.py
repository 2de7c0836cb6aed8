"""The fake's Stripe Connect: Express accounts and their onboarding link, transfers (idempotency,
capability and balance refusals), reversals, failing connected-account payouts, and Connect
webhook endpoints that alone receive connected accounts' events."""

from __future__ import annotations

import json
import urllib.request

import pytest
import stripe

from tests.connect_fixtures import connect_receiver, fail_payout, onboard, set_balance, visit
from tests.stripe_fixtures import webhook_receiver


@pytest.fixture
def client(fake_stripe):
    return fake_stripe.client(max_network_retries=0)


def _express(client, **extra):
    return client.v1.accounts.create(
        params={
            "type": "express",
            "country": "FR",
            "email": "ana@example.com",
            "capabilities": {"transfers": {"requested": True}},
            **extra,
        }
    )


def test_an_express_account_has_stripe_s_shape_and_is_not_onboarded(client):
    account = _express(client, metadata={"brand": "alpha"})

    assert account.id.startswith("acct_")
    assert account.object == "account"
    assert account.type == "express"
    assert account.country == "FR"
    assert account.default_currency == "eur"
    assert account.email == "ana@example.com"
    assert account.capabilities.to_dict() == {"transfers": "inactive"}
    assert (account.details_submitted, account.charges_enabled, account.payouts_enabled) == (
        False,
        False,
        False,
    )
    assert "external_account" in account.requirements.currently_due
    assert account.requirements.disabled_reason == "requirements.past_due"
    assert account.controller.stripe_dashboard.type == "express"
    assert account.metadata.to_dict() == {"brand": "alpha"}
    assert client.v1.accounts.retrieve(account.id).id == account.id


def test_controller_properties_make_an_express_account_too(client):
    account = client.v1.accounts.create(
        params={
            "controller": {
                "stripe_dashboard": {"type": "express"},
                "fees": {"payer": "application"},
                "losses": {"payments": "application"},
            },
            "capabilities": {"transfers": {"requested": True}},
        }
    )
    assert account.type == "express"
    assert account.controller.fees.payer == "application"

    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.accounts.create(params={"type": "express", "controller": {"fees": {"payer": "account"}}})
    assert refused.value.param == "controller"


def test_the_onboarding_link_completes_the_account_once_and_tells_the_connect_endpoint(fake_stripe, client):
    account = _express(client)
    with connect_receiver(fake_stripe) as connect, webhook_receiver(fake_stripe) as platform:
        link = client.v1.account_links.create(
            params={
                "account": account.id,
                "refresh_url": "https://alpha.example/wallet?stripe=refresh",
                "return_url": "https://alpha.example/wallet?stripe=return",
                "type": "account_onboarding",
            }
        )
        assert link.object == "account_link"
        assert link.expires_at == link.created + 300
        assert link.url.startswith(fake_stripe.url + "/connect/onboarding/")

        assert visit(link.url) == (302, "https://alpha.example/wallet?stripe=return")
        assert visit(link.url) == (302, "https://alpha.example/wallet?stripe=refresh")  # single use

        (event,) = connect.events()
        assert platform.events() == []  # a connected account's event: Connect endpoints only
    assert event.type == "account.updated"
    assert event.account == account.id
    assert event.data.object.capabilities.transfers == "active"
    assert event.data.previous_attributes.payouts_enabled is False
    onboarded = client.v1.accounts.retrieve(account.id)
    assert (onboarded.details_submitted, onboarded.charges_enabled, onboarded.payouts_enabled) == (
        True,
        True,
        True,
    )
    assert onboarded.requirements.currently_due == []
    assert onboarded.external_accounts.data[0].object == "bank_account"


def test_a_restricted_onboarding_submits_details_but_keeps_payouts_off(fake_stripe, client):
    account = _express(client)
    onboard(fake_stripe, account.id, outcome="restricted")
    restricted = client.v1.accounts.retrieve(account.id)
    assert restricted.details_submitted is True
    assert restricted.payouts_enabled is False
    assert restricted.capabilities.transfers == "inactive"
    assert restricted.requirements.disabled_reason == "requirements.pending_verification"


def test_account_links_refuse_bad_input(client):
    account = _express(client)
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        client.v1.account_links.create(
            params={
                "account": "acct_nope",
                "refresh_url": "https://a/r",
                "return_url": "https://a/r",
                "type": "account_onboarding",
            }
        )
    assert unknown.value.code == "resource_missing"
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.account_links.create(
            params={"account": account.id, "type": "account_onboarding", "refresh_url": "https://a/r"}
        )
    assert missing.value.param == "return_url"


def test_a_transfer_needs_the_transfers_capability(client):
    account = _express(client)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.transfers.create(params={"amount": 1000, "currency": "eur", "destination": account.id})
    assert refused.value.code == "insufficient_capabilities_for_transfer"
    assert "transfers" in refused.value.user_message
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.transfers.create(params={"amount": 1000, "currency": "eur", "destination": "acct_nope"})
    assert missing.value.param == "destination"


def test_transfers_are_idempotent_on_their_key(fake_stripe, client):
    account = _express(client)
    onboard(fake_stripe, account.id)
    params = {
        "amount": 2500,
        "currency": "eur",
        "destination": account.id,
        "transfer_group": "alpha.run1",
        "metadata": {"reference": "alpha.w1"},
    }
    with webhook_receiver(fake_stripe) as platform:
        first = client.v1.transfers.create(params=params, options={"idempotency_key": "alpha.w1"})
        again = client.v1.transfers.create(params=params, options={"idempotency_key": "alpha.w1"})
        assert platform.types() == ["transfer.created"]  # the replay made nothing

    assert again.id == first.id
    assert first.object == "transfer"
    assert (first.amount, first.currency, first.destination) == (2500, "eur", account.id)
    assert (first.amount_reversed, first.reversed) == (0, False)
    assert first.transfer_group == "alpha.run1"
    assert first.destination_payment.startswith("py_")
    assert first.reversals.total_count == 0
    assert [t.id for t in client.v1.transfers.list(params={"transfer_group": "alpha.run1"}).data] == [
        first.id
    ]
    with pytest.raises(stripe.IdempotencyError):
        client.v1.transfers.create(params={**params, "amount": 2600}, options={"idempotency_key": "alpha.w1"})
    assert client.v1.transfers.retrieve(first.id).amount == 2500


def test_a_transfer_beyond_the_platform_balance_is_refused(fake_stripe, client):
    account = _express(client)
    onboard(fake_stripe, account.id)
    set_balance(fake_stripe, "eur", 3000)
    try:
        client.v1.transfers.create(params={"amount": 2000, "currency": "eur", "destination": account.id})
        with pytest.raises(stripe.InvalidRequestError) as refused:
            client.v1.transfers.create(params={"amount": 2000, "currency": "eur", "destination": account.id})
        assert refused.value.code == "balance_insufficient"
        assert "insufficient available funds" in refused.value.user_message
        assert client.v1.balance.retrieve().available[0].amount == 1000
    finally:
        set_balance(fake_stripe, "eur", None)


def test_a_reversal_tells_the_platform_endpoint_and_cannot_exceed_the_transfer(fake_stripe, client):
    account = _express(client)
    onboard(fake_stripe, account.id)
    transfer = client.v1.transfers.create(
        params={"amount": 5000, "currency": "eur", "destination": account.id}
    )
    with connect_receiver(fake_stripe) as connect, webhook_receiver(fake_stripe) as platform:
        partial = client.v1.transfers.reversals.create(transfer.id, params={"amount": 2000})
        rest = client.v1.transfers.reversals.create(transfer.id)
        assert connect.events() == []
        reversed_events = platform.events()

    assert partial.object == "transfer_reversal"
    assert (partial.amount, partial.transfer) == (2000, transfer.id)
    assert rest.amount == 3000
    assert [event.type for event in reversed_events] == ["transfer.reversed", "transfer.reversed"]
    assert reversed_events[0].data.object.reversed is False
    assert reversed_events[1].data.object.reversed is True
    assert reversed_events[1].data.object.amount_reversed == 5000
    assert getattr(reversed_events[1], "account", None) is None
    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.transfers.reversals.create(transfer.id)
    assert again.value.code == "transfer_already_reversed"
    assert client.v1.transfers.retrieve(transfer.id).reversals.total_count == 2


def test_a_failed_payout_of_a_connected_account_reaches_connect_endpoints_signed(fake_stripe, client):
    account = _express(client)
    onboard(fake_stripe, account.id)
    with connect_receiver(fake_stripe) as connect, webhook_receiver(fake_stripe) as platform:
        payout = fail_payout(fake_stripe, account.id, amount=1234, currency="eur", failure_code="no_account")
        (event,) = connect.events()
        assert platform.events() == []
        assert connect.rejected() == []  # verified with the Connect endpoint's own secret

    assert payout["object"] == "payout"
    assert payout["id"].startswith("po_")
    assert (payout["status"], payout["failure_code"], payout["amount"]) == ("failed", "no_account", 1234)
    assert event.type == "payout.failed"
    assert event.account == account.id
    assert event.data.object.id == payout["id"]
    assert event.data.object.failure_message.startswith("The bank account details")
    assert '"_account"' not in json.dumps(event.to_dict())  # the fake's bookkeeping stays inside


def test_webhook_endpoints_take_the_connect_flag(fake_stripe):
    request = urllib.request.Request(
        fake_stripe.url + "/v1/webhook_endpoints",
        data=b"url=https%3A%2F%2Fexample.com%2Fhook&enabled_events[]=account.updated&connect=true",
        headers={"Authorization": f"Bearer {fake_stripe.api_key}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        endpoint = json.loads(response.read())
    try:
        assert endpoint["object"] == "webhook_endpoint"
        assert endpoint["enabled_events"] == ["account.updated"]
    finally:
        fake_stripe.remove_webhook_endpoint(endpoint["id"])
