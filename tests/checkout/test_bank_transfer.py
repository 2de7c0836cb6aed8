"""The manual bank transfer: the payer's details, the status machine, what confirmation does (order
paid, vouchers, conversion and commission, ledger, invoice) and what rejection undoes."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import connection
from django_tenants.utils import tenant_context

from accounts.models import Role
from affiliation.models import Commission, Conversion, OfferRule
from affiliation.selectors import affiliate_balance
from core.models import AuditEvent
from ledger.models import AccountKind, LedgerAccount, LedgerTransaction
from ledger.owners import BRAND, Owner
from ledger.selectors import ledger_differences
from marketplace.models import OrderStatus, Product, Voucher
from payments.models import Invoice, PaymentStatus
from payments.services.payments import (
    contact_clean,
    payment_confirm,
    payment_reject,
    payment_submit_transaction,
    payment_verify,
)
from payments.tasks import invoice_deliver_task
from tests.checkout.builders import (
    PAYER,
    bank_checkout,
    bank_details,
    fee_plan,
    make_merchant,
    make_product,
    pay_by_bank,
)
from tests.conftest import make_user
from tests.engine import make_affiliate, make_click, make_program


@pytest.fixture
def shop(brand_a):
    with tenant_context(brand_a):
        fee_plan("10")
        bank_details()
        yield (
            make_merchant(brand_a),
            make_user(brand_a, role=Role.CUSTOMER),
            make_user(brand_a, role=Role.BRAND_ADMIN),
        )


def _codes(error: ValidationError) -> dict[str, str]:
    return {field: items[0].code for field, items in error.error_dict.items()}


def _balance(kind: str, merchant=None) -> Decimal:
    owner = Owner.merchant(merchant.pk) if merchant is not None else BRAND
    account = LedgerAccount.objects.filter(
        kind=kind, owner_type=owner.type, owner_id=owner.id, currency="EUR"
    ).first()
    return account.balance if account else Decimal(0)


def test_the_checkout_shows_the_brands_bank_details_and_a_reference(shop):
    merchant, customer, _ = shop
    result = bank_checkout(customer, [(make_product(merchant, price=Decimal("30.00")), 2)])

    instructions = result.bank_transfer
    assert instructions is not None
    assert re.fullmatch(r"PAY-[0-9A-HJKMNP-TV-Z]{10}", instructions.reference)
    assert (instructions.amount, instructions.currency) == (Decimal("60.00"), "EUR")
    assert instructions.iban == "FR1420041010050500013M02606"
    assert instructions.account_holder == "Alpha Brand SAS"
    assert instructions.pay_before == result.order.reserved_until
    payment = result.payment
    assert (payment.status, payment.payer_name, payment.payer_contact) == ("pending", "Ana Doe", "@ana_doe")


def test_a_confirmed_transfer_pays_the_order_once_with_everything_that_follows(
    shop, django_capture_on_commit_callbacks
):
    merchant, customer, admin = shop
    program = make_program(cascade_rates=[Decimal(10)])
    referrer = make_affiliate(connection.tenant, program)
    affiliate = make_affiliate(connection.tenant, program, referrer=referrer)
    spa = make_product(merchant, price=Decimal("49.90"), stock=5, program=program)
    dinner = make_product(merchant, price=Decimal("25.00"), stock=None, program=program)
    OfferRule.objects.create(
        program=program, offer_ref=dinner.offer_ref, commission_kind="percentage", rate=50
    )
    click = make_click(affiliate)

    with django_capture_on_commit_callbacks() as callbacks:
        result = bank_checkout(customer, [(spa, 2), (dinner, 1)], click_id=str(click.id))
        payment = pay_by_bank(result, admin)

    order = result.order
    order.refresh_from_db()
    assert payment.status == PaymentStatus.CONFIRMED
    assert (order.status, order.total) == (OrderStatus.PAID, Decimal("124.80"))
    # A voucher per unit, unguessable, on the lines.
    codes = list(Voucher.objects.filter(line__order=order).values_list("code", flat=True))
    assert len(codes) == 3
    assert len(set(codes)) == 3
    assert all(
        re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", c) for c in codes
    )
    assert Product.objects.get(pk=spa.pk).sold_count == 2
    # One conversion per line with its product's offer: the dinner's rule pays 50 %.
    conversions = {c.order_id: c for c in Conversion.objects.filter(order_id__startswith=order.number)}
    assert set(conversions) == {f"{order.number}:1", f"{order.number}:2"}
    assert conversions[f"{order.number}:1"].offer_ref == spa.offer_ref
    assert conversions[f"{order.number}:1"].click_id == click.id
    earned = dict(
        Commission.objects.filter(conversion__in=conversions.values(), level=0).values_list(
            "conversion__order_id", "amount"
        )
    )
    assert earned == {f"{order.number}:1": Decimal("19.96"), f"{order.number}:2": Decimal("12.50")}
    assert affiliate_balance(referrer).pending == Decimal("12.48")  # 10 % of both lines, one level up
    # The money: customer payments -124.80, merchant +112.32, platform fees +12.48.
    assert _balance(AccountKind.CUSTOMER_PAYMENTS) == Decimal("-124.80")
    assert _balance(AccountKind.MERCHANT_SALES, merchant) == Decimal("112.32")
    assert _balance(AccountKind.PLATFORM_FEES) == Decimal("12.48")
    assert LedgerTransaction.objects.filter(kind="order.paid").count() == 1
    assert ledger_differences() == []
    # The invoice, VAT included at 20 %, numbered for the day.
    invoice = Invoice.objects.get(payment=payment)
    assert re.fullmatch(r"ALP-\d{8}-\d{4}", invoice.number)
    assert (invoice.total, invoice.vat_amount, invoice.subtotal) == (
        Decimal("124.80"),
        Decimal("20.80"),
        Decimal("104.00"),
    )
    assert [(line.quantity, line.line_total) for line in invoice.lines.all()] == [
        (2, Decimal("83.17")),
        (1, Decimal("20.83")),
    ]
    assert invoice.transaction_id == "VIR-2026-0001"
    assert invoice.seller["vat_id"] == "FR40303265045"
    assert "RCS Paris" in invoice.legal_mentions
    assert [
        e.action
        for e in AuditEvent.objects.filter(
            target_type="payments.Payment", target_id=str(payment.pk)
        ).order_by("id")
    ] == [
        "payment.started",
        "payment.transaction_submitted",
        "payment.verified",
        "payment.confirmed",
    ]
    assert len(callbacks) > 0

    # The delivery task: PDF in the brand's storage, emailed with the PDF attached, once.
    mail.outbox.clear()
    invoice_deliver_task.run(invoice.pk)
    invoice_deliver_task.run(invoice.pk)
    invoice.refresh_from_db()
    assert invoice.pdf_key == f"invoices/{invoice.number}.pdf"
    stored = default_storage.open(invoice.pdf_key).read()
    assert stored.startswith(b"%PDF")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ana@example.com"]
    assert invoice.number in message.subject
    assert message.attachments[0][0] == f"{invoice.number}.pdf"
    assert message.attachments[0][1] == stored
    assert message.attachments[0][2] == "application/pdf"


@pytest.mark.parametrize(
    ("channel", "value", "cleaned"),
    [
        ("telegram", "@ana_doe", "@ana_doe"),
        ("telegram", "https://t.me/AnaDoe", "@AnaDoe"),
        ("whatsapp", "+212 6 12-34-56-78", "+212612345678"),
        ("whatsapp", "0033612345678", "+33612345678"),
        ("discord", "Ana.Doe", "ana.doe"),
    ],
)
def test_contacts_are_cleaned_per_channel(channel, value, cleaned):
    assert contact_clean(channel, value) == cleaned


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"contact_channel": "telegram", "contact": "@ab"}, {"contact": "INVALID_CONTACT"}),
        ({"contact_channel": "telegram", "contact": "@1anadoe"}, {"contact": "INVALID_CONTACT"}),
        ({"contact_channel": "whatsapp", "contact": "0612345678"}, {"contact": "INVALID_CONTACT"}),
        ({"contact_channel": "discord", "contact": "ana..doe"}, {"contact": "INVALID_CONTACT"}),
        ({"contact_channel": "signal", "contact": "+33612345678"}, {"contactChannel": "INVALID_CONTACT"}),
        (
            {"payer_name": " ", "payer_email": "nope"},
            {"payer_name": "REQUIRED", "payer_email": "INVALID_EMAIL"},
        ),
    ],
)
def test_bad_payer_details_are_user_errors_and_nothing_is_reserved(shop, changes, errors):
    merchant, customer, _ = shop
    product = make_product(merchant, stock=3)

    with pytest.raises(ValidationError) as error:
        bank_checkout(customer, [(product, 1)], **changes)

    assert _codes(error.value) == errors
    assert Product.objects.get(pk=product.pk).stock == 3
    assert not customer.orders.exists()


@pytest.mark.parametrize(
    ("changes", "contact"),
    [
        ({"contact_channel": "email", "contact": ""}, "ana@example.com"),
        ({"contact_channel": "email", "contact": " Ana.Other@Example.com "}, "ana.other@example.com"),
        ({"contact_channel": "", "contact": ""}, "ana@example.com"),
    ],
)
def test_a_payer_without_messaging_handle_is_reached_by_email(shop, changes, contact):
    """Email is a contact choice (the default): no Telegram, WhatsApp or Discord needed."""
    merchant, customer, _ = shop

    result = bank_checkout(customer, [(make_product(merchant), 1)], **changes)

    assert (result.payment.payer_contact_channel, result.payment.payer_contact) == ("email", contact)


def test_an_email_contact_must_be_an_email(shop):
    merchant, customer, _ = shop
    with pytest.raises(ValidationError) as error:
        bank_checkout(customer, [(make_product(merchant), 1)], contact_channel="email", contact="@ana")
    assert _codes(error.value) == {"contact": "INVALID_CONTACT"}


def test_no_bank_details_no_bank_transfer(shop):
    merchant, customer, _ = shop
    bank_details(bank_iban="", bank_rib="")

    with pytest.raises(ValidationError) as error:
        bank_checkout(customer, [(make_product(merchant), 1)])

    assert _codes(error.value) == {"provider": "PROVIDER_UNAVAILABLE"}


@pytest.mark.parametrize(
    ("path", "illegal"),
    [
        ([], "verify"),
        ([], "confirm"),
        (["submit"], "confirm"),
        (["submit"], "submit"),
        (["submit", "verify"], "submit"),
        (["submit", "verify"], "verify"),
        (["submit", "verify", "confirm"], "confirm"),
        (["submit", "verify", "confirm"], "reject"),
        (["reject"], "submit"),
        (["reject"], "verify"),
        (["reject"], "confirm"),
        (["reject"], "reject"),
    ],
)
def test_illegal_transitions_are_refused_with_a_code(shop, path, illegal):
    merchant, customer, admin = shop
    result = bank_checkout(customer, [(make_product(merchant), 1)])
    actions = {
        "submit": lambda p: payment_submit_transaction(payment=p, actor=customer, transaction_id="TX-123"),
        "verify": lambda p: payment_verify(payment=p, actor=admin),
        "confirm": lambda p: payment_confirm(payment=p, actor=admin),
        "reject": lambda p: payment_reject(payment=p, actor=admin, reason="No transfer received"),
    }
    payment = result.payment
    for step in path:
        payment = actions[step](payment)
    status = payment.status

    with pytest.raises(ValidationError) as error:
        actions[illegal](payment)

    assert _codes(error.value) == {"status": "ILLEGAL_TRANSITION"}
    payment.refresh_from_db()
    assert payment.status == status


def test_a_rejected_payment_cancels_the_order_and_returns_the_stock(shop):
    merchant, customer, admin = shop
    product = make_product(merchant, stock=4)
    result = bank_checkout(customer, [(product, 3)])
    payment = payment_submit_transaction(payment=result.payment, actor=customer, transaction_id="TX-9")
    assert Product.objects.get(pk=product.pk).stock == 1

    rejected = payment_reject(payment=payment, actor=admin, reason="No transfer with this reference")

    assert rejected.status == PaymentStatus.REJECTED
    assert rejected.rejection_reason == "No transfer with this reference"
    result.order.refresh_from_db()
    assert result.order.status == OrderStatus.CANCELLED
    assert Product.objects.get(pk=product.pk).stock == 4
    assert not Invoice.objects.filter(payment=payment).exists()


def test_only_the_payer_submits_and_the_transaction_id_is_checked(shop):
    merchant, customer, _ = shop
    stranger = make_user(connection.tenant, role=Role.CUSTOMER)
    result = bank_checkout(customer, [(make_product(merchant), 1)])

    with pytest.raises(ValidationError) as foreign:
        payment_submit_transaction(payment=result.payment, actor=stranger, transaction_id="TX-1")
    with pytest.raises(ValidationError) as blank:
        payment_submit_transaction(payment=result.payment, actor=customer, transaction_id=" ")
    with pytest.raises(ValidationError) as reason:
        payment_reject(payment=result.payment, actor=customer, reason="  ")

    assert _codes(foreign.value) == {"reference": "NOT_FOUND"}
    assert _codes(blank.value) == {"transactionId": "INVALID_TRANSACTION_ID"}
    assert _codes(reason.value) == {"reason": "REQUIRED"}
    assert PAYER["payer_email"] == result.payment.payer_email


def test_a_reported_transfer_cannot_be_cancelled_by_the_customer(shop):
    from marketplace.services.checkout import order_cancel_unpaid

    merchant, customer, _ = shop
    result = bank_checkout(customer, [(make_product(merchant), 1)])
    payment_submit_transaction(payment=result.payment, actor=customer, transaction_id="TX-5")

    with pytest.raises(ValidationError) as error:
        order_cancel_unpaid(order=result.order, actor=customer)

    assert _codes(error.value) == {"order": "PAYMENT_IN_REVIEW"}
    result.order.refresh_from_db()
    assert result.order.status == OrderStatus.PENDING_PAYMENT


def test_a_click_still_on_its_way_is_attributed_when_the_drain_has_stored_it(shop):
    """The order is paid seconds after the click: the drain has not moved it to Postgres yet. The
    sale stands; its conversion is recorded by a retried task once the click is there."""
    from django.utils import timezone

    from core.ids import new_time_ordered_id
    from marketplace.services.orders import ClickNotYetRecordedError
    from marketplace.tasks import order_conversions_task
    from tracking.models import Click

    merchant, customer, admin = shop
    affiliate = make_affiliate(connection.tenant, make_program(cascade_rates=[]))
    link = make_click(affiliate).link
    click_id = new_time_ordered_id()
    result = bank_checkout(
        customer, [(make_product(merchant, price=Decimal("10.00")), 1)], click_id=str(click_id)
    )

    pay_by_bank(result, admin)

    assert result.order.__class__.objects.get(pk=result.order.pk).status == OrderStatus.PAID
    assert not Conversion.objects.filter(order_id__startswith=result.order.number).exists()
    with pytest.raises(ClickNotYetRecordedError):
        order_conversions_task.run(result.order.pk)
    Click.objects.create(
        id=click_id,
        link=link,
        affiliate_id=affiliate.pk,
        program_id=affiliate.program_id,
        created_at=timezone.now(),
        ip_hash="0" * 32,
        is_unique=True,
    )
    order_conversions_task.run(result.order.pk)
    order_conversions_task.run(result.order.pk)  # redelivered: nothing more

    conversion = Conversion.objects.get(order_id=f"{result.order.number}:1")
    assert conversion.affiliate == affiliate
    assert Commission.objects.get(conversion=conversion).amount == Decimal("2.00")
