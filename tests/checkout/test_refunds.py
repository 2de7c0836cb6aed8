"""Refunds reverse what a paid order did (vouchers, commissions, the ledger), once per refund id;
vouchers are redeemed by their merchant, once."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django_tenants.utils import tenant_context

from accounts.models import Role
from affiliation.models import Commission, CommissionStatus, Conversion, ConversionStatus
from affiliation.selectors import affiliate_balance
from ledger.models import AccountKind, LedgerAccount
from ledger.owners import BRAND, Owner
from ledger.selectors import ledger_differences
from marketplace.models import OrderRefund, OrderStatus, Product, Voucher, VoucherStatus
from marketplace.services.orders import voucher_redeem
from marketplace.services.refunds import order_refund
from payments.models import Payment, PaymentStatus
from tests.checkout.builders import (
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
def paid(brand_a):
    """A paid order of 2 x 49.90 + 1 x 25.00 from one merchant, attributed to an affiliate
    (20 %) who was referred (10 % one level up)."""
    with tenant_context(brand_a):
        fee_plan("10")
        bank_details()
        merchant = make_merchant(brand_a)
        customer = make_user(brand_a, role=Role.CUSTOMER)
        admin = make_user(brand_a, role=Role.BRAND_ADMIN)
        program = make_program(cascade_rates=[Decimal(10)])
        referrer = make_affiliate(brand_a, program)
        affiliate = make_affiliate(brand_a, program, referrer=referrer)
        spa = make_product(merchant, price=Decimal("49.90"), stock=5)
        dinner = make_product(merchant, price=Decimal("25.00"))
        result = bank_checkout(customer, [(spa, 2), (dinner, 1)], click_id=str(make_click(affiliate).id))
        pay_by_bank(result, admin)
        order = result.order
        order.refresh_from_db()
        yield {
            "order": order,
            "admin": admin,
            "merchant": merchant,
            "affiliate": affiliate,
            "referrer": referrer,
            "lines": list(order.lines.order_by("pk")),
        }


def _balance(kind: str, merchant=None) -> Decimal:
    owner = Owner.merchant(merchant.pk) if merchant is not None else BRAND
    account = LedgerAccount.objects.filter(
        kind=kind, owner_type=owner.type, owner_id=owner.id, currency="EUR"
    ).first()
    return account.balance if account else Decimal(0)


def _codes(error: ValidationError) -> dict[str, str]:
    return {field: items[0].code for field, items in error.error_dict.items()}


def test_a_full_refund_reverses_everything_once(paid):
    order, admin = paid["order"], paid["admin"]

    result = order_refund(order=order, refund_id="R-1", actor=admin, reason="Venue closed")
    again = order_refund(order=order, refund_id="R-1", actor=admin, reason="Venue closed")

    assert (result.created, again.created) == (True, False)
    order.refresh_from_db()
    assert (order.status, order.refunded_amount) == (OrderStatus.REFUNDED, Decimal("124.80"))
    assert OrderRefund.objects.filter(order=order).count() == 1
    assert Payment.objects.get(order=order).status == PaymentStatus.REFUNDED
    assert set(Voucher.objects.filter(line__order=order).values_list("status", flat=True)) == {
        VoucherStatus.VOID
    }
    assert set(
        Conversion.objects.filter(order_id__startswith=order.number).values_list("status", flat=True)
    ) == {ConversionStatus.REVERSED}
    assert set(
        Commission.objects.filter(conversion__order_id__startswith=order.number).values_list(
            "status", flat=True
        )
    ) == {CommissionStatus.REVERSED}
    assert affiliate_balance(paid["affiliate"]).pending == 0
    assert affiliate_balance(paid["referrer"]).pending == 0
    assert _balance(AccountKind.CUSTOMER_PAYMENTS) == 0
    assert _balance(AccountKind.MERCHANT_SALES, paid["merchant"]) == 0
    assert _balance(AccountKind.PLATFORM_FEES) == 0
    assert Product.objects.get(pk=paid["lines"][0].product_id).sold_count == 0
    assert ledger_differences() == []


def test_refunding_one_unit_of_a_line(paid):
    order, admin, spa_line = paid["order"], paid["admin"], paid["lines"][0]

    order_refund(order=order, refund_id="R-unit", actor=admin, lines={spa_line.pk: 1})

    order.refresh_from_db()
    spa_line.refresh_from_db()
    assert (order.status, order.refunded_amount) == (OrderStatus.PARTIALLY_REFUNDED, Decimal("49.90"))
    assert (spa_line.refunded_quantity, spa_line.refunded_amount) == (1, Decimal("49.90"))
    assert list(spa_line.vouchers.order_by("pk").values_list("status", flat=True)) == ["void", "valid"]
    conversion = Conversion.objects.get(order_id=f"{order.number}:1")
    assert (conversion.status, conversion.refunded_amount) == ("partially_refunded", Decimal("49.90"))
    assert affiliate_balance(paid["affiliate"]).pending == Decimal("19.96") - Decimal("9.98") + Decimal(
        "5.00"
    )
    assert _balance(AccountKind.CUSTOMER_PAYMENTS) == Decimal("-74.90")
    assert _balance(AccountKind.PLATFORM_FEES) == Decimal("12.48") - Decimal("4.99")
    assert _balance(AccountKind.MERCHANT_SALES, paid["merchant"]) == Decimal("112.32") - Decimal("44.91")
    assert Payment.objects.get(order=order).status == PaymentStatus.CONFIRMED
    assert ledger_differences() == []


def test_partial_amounts_add_up_to_a_full_refund_with_the_fee_exactly_returned(paid):
    order, admin = paid["order"], paid["admin"]

    order_refund(order=order, refund_id="R-a", actor=admin, amount="10.01")
    assert set(Voucher.objects.filter(line__order=order).values_list("status", flat=True)) == {"valid"}
    order_refund(order=order, refund_id="R-b", actor=admin, amount="89.79")  # the spa line: 99.80
    order_refund(order=order, refund_id="R-c", actor=admin, amount="25.00")

    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    assert Voucher.objects.filter(line__order=order, status="void").count() == 3
    assert _balance(AccountKind.PLATFORM_FEES) == 0
    assert _balance(AccountKind.MERCHANT_SALES, paid["merchant"]) == 0
    assert affiliate_balance(paid["affiliate"]).pending == 0
    assert ledger_differences() == []


def test_a_redeemed_voucher_stays_redeemed_when_its_unit_is_refunded(paid):
    order, admin, merchant = paid["order"], paid["admin"], paid["merchant"]
    voucher = Voucher.objects.filter(line__order=order).order_by("pk").first()
    voucher_redeem(actor=merchant, code=voucher.code)

    order_refund(order=order, refund_id="R-goodwill", actor=admin)

    assert Voucher.objects.get(pk=voucher.pk).status == VoucherStatus.REDEEMED
    assert Voucher.objects.filter(line__order=order, status=VoucherStatus.VOID).count() == 2


@pytest.mark.parametrize(
    ("options", "field", "code"),
    [
        ({"amount": "124.81"}, "amount", "REFUND_TOO_LARGE"),
        ({"amount": "0"}, "amount", "INVALID"),
        ({"amount": "1.001"}, "amount", "INVALID"),
        ({"lines": {"first": 3}}, "lines", "REFUND_TOO_LARGE"),
        ({"lines": {999_999: 1}}, "lines", "NOT_FOUND"),
        ({"lines": {"first": 1}, "amount": "5"}, "amount", "INVALID"),
        ({"refund_id": " "}, "refundId", "REQUIRED"),
    ],
)
def test_bad_refunds_are_user_errors_and_change_nothing(paid, options, field, code):
    order, admin = paid["order"], paid["admin"]
    if "lines" in options:
        options["lines"] = {
            paid["lines"][0].pk if k == "first" else k: v for k, v in options["lines"].items()
        }
    options.setdefault("refund_id", "R-bad")

    with pytest.raises(ValidationError) as error:
        order_refund(order=order, actor=admin, **options)

    assert _codes(error.value) == {field: code}
    order.refresh_from_db()
    assert order.refunded_amount == 0
    assert not OrderRefund.objects.filter(order=order).exists()


def test_an_unpaid_order_cannot_be_refunded(brand_a):
    with tenant_context(brand_a):
        fee_plan()
        bank_details()
        customer = make_user(brand_a, role=Role.CUSTOMER)
        result = bank_checkout(customer, [(make_product(make_merchant(brand_a)), 1)])

        with pytest.raises(ValidationError) as error:
            order_refund(order=result.order, refund_id="R", actor=None)

    assert _codes(error.value) == {"order": "NOT_PAID"}


def test_the_reconcile_command_finds_the_ledger_clean_after_sales_and_refunds(paid, capsys):
    order_refund(order=paid["order"], refund_id="R-1", actor=paid["admin"], amount="12.34")

    call_command("ledger_reconcile", brand=connection.tenant.subdomain)

    assert f"{connection.tenant.subdomain}: 0 differences" in capsys.readouterr().out


def test_vouchers_are_redeemed_by_their_merchant_once(paid):
    order, merchant = paid["order"], paid["merchant"]
    other_merchant = make_user(connection.tenant, role=Role.MERCHANT)
    voucher = Voucher.objects.filter(line__order=order).order_by("pk").first()
    typed = voucher.code.replace("-", "").lower().replace("0", "o")

    with pytest.raises(ValidationError) as foreign:
        voucher_redeem(actor=other_merchant, code=voucher.code)
    redeemed = voucher_redeem(actor=merchant, code=typed)
    with pytest.raises(ValidationError) as twice:
        voucher_redeem(actor=merchant, code=voucher.code)
    with pytest.raises(ValidationError) as unknown:
        voucher_redeem(actor=merchant, code="AAAA-BBBB-CCCC")

    assert redeemed.status == VoucherStatus.REDEEMED
    assert redeemed.redeemed_at is not None
    assert _codes(foreign.value) == {"code": "VOUCHER_NOT_FOUND"}
    assert _codes(twice.value) == {"code": "VOUCHER_REDEEMED"}
    assert _codes(unknown.value) == {"code": "VOUCHER_NOT_FOUND"}

    order_refund(order=order, refund_id="R-all", actor=paid["admin"])
    void = Voucher.objects.filter(line__order=order, status=VoucherStatus.VOID).first()
    with pytest.raises(ValidationError) as refunded:
        voucher_redeem(actor=merchant, code=void.code)
    assert _codes(refunded.value) == {"code": "VOUCHER_VOID"}
