"""Payout runs through the PayPal fake: the batch, its webhooks, crashes, duplicates, races."""

from __future__ import annotations

import datetime as dt
import json
import threading
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import close_old_connections, connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Role
from affiliation.selectors import affiliate_balance
from affiliation.services import commissions_release_due, conversion_record
from ledger.models import LedgerTransaction
from ledger.selectors import ledger_differences
from payouts.models import (
    PayoutItemStatus,
    PayoutRun,
    PayoutRunItem,
    PayoutRunStatus,
    WithdrawalRequest,
    WithdrawalStatus,
)
from payouts.providers import ItemStatus
from payouts.services import runs as runs_module
from payouts.services import withdrawal_approve, withdrawal_mark_paid, withdrawal_request
from payouts.services.runs import (
    PayoutReferenceError,
    payout_item_settle,
    payout_run_create,
    payout_run_send,
    payout_runs_resume,
)
from payouts.services.withdrawals import withdrawal_apply, withdrawal_lock
from tests.conftest import make_user
from tests.engine import make_affiliate, make_click, make_program

pytestmark = pytest.mark.timeout(300)  # a loaded machine: PayPal fake round trips and webhooks


def _earn(affiliate: Any, amount: str, order_id: str) -> None:
    click = make_click(affiliate)
    sale = (Decimal(amount) * 5).quantize(Decimal("0.01"))
    conversion_record(
        source="postback", order_id=order_id, amount=str(sale), currency="EUR", click_id=str(click.id)
    )
    commissions_release_due(now=timezone.now() + dt.timedelta(days=31))


_orders = iter(range(1, 10_000))


def approved_withdrawal(
    brand: Any, program: Any, admin: Any, email: str, amount: str = "40.00"
) -> WithdrawalRequest:
    """An affiliate with 100.00 available who asked for ``amount`` by PayPal, approved."""
    affiliate = make_affiliate(brand, program)
    _earn(affiliate, "100.00", f"run-{next(_orders)}-{email}")
    withdrawal = withdrawal_request(
        affiliate=affiliate, amount=amount, method="paypal", details={"email": email}
    )
    return withdrawal_approve(actor=admin, withdrawal=withdrawal)


def balances(withdrawal: WithdrawalRequest) -> tuple[Decimal, Decimal, Decimal]:
    balance = affiliate_balance(withdrawal.affiliate)
    return balance.available, balance.reserved, balance.paid


def ledger_kinds(withdrawal: WithdrawalRequest) -> list[str]:
    return sorted(
        LedgerTransaction.objects.filter(
            idempotency_key__startswith=f"withdrawal:{withdrawal.pk}:"
        ).values_list("kind", flat=True)
    )


@pytest.fixture
def admin_a(brand_a):
    return make_user(brand_a, role=Role.BRAND_ADMIN)


@pytest.fixture
def program_a(brand_a):
    with tenant_context(brand_a):
        return make_program(cascade_rates=[])


def test_a_batch_of_three_with_one_failing_returns_its_money(paypal, brand_a, admin_a, program_a):
    with tenant_context(brand_a):
        withdrawals = [
            approved_withdrawal(brand_a, program_a, admin_a, email)
            for email in ("ana@example.com", "fail@example.com", "carl@example.com")
        ]
        [run] = payout_run_create(actor=admin_a, withdrawal_ids=[w.pk for w in withdrawals])

        assert run.status == PayoutRunStatus.SENT
        assert run.batch_reference == f"{brand_a.schema_name}.run{run.pk}"
        assert run.totals == {"EUR": "120.0000"} or run.totals == {"EUR": "120.00"}
        [batch] = paypal.batches_for(run.batch_reference)
        assert run.remote_batch_id == batch["batch_header"]["payout_batch_id"]
        for withdrawal in withdrawals:
            withdrawal.refresh_from_db()
            assert withdrawal.status == WithdrawalStatus.PROCESSING
            assert balances(withdrawal) == (Decimal(60), Decimal(40), 0)

    deliveries = paypal.process(run.remote_batch_id)
    assert sorted(d["event"]["event_type"] for d in deliveries) == [
        "PAYMENT.PAYOUTS-ITEM.FAILED",
        "PAYMENT.PAYOUTS-ITEM.SUCCEEDED",
        "PAYMENT.PAYOUTS-ITEM.SUCCEEDED",
        "PAYMENT.PAYOUTSBATCH.SUCCESS",
    ]
    paypal.post_all(deliveries)

    with tenant_context(brand_a):
        ana, failing, carl = (WithdrawalRequest.objects.get(pk=w.pk) for w in withdrawals)
        assert (ana.status, failing.status, carl.status) == ("paid", "failed", "paid")
        assert balances(ana) == (Decimal(60), 0, Decimal(40))
        assert balances(failing) == (Decimal(100), 0, 0)  # the money is back in available
        assert "RECEIVER_UNREGISTERED" in failing.failure_reason
        assert ana.payment_reference == PayoutRunItem.objects.get(withdrawal=ana).remote_id != ""
        run.refresh_from_db()
        assert run.status == PayoutRunStatus.COMPLETED
        assert sorted(run.items.values_list("status", flat=True)) == ["failed", "succeeded", "succeeded"]
        assert ledger_differences() == []
    assert len(paypal.state.payments) >= 2
    assert {
        p["receiver"] for p in paypal.state.payments if p["sender_item_id"].startswith(brand_a.schema_name)
    } >= {
        "ana@example.com",
        "carl@example.com",
    }


