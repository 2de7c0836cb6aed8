"""The Stripe Connect payout provider against the fake, through the real payout runs: one
transfer per withdrawal, idempotent across a crash and retry, per-item failures (no transfers
capability, platform balance running out), and the webhooks that settle items: transfer.reversed
returns the money once, whatever the duplicates and the order; a transfer without a payout item
is acknowledged, never failed."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import close_old_connections, connection
from django_tenants.utils import tenant_context

from accounts.models import Role
from affiliation.selectors import affiliate_balance
from ledger.selectors import ledger_differences
from payments.models import StripeEvent
from payouts import providers
from payouts.models import (
    PayoutItemStatus,
    PayoutRun,
    PayoutRunItem,
    PayoutRunStatus,
    StripeConnectAccount,
    WithdrawalRequest,
    WithdrawalStatus,
)
from payouts.providers import ItemStatus, PayoutItem
from payouts.providers.stripe_connect import StripeConnectProvider
from payouts.services import runs as runs_module
from payouts.services import withdrawal_approve, withdrawal_request
from payouts.services.connect import connect_account_refresh, connect_onboarding_start
from payouts.services.runs import payout_run_create, payout_run_send
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


def _run(withdrawals: list[WithdrawalRequest]) -> PayoutRun:
    """The real flow: a brand admin pays the approved withdrawals; the run goes to Stripe."""
    admin = make_user(connection.tenant, role=Role.BRAND_ADMIN)
    (run,) = payout_run_create(actor=admin, withdrawal_ids=[w.pk for w in withdrawals])
    return run


def _crashed_run(withdrawals: list[WithdrawalRequest], monkeypatch) -> PayoutRun:
    """A run whose process died after Stripe answered, before anything was recorded."""

    def crash(**kwargs):
        raise SystemExit("killed after Stripe answered, before anything was recorded")

    with monkeypatch.context() as patch:
        patch.setattr(runs_module, "_record_sent", crash)
        with pytest.raises(SystemExit):
            _run(withdrawals)
    return PayoutRun.objects.get(items__withdrawal_id=withdrawals[0].pk)


def _statuses(withdrawals: list[WithdrawalRequest]) -> list[str]:
    return [WithdrawalRequest.objects.get(pk=w.pk).status for w in withdrawals]


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


def test_a_run_of_three_with_one_failing_returns_its_money_and_reconciles(brand_a, three, stripe_on):
    affiliates, withdrawals = three
    with tenant_context(brand_a):
        # The third account was restricted by Stripe after the withdrawal was approved.
        onboard(stripe_on, withdrawals[2].details["account"], outcome="restricted")

        run = _run(withdrawals)

        assert (run.provider, run.status) == ("stripe", PayoutRunStatus.COMPLETED)
        assert run.remote_batch_id == run.batch_reference
        items = list(run.items.order_by("withdrawal_id"))
        assert [(i.reference, i.status) for i in items] == [
            (_item(withdrawals[0]).reference, PayoutItemStatus.SUCCEEDED),
            (_item(withdrawals[1]).reference, PayoutItemStatus.SUCCEEDED),
            (_item(withdrawals[2]).reference, PayoutItemStatus.FAILED),
        ]
        assert "capabilities" in items[2].error
        transfers = {t.metadata["reference"]: t for t in _transfers(stripe_on, run.batch_reference)}
        assert set(transfers) == {item.reference for item in items[:2]}
        first = transfers[items[0].reference]
        assert first.id == items[0].remote_id
        assert (first.amount, first.currency) == (4000, "eur")
        assert first.destination == withdrawals[0].details["account"]
        assert first.transfer_group == run.batch_reference
        assert first.metadata.to_dict() == {
            "brand": brand_a.schema_name,
            "schema": brand_a.schema_name,
            "reference": items[0].reference,
            "withdrawal_id": str(withdrawals[0].pk),
        }
        assert _statuses(withdrawals) == [
            WithdrawalStatus.PAID,
            WithdrawalStatus.PAID,
            WithdrawalStatus.FAILED,
        ]
        balances = [affiliate_balance(affiliate) for affiliate in affiliates]
        assert [(b.available, b.reserved, b.paid) for b in balances] == [
            (Decimal(60), 0, Decimal(40)),
            (Decimal(60), 0, Decimal(40)),
            (Decimal(100), 0, 0),  # the failed item's money is available again
        ]
        assert ledger_differences() == []


def test_a_crash_after_sending_pays_nobody_twice_on_retry(brand_a, three, stripe_on, monkeypatch):
    affiliates, withdrawals = three
    with tenant_context(brand_a):
        run = _crashed_run(withdrawals, monkeypatch)
        # Stripe made the three transfers; nothing was recorded: the run waits to be sent again.
        assert (run.status, run.send_attempts) == (PayoutRunStatus.SENDING, 1)
        assert len(_transfers(stripe_on, run.batch_reference)) == 3
        assert _statuses(withdrawals) == [WithdrawalStatus.PROCESSING] * 3

        # The retry (payoutRunRetry, the beat job), even without the lookup by transfer group:
        # the idempotency keys (the item references) give the same transfers back.
        monkeypatch.setattr(StripeConnectProvider, "_existing", lambda self, client, batch_reference: {})
        run = payout_run_send(run=run)

        assert (run.status, run.send_attempts) == (PayoutRunStatus.COMPLETED, 2)
        transfers = _transfers(stripe_on, run.batch_reference)
        assert len(transfers) == 3
        assert sorted(run.items.values_list("remote_id", flat=True)) == sorted(t.id for t in transfers)
        assert payout_run_send(run=run).send_attempts == 2  # completed: never sent again
        assert _statuses(withdrawals) == [WithdrawalStatus.PAID] * 3
        for affiliate in affiliates:
            balance = affiliate_balance(affiliate)
            assert (balance.available, balance.reserved, balance.paid) == (Decimal(60), 0, Decimal(40))
        assert ledger_differences() == []


def test_a_batch_sent_again_gets_the_same_transfers_back(brand_a, three, stripe_on, monkeypatch):
    _, withdrawals = three
    with tenant_context(brand_a):
        batch = _batch()
        items = [_item(withdrawal) for withdrawal in withdrawals]
        provider = providers.get("stripe")
        sent = provider.send_batch(batch_reference=batch, items=items)
        retried = provider.send_batch(batch_reference=batch, items=items)  # found by transfer group
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
        except providers.PayoutOutcomeUnknownError as error:
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
    # A racer may meet a key still in flight (Stripe's 409): its outcome is unknown (the run
    # would stay sending and go again), it paid nothing twice.
    for result in results:
        assert [i.status for i in result.items] == [ItemStatus.SUCCEEDED] * 3
        assert sorted(i.remote_id for i in result.items) == sorted(t.id for t in transfers)
    assert len(results) + len(errors) == 4
    assert results


def test_the_platform_balance_running_out_fails_only_the_items_it_cannot_pay(brand_a, three, stripe_on):
    affiliates, withdrawals = three
    set_balance(stripe_on, "eur", 9000)  # 90.00: two of the three 40.00 transfers
    try:
        with tenant_context(brand_a):
            run = _run(withdrawals)
    finally:
        set_balance(stripe_on, "eur", None)
    with tenant_context(brand_a):
        items = list(run.items.order_by("withdrawal_id"))
        assert [item.status for item in items] == [
            PayoutItemStatus.SUCCEEDED,
            PayoutItemStatus.SUCCEEDED,
            PayoutItemStatus.FAILED,
        ]
        assert "insufficient available funds" in items[2].error
        assert len(_transfers(stripe_on, run.batch_reference)) == 2
        assert _statuses(withdrawals) == [
            WithdrawalStatus.PAID,
            WithdrawalStatus.PAID,
            WithdrawalStatus.FAILED,
        ]
        balance = affiliate_balance(affiliates[2])
        assert (balance.available, balance.reserved, balance.paid) == (Decimal(100), 0, 0)
        assert ledger_differences() == []


def test_a_reference_sent_before_in_another_batch_stays_pending(brand_a, three, stripe_on):
    _, withdrawals = three
    with tenant_context(brand_a):
        provider = providers.get("stripe")
        (first,) = provider.send_batch(batch_reference=_batch(), items=[_item(withdrawals[0])]).items
        (again,) = provider.send_batch(batch_reference=_batch(), items=[_item(withdrawals[0])]).items
    assert first.status == ItemStatus.SUCCEEDED
    assert again.status == ItemStatus.PENDING  # never FAILED: the money was sent under that key
    assert "same parameters" in again.error


def test_an_unreachable_stripe_leaves_the_outcome_unknown(brand_a, three, stripe_on, settings):
    _, withdrawals = three
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    with tenant_context(brand_a), pytest.raises(providers.PayoutOutcomeUnknownError):
        providers.get("stripe").send_batch(batch_reference=_batch(), items=[_item(withdrawals[0])])


def test_a_run_stripe_could_not_answer_stays_sending_and_is_never_approved_again(
    brand_a, three, stripe_on, settings
):
    """Earlier transfers of a batch may exist when Stripe fails part-way: the withdrawals keep
    their money reserved and the run is sent again with the same keys, never refused."""
    _, withdrawals = three
    base = settings.STRIPE_API_BASE
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    with tenant_context(brand_a):
        run = _run(withdrawals[:2])
        assert run.status == PayoutRunStatus.SENDING
        assert "Not sent yet" in run.error
        assert _statuses(withdrawals[:2]) == [WithdrawalStatus.PROCESSING] * 2
        settings.STRIPE_API_BASE = base
        run = payout_run_send(run=run)
        assert run.status == PayoutRunStatus.COMPLETED
        assert _statuses(withdrawals[:2]) == [WithdrawalStatus.PAID] * 2
        assert ledger_differences() == []


def test_a_reversed_transfer_returns_the_money_once(brand_a, three, stripe_on, events, monkeypatch):
    affiliates, withdrawals = three
    events.new()  # earlier tests' events: not these
    with tenant_context(brand_a):
        run = _crashed_run([withdrawals[0]], monkeypatch)  # sent, nothing recorded
        assert _statuses([withdrawals[0]]) == [WithdrawalStatus.PROCESSING]
    (created,) = events.new(types=("transfer.created",))
    transfer_id = created["data"]["object"]["id"]
    assert events.post(created).status_code == 200  # the webhook settles the crashed run's item
    with tenant_context(brand_a):
        assert _statuses([withdrawals[0]]) == [WithdrawalStatus.PAID]
        assert run.items.get().remote_id == transfer_id

    stripe_on.client().v1.transfers.reversals.create(transfer_id)
    (reversed_event,) = events.new(types=("transfer.reversed",))
    for _ in range(3):  # delivered, then redelivered twice
        assert events.post(reversed_event).status_code == 200
    assert events.post(created).status_code == 200  # and an old transfer.created again

    with tenant_context(brand_a):
        run = payout_run_send(run=run)  # the crashed run sent again finds the transfer: no effect
        assert run.status == PayoutRunStatus.COMPLETED
        assert run.items.get().status == PayoutItemStatus.RETURNED
        assert len(_transfers(stripe_on, run.batch_reference)) == 1
        assert _statuses([withdrawals[0]]) == [WithdrawalStatus.FAILED]
        balance = affiliate_balance(affiliates[0])
        assert (balance.available, balance.reserved, balance.paid) == (Decimal(100), 0, 0)
        assert ledger_differences() == []


def test_a_reversal_delivered_before_the_creation_gives_the_same_end(
    brand_a, three, stripe_on, events, monkeypatch
):
    affiliates, withdrawals = three
    events.new()  # earlier tests' events: not these
    with tenant_context(brand_a):
        run = _crashed_run([withdrawals[1]], monkeypatch)
    (created,) = events.new(types=("transfer.created",))
    transfer_id = created["data"]["object"]["id"]
    stripe_on.client().v1.transfers.reversals.create(transfer_id)
    (reversed_event,) = events.new(types=("transfer.reversed",))
    for event in (reversed_event, created, reversed_event):
        assert events.post(event).status_code == 200

    with tenant_context(brand_a):
        assert payout_run_send(run=run).status == PayoutRunStatus.COMPLETED
        assert run.items.get().status == PayoutItemStatus.FAILED
        assert _statuses([withdrawals[1]]) == [WithdrawalStatus.FAILED]
        balance = affiliate_balance(affiliates[1])
        assert (balance.available, balance.reserved, balance.paid) == (Decimal(100), 0, 0)
        assert ledger_differences() == []


def test_a_partial_reversal_is_left_for_a_person(brand_a, three, stripe_on, events):
    affiliates, withdrawals = three
    events.new()  # earlier tests' events: not these
    with tenant_context(brand_a):
        item = _run([withdrawals[2]]).items.get()
        assert item.status == PayoutItemStatus.SUCCEEDED
    stripe_on.client().v1.transfers.reversals.create(item.remote_id, params={"amount": 1000})
    (partial,) = events.new(types=("transfer.reversed",))
    response = events.post(partial)
    assert response.status_code == 200
    with tenant_context(brand_a):
        assert StripeEvent.objects.get(event_id=partial["id"]).outcome == (
            f"payout item {item.reference} partially reversed: not settled"
        )
        item.refresh_from_db()
        assert item.status == PayoutItemStatus.SUCCEEDED
        assert _statuses([withdrawals[2]]) == [WithdrawalStatus.PAID]
        assert affiliate_balance(affiliates[2]).paid == Decimal(40)
        assert ledger_differences() == []


def test_brand_b_transfers_never_touch_brand_a(brand_a, brand_b, three, stripe_on, events):
    affiliates_a, withdrawals_a = three
    events.new()  # earlier tests' events: not these
    with tenant_context(brand_b):
        affiliate_b = funded_affiliate(brand_b, stripe_program())
        _connected(affiliate_b, stripe_on)
        withdrawal_b = _approved(affiliate_b, "40.00")
        item_b = _run([withdrawal_b]).items.get()
        # Brand B's first withdrawal may have the id of one of brand A's: the schema tells them apart.
        assert item_b.reference == f"{brand_b.schema_name}.w{withdrawal_b.pk}"
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
        assert not PayoutRunItem.objects.exists()
        assert not StripeConnectAccount.objects.filter(account_id=withdrawal_b.details["account"]).exists()


def test_a_transfer_without_a_payout_item_is_acknowledged_not_failed(brand_a, three, stripe_on, events):
    """A transfer of brand A carrying an item reference this brand has no item for (made by hand
    in the dashboard, or its run was refused): the webhook answers 200, stores the outcome,
    moves no money; Stripe does not redeliver it forever."""
    affiliates, withdrawals = three
    events.new()  # earlier tests' events: not these
    with tenant_context(brand_a):
        account = withdrawals[0].details["account"]
        reference = _item(withdrawals[0]).reference
    transfer = stripe_on.client().v1.transfers.create(
        params={
            "amount": 4000,
            "currency": "eur",
            "destination": account,
            "metadata": {"brand": brand_a.schema_name, "reference": reference},
        }
    )
    stripe_on.client().v1.transfers.reversals.create(transfer.id)
    posted = events.new(types=("transfer.created", "transfer.reversed"))
    assert [e["type"] for e in posted] == ["transfer.created", "transfer.reversed"]
    for event in posted:
        response = events.post(event)
        assert response.status_code == 200
        assert response.json()["status"] == "applied"
    with tenant_context(brand_a):
        assert [StripeEvent.objects.get(event_id=e["id"]).outcome for e in posted] == [
            f"no payout item {reference}: not settled"
        ] * 2
        assert _statuses([withdrawals[0]]) == [WithdrawalStatus.APPROVED]
        balance = affiliate_balance(affiliates[0])
        assert (balance.available, balance.reserved, balance.paid) == (Decimal(60), Decimal(40), 0)
        assert ledger_differences() == []


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
