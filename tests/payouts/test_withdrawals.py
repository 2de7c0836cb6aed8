from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import close_old_connections, connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Role
from affiliation.services import commissions_release_due, conversion_record
from ledger.selectors import affiliate_balance, ledger_differences
from payouts.models import WithdrawalRequest, WithdrawalStatus
from payouts.services import withdrawal_approve, withdrawal_mark_paid, withdrawal_reject, withdrawal_request
from tests.conftest import make_user
from tests.engine import make_affiliate, make_click, make_program
from tests.notifications.conftest import providers as providers  # the fixture

PAYPAL = {"email": "Me@Example.com"}
BANK = {"iban": "FR14 2004 1010 0505 0001 3M02 606", "account_holder": "Ana Doe", "bic": "PSSTFRPPLIL"}


def _earn(affiliate, amount: str, order_id: str) -> None:
    """A sale worth ``amount`` of commission (20 %), released from the hold."""
    click = make_click(affiliate)
    sale = (Decimal(amount) * 5).quantize(Decimal("0.01"))
    conversion_record(
        source="postback", order_id=order_id, amount=str(sale), currency="EUR", click_id=str(click.id)
    )
    commissions_release_due(now=timezone.now() + dt.timedelta(days=31))


@pytest.fixture
def funded(brand_a):
    """An affiliate with 100.00 EUR available."""
    with tenant_context(brand_a):
        affiliate = make_affiliate(brand_a, make_program(cascade_rates=[]))
        _earn(affiliate, "100.00", "fund-1")
        yield affiliate


def test_a_withdrawal_reserves_the_money_then_is_paid(funded):
    admin = make_user(connection.tenant, role=Role.BRAND_ADMIN)

    withdrawal = withdrawal_request(affiliate=funded, amount="60.00", method="paypal", details=PAYPAL)
    balance = affiliate_balance(funded)
    assert (balance.available, balance.reserved) == (Decimal(40), Decimal(60))
    assert withdrawal.details == {"email": "me@example.com"}

    withdrawal_approve(actor=admin, withdrawal=withdrawal)
    paid = withdrawal_mark_paid(actor=admin, withdrawal=withdrawal, payment_reference="PP-123")

    balance = affiliate_balance(funded)
    assert paid.status == WithdrawalStatus.PAID
    assert (balance.available, balance.reserved, balance.paid) == (Decimal(40), 0, Decimal(60))
    assert ledger_differences() == []


def test_a_rejected_withdrawal_releases_the_reservation(funded):
    admin = make_user(connection.tenant, role=Role.BRAND_ADMIN)
    withdrawal = withdrawal_request(affiliate=funded, amount="30.00", method="bank_transfer", details=BANK)

    withdrawal_reject(actor=admin, withdrawal=withdrawal, reason="Account holder name does not match")

    balance = affiliate_balance(funded)
    assert (balance.available, balance.reserved) == (Decimal(100), 0)
    assert withdrawal.__class__.objects.get(pk=withdrawal.pk).details["iban"] == "FR1420041010050500013M02606"


@pytest.mark.parametrize(
    ("amount", "method", "details", "field", "code"),
    [
        ("100.01", "paypal", PAYPAL, "amount", "INSUFFICIENT_BALANCE"),
        ("9.99", "paypal", PAYPAL, "amount", "BELOW_MINIMUM"),
        ("0", "paypal", PAYPAL, "amount", "INVALID"),
        ("20.00", "paypal", {"email": "nope"}, "details.email", "INVALID_EMAIL"),
        (
            "20.00",
            "bank_transfer",
            {"iban": "FR00 1234", "account_holder": "A"},
            "details.iban",
            "INVALID_IBAN",
        ),
        ("20.00", "bank_transfer", {"iban": BANK["iban"]}, "details.accountHolder", "INVALID"),
        ("20.00", "crypto", {}, "method", "METHOD_NOT_ALLOWED"),
    ],
)
def test_bad_requests_get_a_field_error_and_reserve_nothing(funded, amount, method, details, field, code):
    with pytest.raises(ValidationError) as error:
        withdrawal_request(affiliate=funded, amount=amount, method=method, details=details)

    assert list(error.value.error_dict) == [field]
    assert error.value.error_dict[field][0].code == code
    assert affiliate_balance(funded).available == Decimal(100)
    assert not WithdrawalRequest.objects.filter(affiliate=funded).exists()


def test_a_method_the_program_does_not_allow(funded):
    program = funded.program
    program.withdrawal_methods = ["bank_transfer"]
    program.save()
    funded.refresh_from_db()

    with pytest.raises(ValidationError) as error:
        withdrawal_request(affiliate=funded, amount="20.00", method="paypal", details=PAYPAL)

    assert error.value.error_dict["method"][0].code == "METHOD_NOT_ALLOWED"