def test_duplicated_and_reordered_webhooks_have_one_effect(paypal, brand_a, admin_a, program_a):
    with tenant_context(brand_a):
        paid = approved_withdrawal(brand_a, program_a, admin_a, "paid@example.com")
        returned = approved_withdrawal(brand_a, program_a, admin_a, "return@example.com")
        failed = approved_withdrawal(brand_a, program_a, admin_a, "fail@example.com")
        [run] = payout_run_create(actor=admin_a, withdrawal_ids=[paid.pk, returned.pk, failed.pk])
    paypal.state.duplicates = True
    deliveries = paypal.process(run.remote_batch_id)
    assert len(deliveries) == 2 * 5  # 4 item events + the batch's, each twice
    # Reordered: newest first (RETURNED before SUCCEEDED, batch event first), then all again.
    paypal.post_all(list(reversed(deliveries)))
    paypal.post_all(deliveries)

    with tenant_context(brand_a):
        paid, returned, failed = (WithdrawalRequest.objects.get(pk=w.pk) for w in (paid, returned, failed))
        assert (paid.status, returned.status, failed.status) == ("paid", "failed", "failed")
        assert balances(paid) == (Decimal(60), 0, Decimal(40))
        assert balances(returned) == (Decimal(100), 0, 0)
        assert balances(failed) == (Decimal(100), 0, 0)
        assert ledger_kinds(paid) == ["withdrawal.paid", "withdrawal.reserved"]
        assert ledger_kinds(failed) == ["withdrawal.failed", "withdrawal.reserved"]
        # The return came first: the money never left reserved for paid, once back in available.
        assert ledger_kinds(returned) in (
            ["withdrawal.failed", "withdrawal.reserved"],
            ["withdrawal.paid", "withdrawal.reserved", "withdrawal.returned"],
        )
        assert ledger_differences() == []


def test_a_return_after_success_takes_the_money_back_once(paypal, brand_a, admin_a, program_a):
    with tenant_context(brand_a):
        withdrawal = approved_withdrawal(brand_a, program_a, admin_a, "return@example.com")
        [run] = payout_run_create(actor=admin_a, withdrawal_ids=[withdrawal.pk])
    deliveries = paypal.process(run.remote_batch_id)
    succeeded, returned = (d for d in deliveries if "ITEM" in d["event"]["event_type"])
    assert returned["event"]["event_type"] == "PAYMENT.PAYOUTS-ITEM.RETURNED"

    paypal.post_all([succeeded, succeeded])
    with tenant_context(brand_a):
        withdrawal.refresh_from_db()
        assert withdrawal.status == WithdrawalStatus.PAID
        assert balances(withdrawal) == (Decimal(60), 0, Decimal(40))
    paypal.post_all([returned, succeeded, returned])
    with tenant_context(brand_a):
        withdrawal.refresh_from_db()
        assert withdrawal.status == WithdrawalStatus.FAILED
        assert PayoutRunItem.objects.get(withdrawal=withdrawal).status == PayoutItemStatus.RETURNED
        assert balances(withdrawal) == (Decimal(100), 0, 0)
        assert ledger_kinds(withdrawal) == ["withdrawal.paid", "withdrawal.reserved", "withdrawal.returned"]
        assert ledger_differences() == []


