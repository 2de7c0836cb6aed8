"""The Stripe Connect payout provider against the fake: one transfer per withdrawal, idempotent
across a crash and retry, per-item failures (no transfers capability, platform balance running
out), and the webhooks that settle items: transfer.reversed returns the money once, whatever the
duplicates and the order."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import close_old_connections, connection
from django_tenants.utils import tenant_context

from accounts.models import Role
from affiliation.selectors import affiliate_balance
from ledger.selectors import ledger_differences
from payouts import providers
from payouts.models import StripeConnectAccount, WithdrawalRequest, WithdrawalStatus
from payouts.providers import ItemStatus, PayoutItem
from payouts.providers.stripe_connect import StripeConnectProvider
from payouts.services import withdrawal_approve, withdrawal_request
from payouts.services.runs import payout_item_settle
from payouts.services_connect import connect_account_refresh, connect_onboarding_start
from tests.conftest import make_user
from tests.connect_fixtures import onboard, set_balance
from tests.payouts.stripe_connect_helpers import (
    events_fixture,  # noqa: F401 - the fixture
    funded_affiliate,
    stripe_on_fixture,  # noqa: F401 - the fixture
    stripe_program,
)

pytestmark = pytest.mark.django_db

_runs = iter(range(1, 10_000))


def _connected(affiliate, fake, *, outcome: str | None = "complete") -> str:
    account, _ = connect_onboarding_start(user=affiliate.user)
    if outcome:
        onboard(fake, account.account_id, outcome=outcome)
        connect_account_refresh(user=affiliate.user)
    return account.account_id


def _approved(affiliate, amount: str) -> WithdrawalRequest:
    admin = make_user(connection.tenant, role=Role.BRAND_ADMIN)
    withdrawal = withdrawal_request(affiliate=affiliate, amount=amount, method="stripe", details={})
    return withdrawal_approve(actor=admin, withdrawal=withdrawal)


def _item(withdrawal: WithdrawalRequest) -> PayoutItem:
    return PayoutItem(
        withdrawal_id=withdrawal.pk,
        amount=withdrawal.amount,
        currency=withdrawal.currency,
        details=withdrawal.details,
        reference=f"{connection.schema_name}.w{withdrawal.pk}",
    )


def _batch() -> str:
    return f"{connection.schema_name}.stripe-run-{next(_runs)}-{threading.get_ident()}"


def _transfers(fake, batch: str) -> list:
    return list(fake.client().v1.transfers.list(params={"transfer_group": batch, "limit": 100}).data)


@pytest.fixture
def three(brand_a, stripe_on):
    """Three affiliates of brand A with 100.00 EUR each and an approved 40.00 withdrawal by
    Stripe; the third one's account later loses its transfers capability."""
    with tenant_context(brand_a):
        program = stripe_program()
        affiliates = [funded_affiliate(brand_a, program) for _ in range(3)]
        for affiliate in affiliates:
            _connected(affiliate, stripe_on)
        withdrawals = [_approved(affiliate, "40.00") for affiliate in affiliates]
        yield affiliates, withdrawals


def test_the_provider_is_registered_as_the_stripe_method(stripe_on):
    provider = providers.get("stripe")
    assert isinstance(provider, StripeConnectProvider)
    assert provider.is_configured()
    assert provider.automated


def test_a_batch_of_three_with_one_failing_then_settled_reconciles(brand_a, three, stripe_on):
    affiliates, withdrawals = three
    with tenant_context(brand_a):
        # The third account was restricted by Stripe after the withdrawal was approved.
        onboard(stripe_on, withdrawals[2].details["account"], outcome="restricted")
        batch = _batch()

        result = providers.get("stripe").send_batch(
            batch_reference=batch, items=[_item(withdrawal) for withdrawal in withdrawals]
        )

        assert result.remote_batch_id == batch
        statuses = [(item.reference, item.status) for item in result.items]
        assert statuses == [
            (_item(withdrawals[0]).reference, ItemStatus.SUCCEEDED),
            (_item(withdrawals[1]).reference, ItemStatus.SUCCEEDED),
            (_item(withdrawals[2]).reference, ItemStatus.FAILED),
        ]
        assert "capabilities" in result.items[2].error
        transfers = {t.metadata["reference"]: t for t in _transfers(stripe_on, batch)}
        assert set(transfers) == {item.reference for item in result.items[:2]}
        first = transfers[result.items[0].reference]
        assert first.id == result.items[0].remote_id
        assert (first.amount, first.currency) == (4000, "eur")
        assert first.destination == withdrawals[0].details["account"]
        assert first.transfer_group == batch
        assert first.metadata.to_dict() == {
            "brand": brand_a.schema_name,
            "schema": brand_a.schema_name,
            "reference": result.items[0].reference,
            "withdrawal_id": str(withdrawals[0].pk),
        }

        for item in result.items:
            payout_item_settle(
                reference=item.reference, status=item.status, remote_id=item.remote_id, error=item.error
            )

        balances = [affiliate_balance(affiliate) for affiliate in affiliates]
        assert [(b.available, b.reserved, b.paid) for b in balances] == [
            (Decimal(60), 0, Decimal(40)),
            (Decimal(60), 0, Decimal(40)),
            (Decimal(100), 0, 0),  # the failed item's money is available again
        ]
        assert ledger_differences() == []


