"""GraphQL types of payments (Stripe and bank transfer), invoices and the brand's billing settings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from enum import Enum

import strawberry
from django.db.models import prefetch_related_objects

from graphql_schema.errors import UserError
from graphql_schema.money import Money, money, rate
from payments import models
from payments.services.invoices import billing_settings, invoice_download_url
from payments.services.payments import BankTransferInstructions


@strawberry.enum(name="PaymentStatus")
class PaymentStatusEnum(Enum):
    PENDING = "pending"
    TRANSACTION_SUBMITTED = "transaction_submitted"
    VERIFIED = "verified"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    FAILED = "failed"
    REFUNDED = "refunded"


@strawberry.enum(name="PaymentProvider")
class PaymentProviderEnum(Enum):
    STRIPE = "stripe"
    BANK_TRANSFER = "bank_transfer"
    FREE = "free"


@strawberry.enum(name="PaymentPurpose")
class PaymentPurposeEnum(Enum):
    ORDER = "order"
    MERCHANT_PLAN = "merchant_plan"
    MEMBERSHIP = "membership"


@strawberry.enum(name="ContactChannel")
class ContactChannelEnum(Enum):
    EMAIL = "email"
    TELEGRAM = "telegram"
    WHATSAPP = "whatsapp"
    DISCORD = "discord"


@strawberry.type(description="Where and how to send a bank transfer, and the reference to quote.")
class BankTransferDetails:
    reference: str = strawberry.field(description="Quote it in the transfer's label.")
    amount: Money
    account_holder: str
    bank_name: str
    iban: str
    bic: str
    rib: str = strawberry.field(description="The national account number (e.g. a Moroccan RIB).")
    instructions: str
    pay_before: dt.datetime | None = strawberry.field(
        description="When the order's reservation runs out unless the transfer is reported."
    )

    @classmethod
    def from_instructions(cls, instructions: BankTransferInstructions) -> BankTransferDetails:
        return cls(
            reference=instructions.reference,
            amount=money(instructions.amount, instructions.currency),
            account_holder=instructions.account_holder,
            bank_name=instructions.bank_name,
            iban=instructions.iban,
            bic=instructions.bic,
            rib=instructions.rib,
            instructions=instructions.instructions,
            pay_before=instructions.pay_before,
        )

    @classmethod
    def of(cls, payment: models.Payment, settings: models.BillingSettings) -> BankTransferDetails:
        return cls(
            reference=payment.reference,
            amount=money(payment.amount, payment.currency),
            account_holder=settings.bank_account_holder,
            bank_name=settings.bank_name,
            iban=settings.bank_iban,
            bic=settings.bank_bic,
            rib=settings.bank_rib,
            instructions=settings.bank_instructions,
            pay_before=payment.order.reserved_until if payment.order is not None else None,
        )


OPEN_BANK_STATUSES = (
    models.PaymentStatus.PENDING,
    models.PaymentStatus.TRANSACTION_SUBMITTED,
    models.PaymentStatus.VERIFIED,
)


@strawberry.type
class Payment:
    id: strawberry.ID
    reference: str
    provider: PaymentProviderEnum
    purpose: PaymentPurposeEnum
    status: PaymentStatusEnum
    amount: Money
    order_number: str | None
    payer_name: str
    payer_email: str
    contact_channel: ContactChannelEnum | None
    contact: str
    transaction_id: str = strawberry.field(description="The bank transaction id, or Stripe's payment intent.")
    created_at: dt.datetime
    submitted_at: dt.datetime | None
    verified_at: dt.datetime | None
    confirmed_at: dt.datetime | None
    rejected_at: dt.datetime | None
    rejection_reason: str
    bank_transfer: BankTransferDetails | None = strawberry.field(
        description="The brand's bank details while a bank transfer is open."
    )

    @classmethod
    def from_model(cls, payment: models.Payment, settings: models.BillingSettings | None = None) -> Payment:
        is_open_transfer = (
            payment.provider == models.PaymentProvider.BANK_TRANSFER and payment.status in OPEN_BANK_STATUSES
        )
        return cls(
            id=strawberry.ID(str(payment.pk)),
            reference=payment.reference,
            provider=PaymentProviderEnum(payment.provider),
            purpose=PaymentPurposeEnum(payment.purpose),
            status=PaymentStatusEnum(payment.status),
            amount=money(payment.amount, payment.currency),
            order_number=payment.order.number if payment.order is not None else None,
            payer_name=payment.payer_name,
            payer_email=payment.payer_email,
            contact_channel=ContactChannelEnum(payment.payer_contact_channel)
            if payment.payer_contact_channel
            else None,
            contact=payment.payer_contact,
            transaction_id=payment.transaction_id,
            created_at=payment.created_at,
            submitted_at=payment.submitted_at,
            verified_at=payment.verified_at,
            confirmed_at=payment.confirmed_at,
            rejected_at=payment.rejected_at,
            rejection_reason=payment.rejection_reason,
            bank_transfer=BankTransferDetails.of(payment, settings or billing_settings())
            if is_open_transfer
            else None,
        )

    @classmethod
    def from_models(cls, payments: Sequence[models.Payment]) -> list[Payment]:
        """A page of payments: one settings query for all of them."""
        settings = billing_settings() if payments else None
        return [cls.from_model(payment, settings) for payment in payments]


@strawberry.type
class InvoiceLine:
    description: str
    quantity: int
    unit_price: Money = strawberry.field(description="Excluding VAT.")
    vat_rate: Decimal
    line_total: Money = strawberry.field(description="Excluding VAT.")


@strawberry.type(description="The seller as it was on the day of issue.")
class InvoiceSeller:
    name: str
    address: str
    vat_id: str


@strawberry.type(
    description="An invoice, issued when a payment is confirmed. Prices include VAT: `total` is what was "
    "paid, `vatAmount` the VAT in it (rounded per line), `subtotal` the rest."
)
class Invoice:
    id: strawberry.ID
    number: str
    issued_at: dt.datetime
    customer_name: str
    customer_email: str
    subtotal: Money
    vat_rate: Decimal
    vat_amount: Money
    total: Money
    transaction_id: str
    payment_reference: str
    seller: InvoiceSeller
    legal_mentions: str
    lines: list[InvoiceLine]
    model: strawberry.Private[models.Invoice]

    @strawberry.field(
        description="A link to the PDF valid for a few minutes (null until the PDF is rendered, "
        "seconds after issue). Ask again for a fresh one."
    )
    def download_url(self) -> str | None:
        return invoice_download_url(self.model) or None

    @classmethod
    def from_model(cls, invoice: models.Invoice) -> Invoice:
        seller = invoice.seller or {}
        currency = invoice.currency
        return cls(
            id=strawberry.ID(str(invoice.pk)),
            number=invoice.number,
            issued_at=invoice.issued_at,
            customer_name=invoice.customer_name,
            customer_email=invoice.customer_email,
            subtotal=money(invoice.subtotal, currency),
            vat_rate=rate(invoice.vat_rate),
            vat_amount=money(invoice.vat_amount, currency),
            total=money(invoice.total, currency),
            transaction_id=invoice.transaction_id,
            payment_reference=invoice.payment.reference,
            seller=InvoiceSeller(
                name=str(seller.get("name", "")),
                address=str(seller.get("address", "")),
                vat_id=str(seller.get("vat_id", "")),
            ),
            legal_mentions=invoice.legal_mentions,
            lines=[
                InvoiceLine(
                    description=line.description,
                    quantity=line.quantity,
                    unit_price=money(line.unit_price, currency),
                    vat_rate=rate(line.vat_rate),
                    line_total=money(line.line_total, currency),
                )
                for line in invoice.lines.all()
            ],
            model=invoice,
        )

    @classmethod
    def from_models(cls, invoices: Sequence[models.Invoice]) -> list[Invoice]:
        prefetch_related_objects(list(invoices), "lines")
        return [cls.from_model(invoice) for invoice in invoices]


@strawberry.type
class BillingSettings:
    legal_name: str
    address: str
    vat_id: str
    vat_rate: Decimal = strawberry.field(description="Percent, included in prices (20 means 20 %).")
    invoice_prefix: str
    legal_mentions: str
    bank_account_holder: str
    bank_name: str
    bank_iban: str
    bank_bic: str
    bank_rib: str
    bank_instructions: str
    plan_grace_days: int = strawberry.field(
        description="Days a merchant keeps their plan's quotas after a plan payment fails (default 7)."
    )
    updated_at: dt.datetime

    @classmethod
    def from_model(cls, row: models.BillingSettings) -> BillingSettings:
        return cls(
            legal_name=row.legal_name,
            address=row.address,
            vat_id=row.vat_id,
            vat_rate=rate(row.vat_rate),
            invoice_prefix=row.invoice_prefix,
            legal_mentions=row.legal_mentions,
            bank_account_holder=row.bank_account_holder,
            bank_name=row.bank_name,
            bank_iban=row.bank_iban,
            bank_bic=row.bank_bic,
            bank_rib=row.bank_rib,
            bank_instructions=row.bank_instructions,
            plan_grace_days=row.plan_grace_days,
            updated_at=row.updated_at,
        )


@strawberry.input
class BillingSettingsInput:
    """Only the fields given change."""

    legal_name: str | None = None
    address: str | None = None
    vat_id: str | None = None
    vat_rate: Decimal | None = None
    invoice_prefix: str | None = None
    legal_mentions: str | None = None
    bank_account_holder: str | None = None
    bank_name: str | None = None
    bank_iban: str | None = None
    bank_bic: str | None = None
    bank_rib: str | None = None
    bank_instructions: str | None = None
    plan_grace_days: int | None = None


@strawberry.type
class BillingSettingsPayload:
    billing_settings: BillingSettings | None
    errors: list[UserError]


@strawberry.type
class PaymentPayload:
    payment: Payment | None
    errors: list[UserError]