def test_a_crash_between_sending_and_recording_pays_nobody_twice(
    paypal, brand_a, admin_a, program_a, monkeypatch
):
    with tenant_context(brand_a):
        withdrawals = [
            approved_withdrawal(brand_a, program_a, admin_a, email)
            for email in ("crash1@example.com", "crash2@example.com")
        ]
        real_record = runs_module._record_sent

        def crash(**kwargs: Any) -> Any:
            raise SystemExit("killed after PayPal answered, before anything was recorded")

        monkeypatch.setattr(runs_module, "_record_sent", crash)
        with pytest.raises(SystemExit):
            payout_run_create(actor=admin_a, withdrawal_ids=[w.pk for w in withdrawals])
        run = PayoutRun.objects.get()
        assert (run.status, run.remote_batch_id, run.send_attempts) == (PayoutRunStatus.SENDING, "", 1)
        assert len(paypal.batches_for(run.batch_reference)) == 1  # PayPal has the batch

        monkeypatch.setattr(runs_module, "_record_sent", real_record)
        run = payout_run_send(run=run)  # the retry (mutation or beat job): same sender_batch_id

        [batch] = paypal.batches_for(run.batch_reference)
        assert (run.status, run.send_attempts) == (PayoutRunStatus.SENT, 2)
        assert run.remote_batch_id == batch["batch_header"]["payout_batch_id"]
        assert payout_run_send(run=run).status == PayoutRunStatus.SENT  # sent: nothing more

    paypal.post_all(paypal.process(run.remote_batch_id))
    with tenant_context(brand_a):
        for withdrawal in withdrawals:
            withdrawal.refresh_from_db()
            assert withdrawal.status == WithdrawalStatus.PAID
            assert len(paypal.payments_to(f"{brand_a.schema_name}.w{withdrawal.pk}")) == 1
        assert ledger_differences() == []


def test_an_unreachable_paypal_leaves_the_run_to_send_again(paypal, brand_a, admin_a, program_a):
    paypal.state.fail_next_creates = 1  # PayPal made the batch, the answer is a 503
    with tenant_context(brand_a):
        withdrawal = approved_withdrawal(brand_a, program_a, admin_a, "late@example.com")
        [run] = payout_run_create(actor=admin_a, withdrawal_ids=[withdrawal.pk])
        assert run.status == PayoutRunStatus.SENDING
        assert "Not sent yet" in run.error
        withdrawal.refresh_from_db()
        assert withdrawal.status == WithdrawalStatus.PROCESSING

        PayoutRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - dt.timedelta(minutes=10))
        assert payout_runs_resume() == 1  # the beat job
        run.refresh_from_db()
        assert run.status == PayoutRunStatus.SENT
        assert len(paypal.batches_for(run.batch_reference)) == 1


def test_a_refused_batch_sends_nothing_and_approves_the_withdrawals_again(
    paypal, brand_a, admin_a, program_a, settings
):
    settings.PAYPAL_CLIENT_SECRET = "wrong"
    from payouts.providers import paypal as paypal_provider

    paypal_provider._token.clear()
    with tenant_context(brand_a):
        withdrawal = approved_withdrawal(brand_a, program_a, admin_a, "refused@example.com")
        [run] = payout_run_create(actor=admin_a, withdrawal_ids=[withdrawal.pk])

        assert run.status == PayoutRunStatus.REFUSED
        assert "invalid_client" in run.error
        withdrawal.refresh_from_db()
        assert withdrawal.status == WithdrawalStatus.APPROVED
        assert balances(withdrawal) == (Decimal(60), Decimal(40), 0)
        assert run.items.get().status == PayoutItemStatus.CANCELED
    settings.PAYPAL_CLIENT_SECRET = "EfakeSecretForTests"
    paypal_provider._token.clear()
    with tenant_context(brand_a):
        [again] = payout_run_create(actor=admin_a, withdrawal_ids=[withdrawal.pk])  # a new run pays it
        assert again.status == PayoutRunStatus.SENT


def test_an_unclaimed_item_stays_processing_with_the_reason(paypal, brand_a, admin_a, program_a):
    with tenant_context(brand_a):
        withdrawal = approved_withdrawal(brand_a, program_a, admin_a, "unclaimed@example.com")
        [run] = payout_run_create(actor=admin_a, withdrawal_ids=[withdrawal.pk])
    paypal.post_all(paypal.process(run.remote_batch_id))
    with tenant_context(brand_a):
        withdrawal.refresh_from_db()
        item = PayoutRunItem.objects.get(withdrawal=withdrawal)
        assert withdrawal.status == WithdrawalStatus.PROCESSING
        assert item.status == PayoutItemStatus.PENDING
        assert item.error.startswith("Unclaimed")
        assert balances(withdrawal) == (Decimal(60), Decimal(40), 0)