def test_a_crash_after_sending_pays_nobody_twice_on_retry(brand_a, three, stripe_on, monkeypatch):
    _, withdrawals = three
    with tenant_context(brand_a):
        batch = _batch()
        items = [_item(withdrawal) for withdrawal in withdrawals]
        provider = providers.get("stripe")
        sent = provider.send_batch(batch_reference=batch, items=items)
        # ...the process dies here: nothing recorded. The run is retried with the same references.
        retried = provider.send_batch(batch_reference=batch, items=items)
        assert [i.remote_id for i in retried.items] == [i.remote_id for i in sent.items]

        # Even without the lookup by transfer group, the idempotency keys keep it at one transfer.
        monkeypatch.setattr(StripeConnectProvider, "_existing", lambda self, client, batch_reference: {})
        blind = provider.send_batch(batch_reference=batch, items=items)
        assert [i.remote_id for i in blind.items] == [i.remote_id for i in sent.items]
        assert len(_transfers(stripe_on, batch)) == 3


def test_concurrent_sends_of_one_batch_make_one_transfer_per_item(brand_a, three, stripe_on):
    _, withdrawals = three
    with tenant_context(brand_a):
        batch = _batch()
        items = [_item(withdrawal) for withdrawal in withdrawals]
    results: list = []
    errors: list = []

    def send() -> None:
        try:
            results.append(StripeConnectProvider().send_batch(batch_reference=batch, items=items))
        except providers.PayoutProviderError as error:
            errors.append(error)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    transfers = _transfers(stripe_on, batch)
    assert len(transfers) == 3
    # A racer may meet a key still in flight (Stripe's 409): it failed the batch, paid nothing.
    for result in results:
        assert [i.status for i in result.items] == [ItemStatus.SUCCEEDED] * 3
        assert sorted(i.remote_id for i in result.items) == sorted(t.id for t in transfers)
    assert len(results) + len(errors) == 4
    assert results


def test_the_platform_balance_running_out_fails_only_the_items_it_cannot_pay(brand_a, three, stripe_on):
    _, withdrawals = three
    set_balance(stripe_on, "eur", 9000)  # 90.00: two of the three 40.00 transfers
    try:
        with tenant_context(brand_a):
            result = providers.get("stripe").send_batch(
                batch_reference=_batch(), items=[_item(withdrawal) for withdrawal in withdrawals]
            )
    finally:
        set_balance(stripe_on, "eur", None)
    assert [item.status for item in result.items] == [
        ItemStatus.SUCCEEDED,
        ItemStatus.SUCCEEDED,
        ItemStatus.FAILED,
    ]
    assert "insufficient available funds" in result.items[2].error


def test_a_reference_sent_before_in_another_batch_stays_pending(brand_a, three, stripe_on):
    _, withdrawals = three
    with tenant_context(brand_a):
        provider = providers.get("stripe")
        (first,) = provider.send_batch(batch_reference=_batch(), items=[_item(withdrawals[0])]).items
        (again,) = provider.send_batch(batch_reference=_batch(), items=[_item(withdrawals[0])]).items
    assert first.status == ItemStatus.SUCCEEDED
    assert again.status == ItemStatus.PENDING  # never FAILED: the money was sent under that key
    assert "same parameters" in again.error


def test_an_unreachable_stripe_fails_the_whole_batch(brand_a, three, stripe_on, settings):
    _, withdrawals = three
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    with tenant_context(brand_a), pytest.raises(providers.PayoutProviderError):
        providers.get("stripe").send_batch(batch_reference=_batch(), items=[_item(withdrawals[0])])


def test_a_reversed_transfer_returns_the_money_once(brand_a, three, stripe_on, events):
    affiliates, withdrawals = three
    with tenant_context(brand_a):
        batch = _batch()
        result = providers.get("stripe").send_batch(batch_reference=batch, items=[_item(withdrawals[0])])
        (item,) = result.items
    (created,) = [
        e for e in events.new(types=("transfer.created",)) if e["data"]["object"]["id"] == item.remote_id
    ]
    assert events.post(created).status_code == 200  # the webhook settles the item (no run record needed)
    with tenant_context(brand_a):
        assert WithdrawalRequest.objects.get(pk=withdrawals[0].pk).status == WithdrawalStatus.PAID

    stripe_on.client().v1.transfers.reversals.create(item.remote_id)
    (reversed_event,) = events.new(types=("transfer.reversed",))
    for _ in range(3):  # delivered, then redelivered twice
        assert events.post(reversed_event).status_code == 200
    assert events.post(created).status_code == 200  # and an old transfer.created again

    with tenant_context(brand_a):
        withdrawal = WithdrawalRequest.objects.get(pk=withdrawals[0].pk)
        assert withdrawal.status == "failed"
        balance = affiliate_balance(affiliates[0])
        assert (balance.available, balance.reserved, balance.paid) == (Decimal(100), 0, 0)
        assert ledger_differences() == []


