"""Builders for checkout tests: merchants on a plan, deals, bank details, orders placed and paid."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

from accounts.models import Role, User
from billing.models import MerchantPlan
from marketplace.models import Product, ProductStatus
from marketplace.services.checkout import CheckoutResult, order_checkout
from payments.models import BillingSettings, Payment
from payments.services.payments import payment_confirm, payment_submit_transaction, payment_verify
from tests.conftest import make_user

_numbers = itertools.count(1)

IBAN = "FR14 2004 1010 0505 0001 3M02 606"
PAYER = {
    "payer_name": "Ana Doe",
    "payer_email": "ana@example.com",
    "contact_channel": "telegram",
    "contact": "@ana_doe",
}


def fee_plan(rate: str = "10") -> MerchantPlan:
    """The brand's Free plan, charging ``rate`` percent on every sale (what merchants without a
    subscription are on)."""
    plan, _ = MerchantPlan.objects.update_or_create(
        code="free",
        defaults={"name": "Free", "price": Decimal(0), "currency": "EUR", "platform_fee_rate": Decimal(rate)},
    )
    return plan


def make_merchant(brand: Any) -> User:
    return make_user(brand, role=Role.MERCHANT)


def make_product(merchant: User, **fields: Any) -> Product:
    number = next(_numbers)
    values: dict[str, Any] = {
        "title": f"Spa day {number}",
        "slug": f"spa-day-{number}",
        "currency": "EUR",
        "original_price": Decimal("80.00"),
        "price": Decimal("49.90"),
        "stock": 10,
        "status": ProductStatus.ACTIVE,
    }
    values.update(fields)
    if "original_price" not in fields:
        values["original_price"] = max(values["original_price"], values["price"])
    return Product.objects.create(merchant=merchant, **values)


def bank_details(**fields: Any) -> BillingSettings:
    values: dict[str, Any] = {
        "legal_name": "Alpha Brand SAS",
        "address": "1 rue de la Paix\n75002 Paris",
        "vat_id": "FR40303265045",
        "vat_rate": Decimal("20"),
        "invoice_prefix": "ALP",
        "legal_mentions": "SAS au capital de 10 000 EUR. RCS Paris 303 265 045.",
        "bank_account_holder": "Alpha Brand SAS",
        "bank_name": "La Banque Postale",
        "bank_iban": IBAN.replace(" ", ""),
        "bank_bic": "PSSTFRPPLIL",
        "bank_instructions": "Quote the payment reference.",
    }
    values.update(fields)
    row = BillingSettings.objects.order_by("pk").first() or BillingSettings()
    for name, value in values.items():
        setattr(row, name, value)
    row.save()
    return row


def bank_checkout(customer: User, items: list[tuple[Product, int]], **options: Any) -> CheckoutResult:
    return order_checkout(customer=customer, items=items, provider="bank_transfer", **{**PAYER, **options})


def pay_by_bank(result: CheckoutResult, admin: User, transaction_id: str = "VIR-2026-0001") -> Payment:
    """The payer reports the transfer, an admin verifies and confirms it."""
    payment = payment_submit_transaction(
        payment=result.payment, actor=result.order.customer, transaction_id=transaction_id
    )
    payment = payment_verify(payment=payment, actor=admin)
    return payment_confirm(payment=payment, actor=admin)