@pytest.mark.parametrize(
    ("status", "method", "code"),
    [
        ("requested", "paypal", "ILLEGAL_TRANSITION"),
        ("paid", "paypal", "ILLEGAL_TRANSITION"),
        ("approved", "bank_transfer", "MANUAL_METHOD"),
    ],
)
def test_only_approved_automated_withdrawals_are_run(
    paypal, brand_a, admin_a, program_a, status, method, code
):
    with tenant_context(brand_a):
        affiliate = make_affiliate(brand_a, program_a)
        _earn(affiliate, "100.00", f"only-{status}-{method}")
        details = (
            {"email": "x@example.com"}
            if method == "paypal"
            else {"iban": "FR14 2004 1010 0505 0001 3M02 606", "account_holder": "Ana Doe"}
        )
        withdrawal = withdrawal_request(affiliate=affiliate, amount="20.00", method=method, details=details)
        if status != "requested":
            withdrawal_approve(actor=admin_a, withdrawal=withdrawal)
        if status == "paid":
            withdrawal_mark_paid(actor=admin_a, withdrawal=withdrawal, payment_reference="by hand")

        with pytest.raises(ValidationError) as error:
            payout_run_create(actor=admin_a, withdrawal_ids=[withdrawal.pk])

        assert error.value.error_dict["withdrawalIds"][0].code == code
        assert not PayoutRun.objects.exists()
        assert WithdrawalRequest.objects.get(pk=withdrawal.pk).status == status


def test_an_unconfigured_provider_is_refused(paypal, brand_a, admin_a, program_a, settings):
    settings.PAYPAL_CLIENT_ID = ""
    with tenant_context(brand_a):
        withdrawal = approved_withdrawal(brand_a, program_a, admin_a, "x@example.com")
        with pytest.raises(ValidationError) as error:
            payout_run_create(actor=admin_a, withdrawal_ids=[withdrawal.pk])
        assert error.value.error_dict["withdrawalIds"][0].code == "PROVIDER_NOT_CONFIGURED"


# --- webhooks: signatures and brands ------------------------------------------------------------


def test_a_webhook_that_paypal_does_not_verify_is_refused_and_changes_nothing(
    paypal, brand_a, admin_a, program_a
):
    with tenant_context(brand_a):
        withdrawal = approved_withdrawal(brand_a, program_a, admin_a, "fail@example.com")
        [run] = payout_run_create(actor=admin_a, withdrawal_ids=[withdrawal.pk])
    [failed, _batch] = paypal.process(run.remote_batch_id)
    forged = json.loads(json.dumps(failed["event"]))
    forged["event_type"] = "PAYMENT.PAYOUTS-ITEM.SUCCEEDED"
    forged["resource"]["transaction_status"] = "SUCCESS"

    answers = [
        paypal.post(failed, body=json.dumps(forged).encode()).status_code,  # body changed after signing
        paypal.post(failed, **{"PAYPAL-TRANSMISSION-SIG": "c2lnbmF0dXJl"}).status_code,
        paypal.post(failed, **{"PAYPAL-TRANSMISSION-ID": "another"}).status_code,
        paypal.post(failed, **{"PAYPAL-CERT-URL": None}).status_code,  # type: ignore[arg-type]
        paypal.post(failed, body=b"not json").status_code,
    ]

    assert answers == [400] * 5
    with tenant_context(brand_a):
        withdrawal.refresh_from_db()
        assert withdrawal.status == WithdrawalStatus.PROCESSING
        assert balances(withdrawal) == (Decimal(60), Decimal(40), 0)
    assert paypal.post(failed).status_code == 200  # the genuine one still applies


def test_a_webhook_for_another_webhook_id_is_refused(paypal, brand_a, admin_a, program_a, settings):
    with tenant_context(brand_a):
        withdrawal = approved_withdrawal(brand_a, program_a, admin_a, "ok@example.com")
        [run] = payout_run_create(actor=admin_a, withdrawal_ids=[withdrawal.pk])
    deliveries = paypal.process(run.remote_batch_id)
    settings.PAYPAL_WEBHOOK_ID = "WH-SOMEONE-ELSE"
    assert paypal.post(deliveries[0]).status_code == 400
    with tenant_context(brand_a):
        withdrawal.refresh_from_db()
        assert withdrawal.status == WithdrawalStatus.PROCESSING