def test_a_reversal_delivered_before_the_creation_gives_the_same_end(brand_a, three, stripe_on, events):
    affiliates, withdrawals = three
    with tenant_context(brand_a):
        result = providers.get("stripe").send_batch(batch_reference=_batch(), items=[_item(withdrawals[1])])
        (item,) = result.items
    stripe_on.client().v1.transfers.reversals.create(item.remote_id)
    fresh = [e for e in events.new() if e["data"]["object"].get("id") == item.remote_id]
    assert [e["type"] for e in fresh] == ["transfer.created", "transfer.reversed"]
    for event in reversed(fresh):
        assert events.post(event).status_code == 200

    with tenant_context(brand_a):
        assert WithdrawalRequest.objects.get(pk=withdrawals[1].pk).status == "failed"
        balance = affiliate_balance(affiliates[1])
        assert (balance.available, balance.reserved, balance.paid) == (Decimal(100), 0, 0)
        assert ledger_differences() == []


def test_a_partial_reversal_is_left_for_a_person(brand_a, three, stripe_on, events):
    affiliates, withdrawals = three
    with tenant_context(brand_a):
        (item,) = (
            providers.get("stripe").send_batch(batch_reference=_batch(), items=[_item(withdrawals[2])]).items
        )
        payout_item_settle(reference=item.reference, status=item.status, remote_id=item.remote_id)
    stripe_on.client().v1.transfers.reversals.create(item.remote_id, params={"amount": 1000})
    (partial,) = events.new(types=("transfer.reversed",))
    response = events.post(partial)
    assert response.status_code == 200
    with tenant_context(brand_a):
        assert WithdrawalRequest.objects.get(pk=withdrawals[2].pk).status == WithdrawalStatus.PAID
        assert affiliate_balance(affiliates[2]).paid == Decimal(40)


def test_brand_b_transfers_never_touch_brand_a(brand_a, brand_b, three, stripe_on, events):
    affiliates_a, withdrawals_a = three
    with tenant_context(brand_b):
        affiliate_b = funded_affiliate(brand_b, stripe_program())
        _connected(affiliate_b, stripe_on)
        withdrawal_b = _approved(affiliate_b, "40.00")
        (item_b,) = (
            providers.get("stripe").send_batch(batch_reference=_batch(), items=[_item(withdrawal_b)]).items
        )
    stripe_on.client().v1.transfers.reversals.create(item_b.remote_id)
    for event in events.new(types=("transfer.created", "transfer.reversed")):
        assert events.post(event).status_code == 200

    with tenant_context(brand_b):
        assert WithdrawalRequest.objects.get(pk=withdrawal_b.pk).status == "failed"
        assert affiliate_balance(affiliate_b).available == Decimal(100)
    with tenant_context(brand_a):
        # Brand A's withdrawals (whatever their ids) are untouched, still approved and reserved.
        assert {w.status for w in WithdrawalRequest.objects.filter(pk__in=[w.pk for w in withdrawals_a])} == {
            WithdrawalStatus.APPROVED
        }
        assert [affiliate_balance(a).reserved for a in affiliates_a] == [Decimal(40)] * 3
        assert not StripeConnectAccount.objects.filter(account_id=withdrawal_b.details["account"]).exists()


def test_a_forged_reference_of_another_brand_is_not_applied(brand_a, brand_b, three, stripe_on, events):
    """A transfer routed to brand B (metadata.brand) whose reference names brand A's schema is
    ignored in B and never reaches A."""
    _, withdrawals_a = three
    with tenant_context(brand_a):
        account = withdrawals_a[0].details["account"]
        reference = _item(withdrawals_a[0]).reference
    transfer = stripe_on.client().v1.transfers.create(
        params={
            "amount": 4000,
            "currency": "eur",
            "destination": account,
            "metadata": {"brand": brand_b.schema_name, "reference": reference},
        }
    )
    stripe_on.client().v1.transfers.reversals.create(transfer.id)
    for event in events.new(types=("transfer.created", "transfer.reversed")):
        response = events.post(event)
        assert response.status_code == 200
        assert response.json()["status"] == "applied"
    with tenant_context(brand_a):
        assert WithdrawalRequest.objects.get(pk=withdrawals_a[0].pk).status == WithdrawalStatus.APPROVED
