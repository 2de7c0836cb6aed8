from __future__ import annotations

import strawberry

from graphql_schema.access import parse_id
from graphql_schema.context import Info
from graphql_schema.pagination import Connection, paginate
from graphql_schema.payments.types import BillingSettings, Invoice, Payment, PaymentStatusEnum
from graphql_schema.permissions import IsBrandAdmin, IsBrandMember
from payments import selectors
from payments.services.invoices import billing_settings
from payments.services.payments import bank_transfer_available
from payments.stripe_client import stripe_is_configured


@strawberry.type(description="How customers of this brand can pay.")
class PaymentMethods:
    card: bool = strawberry.field(description="Card payments through Stripe Checkout.")
    bank_transfer: bool = strawberry.field(description="Manual bank transfer (the brand has bank details).")


@strawberry.type
class PaymentQuery:
    @strawberry.field(description="The payment methods a checkout can offer on this brand.")
    def payment_methods(self) -> PaymentMethods:
        return PaymentMethods(card=stripe_is_configured(), bank_transfer=bank_transfer_available())

    @strawberry.field(
        permission_classes=[IsBrandMember],
        description="A payment by reference: mine, or any for brand admins.",
    )
    def payment(self, info: Info, reference: str) -> Payment | None:
        payment = selectors.payment_visible_to(info.context.user, reference)
        return Payment.from_model(payment) if payment is not None else None

    @strawberry.field(
        permission_classes=[IsBrandAdmin],
        description="Bank transfers to check, oldest first (filter TRANSACTION_SUBMITTED for the queue).",
    )
    def manual_payments(
        self, info: Info, status: PaymentStatusEnum | None = None, first: int = 50, after: str | None = None
    ) -> Connection[Payment]:
        payments = selectors.manual_payments(status.value if status else None)
        return paginate(payments, first=first, after=after, to_nodes=Payment.from_models)

    @strawberry.field(
        permission_classes=[IsBrandMember],
        description="My invoices (orders, plans, memberships), newest first; every invoice for brand admins.",
    )
    def invoices(self, info: Info, first: int = 50, after: str | None = None) -> Connection[Invoice]:
        invoices = selectors.invoices_visible_to(info.context.user)
        return paginate(invoices, first=first, after=after, to_nodes=Invoice.from_models, descending=True)

    @strawberry.field(permission_classes=[IsBrandMember], description="One of my invoices, by number or id.")
    def invoice(self, info: Info, number: str = "", id: strawberry.ID | None = None) -> Invoice | None:
        invoice = selectors.invoice_visible_to(
            info.context.user, number=number, invoice_id=parse_id(id) if id is not None else 0
        )
        return Invoice.from_models([invoice])[0] if invoice is not None else None

    @strawberry.field(
        permission_classes=[IsBrandAdmin],
        description="Seller identity, VAT, invoice numbering, bank details.",
    )
    def billing_settings(self, info: Info) -> BillingSettings:
        return BillingSettings.from_model(billing_settings())
