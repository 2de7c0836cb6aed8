"""Racing deliveries of Stripe Connect events on real connections (committed rows: no
test-wide transaction in this module)."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import close_old_connections, connection
from django_tenants.utils import tenant_context

from accounts.models import Role
from affiliation.selectors import affiliate_balance
from ledger.selectors import ledger_differences
from payouts.models import WithdrawalRequest
from payouts.services.runs import payout_run_create
from tests.conftest import make_user
from tests.payouts.stripe_connect_helpers import (
    events_fixture,  # noqa: F401 - the fixture
    funded_affiliate,
    stripe_on_fixture,  # noqa: F401 - the fixture
    stripe_program,
)
from tests.payouts.test_stripe_connect_provider import _approved, _connected


@pytest.mark.live
def test_racing_deliveries_of_a_reversal_return_the_money_once(live_brands, stripe_on, events):
    """Eight deliveries of transfer.reversed (and of the older transfer.created) race on real
    connections: one applies, the others find it stored; the money is back in available once."""
    from payments.webhooks import webhook_receive

    brand, _ = live_brands
    with tenant_context(brand):
        affiliate = funded_affiliate(brand, stripe_program())
        _connected(affiliate, stripe_on)
        withdrawal = _approved(affiliate, "40.00")
        admin = make_user(brand, role=Role.BRAND_ADMIN)
        (run,) = payout_run_create(actor=admin, withdrawal_ids=[withdrawal.pk])  # sent, paid
        item = run.items.get()
        assert (item.status, WithdrawalRequest.objects.get(pk=withdrawal.pk).status) == ("succeeded", "paid")
    stripe_on.client().v1.transfers.reversals.create(item.remote_id)
    fresh = [e for e in events.new() if e["data"]["object"].get("id") == item.remote_id]
    requests = [stripe_on.webhook_request(event) for event in fresh for _ in range(8)]
    barrier = threading.Barrier(len(requests))
    outcomes: list[tuple[str, str]] = []
    lock = threading.Lock()

    def deliver(request) -> None:
        try:
            barrier.wait()
            result = webhook_receive(request.body, request.headers["Stripe-Signature"])
            with lock:
                outcomes.append((result.status, result.brand))
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=deliver, args=(request,)) for request in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(outcomes) == 16
    assert sorted(status for status, _ in outcomes).count("applied") == 2  # one per event
    assert {name for _, name in outcomes} == {brand.schema_name}
    with tenant_context(brand):
        assert WithdrawalRequest.objects.get(pk=withdrawal.pk).status == "failed"
        balance = affiliate_balance(affiliate)
        assert (balance.available, balance.reserved, balance.paid) == (Decimal(100), 0, 0)
        assert ledger_differences() == []