@pytest.mark.parametrize(
    ("path", "illegal"),
    [
        (["paid"], "approve"),
        (["reject"], "approve"),
        (["reject"], "paid"),
        ([], "paid"),
    ],
)
def test_illegal_transitions_are_refused(funded, path, illegal):
    admin = make_user(connection.tenant, role=Role.BRAND_ADMIN)
    withdrawal = withdrawal_request(affiliate=funded, amount="20.00", method="paypal", details=PAYPAL)
    actions = {
        "approve": lambda: withdrawal_approve(actor=admin, withdrawal=withdrawal),
        "paid": lambda: withdrawal_mark_paid(actor=admin, withdrawal=withdrawal),
        "reject": lambda: withdrawal_reject(actor=admin, withdrawal=withdrawal, reason="no"),
    }
    if path == ["paid"]:
        actions["approve"]()
    for step in path:
        actions[step]()
    before = affiliate_balance(funded)

    with pytest.raises(ValidationError) as error:
        actions[illegal]()

    assert error.value.error_dict["status"][0].code == "ILLEGAL_TRANSITION"
    assert affiliate_balance(funded) == before


@pytest.mark.live
def test_concurrent_withdrawals_never_overdraw(live_brands):
    """24 requests of 15.00 race for 100.00: exactly six succeed, the balance never goes negative."""
    brand, _ = live_brands
    with tenant_context(brand):
        affiliate = make_affiliate(brand, make_program(cascade_rates=[]))
        _earn(affiliate, "100.00", "race-fund")
    barrier = threading.Barrier(24)
    outcomes: list[str] = []
    lock = threading.Lock()

    def request() -> None:
        try:
            with tenant_context(brand):
                barrier.wait()
                try:
                    withdrawal_request(affiliate=affiliate, amount="15.00", method="paypal", details=PAYPAL)
                    outcome = "ok"
                except ValidationError as error:
                    outcome = error.error_dict["amount"][0].code
            with lock:
                outcomes.append(outcome)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=request) for _ in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    with tenant_context(brand):
        balance = affiliate_balance(affiliate)
        assert sorted(set(outcomes)) == ["INSUFFICIENT_BALANCE", "ok"]
        assert outcomes.count("ok") == 6
        assert (balance.available, balance.reserved) == (Decimal("10.00"), Decimal("90.00"))
        assert WithdrawalRequest.objects.filter(affiliate=affiliate).count() == 6
        assert ledger_differences() == []


def test_the_affiliate_is_emailed_once_per_status(funded, django_capture_on_commit_callbacks):
    from django.core import mail

    from payouts.tasks import withdrawal_status_email_task

    admin = make_user(connection.tenant, role=Role.BRAND_ADMIN)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks() as callbacks:
        withdrawal = withdrawal_request(affiliate=funded, amount="20.00", method="paypal", details=PAYPAL)
        withdrawal_reject(actor=admin, withdrawal=withdrawal, reason="PayPal account closed")

    withdrawal_status_email_task.run(withdrawal.pk)
    withdrawal_status_email_task.run(withdrawal.pk)  # a redelivered task sends nothing more

    # Per step, after commit: the domain event's dispatch, the affiliate's and the admin queue's
    # live events, the email.
    assert len(callbacks) == 8
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [funded.user.email]
    assert "rejected" in mail.outbox[0].body
    assert "PayPal account closed" in mail.outbox[0].body


def test_a_withdrawal_request_reaches_the_brand_channels_subscribed_to_it(
    funded, providers, monkeypatch, django_capture_on_commit_callbacks
):
    """The brand admin's Telegram channel hears about a new request, through the real task."""
    from notifications.services import channel_configure
    from notifications.tasks import deliver_notification_task
    from tests.notifications.conftest import CHANNELS, TELEGRAM_CHAT

    admin = make_user(connection.tenant, role=Role.BRAND_ADMIN)
    channel_configure(actor=admin, kind="telegram", events=["withdrawal.requested"], **CHANNELS["telegram"])
    channel_configure(actor=admin, kind="discord", events=["invoice.created"], **CHANNELS["discord"])
    enqueued: list[tuple] = []
    monkeypatch.setattr(
        deliver_notification_task, "apply_async", lambda args, **options: enqueued.append(args)
    )
    with django_capture_on_commit_callbacks(execute=True):
        withdrawal_request(affiliate=funded, amount="25.00", method="paypal", details=PAYPAL)

    (arguments,) = enqueued  # the Discord channel did not subscribe to withdrawals
    deliver_notification_task.apply(args=arguments)
    (message,) = providers.telegram.received
    assert message.json["chat_id"] == TELEGRAM_CHAT
    assert "25.00 EUR" in message.json["text"]
    assert funded.user.email in message.json["text"]