def test_a_webhook_of_brand_a_never_touches_brand_b(paypal, brand_a, brand_b, admin_a, program_a):
    admin_b = make_user(brand_b, role=Role.BRAND_ADMIN)
    with tenant_context(brand_b):
        program_b = make_program(cascade_rates=[])
        other = approved_withdrawal(brand_b, program_b, admin_b, "b@example.com")
        [run_b] = payout_run_create(actor=admin_b, withdrawal_ids=[other.pk])
    with tenant_context(brand_a):
        mine = approved_withdrawal(brand_a, program_a, admin_a, "fail@example.com")
        [run_a] = payout_run_create(actor=admin_a, withdrawal_ids=[mine.pk])
        # Brand A's reference settled in brand B's schema is refused, whatever the ids.
    with tenant_context(brand_b):
        with pytest.raises(PayoutReferenceError):
            payout_item_settle(reference=f"{brand_a.schema_name}.w{mine.pk}", status=ItemStatus.FAILED)
        with pytest.raises(PayoutReferenceError):
            payout_item_settle(reference=f"{brand_b.schema_name}.w{mine.pk + 999}", status=ItemStatus.FAILED)

    paypal.post_all(paypal.process(run_a.remote_batch_id))

    with tenant_context(brand_a):
        assert WithdrawalRequest.objects.get(pk=mine.pk).status == WithdrawalStatus.FAILED
    with tenant_context(brand_b):
        other.refresh_from_db()
        assert other.status == WithdrawalStatus.PROCESSING  # untouched
        assert balances(other) == (Decimal(60), Decimal(40), 0)
        assert PayoutRunItem.objects.get(withdrawal=other).status == PayoutItemStatus.PENDING
        assert run_b.remote_batch_id != run_a.remote_batch_id


def test_a_webhook_for_an_unknown_brand_is_acknowledged_and_ignored(paypal, brand_a, admin_a, program_a):
    with tenant_context(brand_a):
        withdrawal = approved_withdrawal(brand_a, program_a, admin_a, "ok@example.com")
        [run] = payout_run_create(actor=admin_a, withdrawal_ids=[withdrawal.pk])
    [item_event, _] = paypal.process(run.remote_batch_id)
    event = item_event["event"]
    event["resource"]["payout_item"]["sender_item_id"] = f"nosuchbrand.w{withdrawal.pk}"
    # re-sign for the changed event (as PayPal would have signed it)
    [resigned] = paypal.state.deliveries_for([event])
    response = paypal.post(resigned)
    assert (response.status_code, response.json()["status"]) == (200, "unrouted")
    with tenant_context(brand_a):
        assert WithdrawalRequest.objects.get(pk=withdrawal.pk).status == WithdrawalStatus.PROCESSING


# --- the race ---------------------------------------------------------------------------------


@pytest.mark.live
def test_racing_outcomes_move_the_money_exactly_once(live_brands):
    """16 threads deliver SUCCEEDED and FAILED (returned) for the same item at once: whatever
    the interleaving, the withdrawal ends failed with its money available, each ledger movement
    at most once, and the ledger balanced."""
    brand, _ = live_brands
    with tenant_context(brand):
        admin = make_user(brand, role=Role.BRAND_ADMIN)
        program = make_program(cascade_rates=[])
        withdrawal = approved_withdrawal(brand, program, admin, "race@example.com")
        run = PayoutRun.objects.create(
            provider="paypal", batch_reference=f"{brand.schema_name}.run-race", status="sent"
        )
        reference = f"{brand.schema_name}.w{withdrawal.pk}"
        PayoutRunItem.objects.create(run=run, withdrawal=withdrawal, reference=reference)
        from django.db import transaction

        with transaction.atomic():
            withdrawal_apply(
                actor=admin, locked=withdrawal_lock(withdrawal.pk), to=WithdrawalStatus.PROCESSING
            )
    barrier = threading.Barrier(16)
    errors: list[BaseException] = []

    def settle(status: ItemStatus) -> None:
        try:
            with tenant_context(brand):
                barrier.wait()
                payout_item_settle(reference=reference, status=status, remote_id="ITEM1", error="returned")
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            close_old_connections()
            connection.close()

    threads = [
        threading.Thread(target=settle, args=(ItemStatus.SUCCEEDED if i % 2 else ItemStatus.FAILED,))
        for i in range(16)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    with tenant_context(brand):
        withdrawal.refresh_from_db()
        assert withdrawal.status == WithdrawalStatus.FAILED
        assert balances(withdrawal) == (Decimal(100), 0, 0)
        kinds = ledger_kinds(withdrawal)
        assert kinds in (
            ["withdrawal.failed", "withdrawal.reserved"],
            ["withdrawal.paid", "withdrawal.reserved", "withdrawal.returned"],
        )
        run.refresh_from_db()
        assert run.status == PayoutRunStatus.COMPLETED
        assert ledger_differences() == []
