"""Invoices: numbered per brand and day with no gaps or duplicates (raced), VAT included in prices
and split to the cent, once per payment, for plans and memberships too."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import close_old_connections, connection, transaction
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Role
from billing.models import Membership, MembershipPlan
from marketplace.services.orders import order_place
from payments.models import Invoice, Payment, PaymentProvider, PaymentStatus
from payments.services.invoices import invoice_issue, invoice_number_next, vat_split
from tests.checkout.builders import bank_details, fee_plan, make_merchant, make_product
from tests.conftest import make_user


def _confirmed_payment(order) -> Payment:
    """A payment of ``order`` as the payments service leaves it once confirmed."""
    return Payment.objects.create(
        reference=f"PAY-T{order.pk:09d}",
        provider=PaymentProvider.BANK_TRANSFER,
        purpose="order",
        status=PaymentStatus.CONFIRMED,
        order=order,
        amount=order.total,
        currency=order.currency,
        payer=order.customer,
        payer_name="Ana Doe",
        payer_email=order.email,
        transaction_id="VIR-1",
        confirmed_at=timezone.now(),
    )


@pytest.mark.parametrize(
    ("gross", "rate", "currency", "vat"),
    [
        ("120.00", "20", "EUR", "20.00"),
        ("99.80", "20", "EUR", "16.63"),
        ("25.00", "20", "EUR", "4.17"),
        ("10.00", "5.5", "EUR", "0.52"),
        ("299.00", "20", "MAD", "49.83"),
        ("1000", "10", "JPY", "91"),
        ("49.90", "0", "EUR", "0"),
    ],
)
def test_vat_is_taken_out_of_vat_inclusive_prices_half_up_to_the_minor_unit(gross, rate, currency, vat):
    split = vat_split(Decimal(gross), Decimal(rate), currency)
    assert split.vat == Decimal(vat)
    assert split.net + split.vat == Decimal(gross)


def _number_then_fail(prefix, day) -> None:
    with transaction.atomic():
        invoice_number_next(prefix, day)
        raise RuntimeError("the invoice's transaction fails")


def test_numbers_follow_the_prefix_and_day_and_a_rolled_back_number_is_reused(brand_a):
    day = timezone.localdate()
    with tenant_context(brand_a):
        first = invoice_number_next("GAP", day)
        with pytest.raises(RuntimeError):
            _number_then_fail("GAP", day)
        second = invoice_number_next("GAP", day)
        other_day = invoice_number_next("GAP", day.replace(year=day.year - 1))

    assert first == f"GAP-{day:%Y%m%d}-0001"
    assert second == f"GAP-{day:%Y%m%d}-0002"  # no gap where the failed one was
    assert other_day.endswith("-0001")


def test_each_brand_numbers_its_own_invoices(brand_a, brand_b):
    day = timezone.localdate()
    with tenant_context(brand_a):
        a = [invoice_number_next("SAME", day) for _ in range(2)]
    with tenant_context(brand_b):
        b = invoice_number_next("SAME", day)
    assert a[-1].endswith("-0002")
    assert b.endswith("-0001")


def test_an_invoice_snapshots_the_seller_and_is_issued_once(brand_a):
    with tenant_context(brand_a):
        fee_plan()
        bank_details(vat_rate=Decimal("20"), invoice_prefix="SNAP")
        customer = make_user(brand_a, role=Role.CUSTOMER)
        order = order_place(
            customer=customer,
            items=[(make_product(make_merchant(brand_a), price=Decimal("12.00")), 3)],
            provider="stripe",
        )
        payment = _confirmed_payment(order)

        invoice = invoice_issue(payment)
        again = invoice_issue(payment)
        bank_details(legal_name="Renamed SAS", vat_rate=Decimal("10"))
        invoice.refresh_from_db()

        assert again.pk == invoice.pk
        assert Invoice.objects.filter(payment=payment).count() == 1
        assert invoice.number.startswith("SNAP-")
        assert invoice.seller["name"] == "Alpha Brand SAS"
        assert (invoice.total, invoice.vat_rate, invoice.vat_amount, invoice.subtotal) == (
            Decimal("36.00"),
            Decimal("20"),
            Decimal("6.00"),
            Decimal("30.00"),
        )
        line = invoice.lines.get()
        assert (line.quantity, line.unit_price, line.line_total) == (3, Decimal("10.0000"), Decimal("30.00"))


def test_a_membership_payment_is_invoiced_with_its_period(brand_a):
    with tenant_context(brand_a):
        bank_details(invoice_prefix="MEM", vat_rate=Decimal("0"))
        member = make_user(brand_a, role=Role.CUSTOMER)
        plan = MembershipPlan.objects.create(code="gold", name="Gold", price=Decimal("19.00"), currency="EUR")
        membership = Membership.objects.create(
            member=member, plan=plan, status="active", provider="bank_transfer"
        )
        start = timezone.now()
        payment = Payment.objects.create(
            reference="PAY-MEMBER0001",
            provider=PaymentProvider.BANK_TRANSFER,
            purpose="membership",
            status=PaymentStatus.CONFIRMED,
            membership=membership,
            amount=Decimal("19.00"),
            currency="EUR",
            payer=member,
            period_start=start,
            period_end=start.replace(year=start.year + 1),
        )

        invoice = invoice_issue(payment)

        assert (invoice.total, invoice.vat_amount) == (Decimal("19.00"), Decimal("0"))
        assert invoice.customer_email == member.email
        assert invoice.lines.get().description.startswith("Gold membership (")


@pytest.mark.live
def test_twenty_concurrent_issues_get_twenty_consecutive_numbers(live_brands):
    brand, _ = live_brands
    with tenant_context(brand):
        fee_plan()
        bank_details(invoice_prefix="RACE")
        customer = make_user(brand, role=Role.CUSTOMER)
        product = make_product(make_merchant(brand), stock=None)
        payments = [
            _confirmed_payment(order_place(customer=customer, items=[(product, 1)], provider="stripe"))
            for _ in range(20)
        ]
    barrier = threading.Barrier(20)
    errors: list[BaseException] = []

    def issue(payment: Payment) -> None:
        try:
            with tenant_context(brand):
                barrier.wait()
                invoice_issue(payment)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=issue, args=(payment,)) for payment in payments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    with tenant_context(brand):
        numbers = sorted(Invoice.objects.values_list("number", flat=True))
    day = timezone.localdate()
    assert numbers == [f"RACE-{day:%Y%m%d}-{n:04d}" for n in range(1, 21)]
