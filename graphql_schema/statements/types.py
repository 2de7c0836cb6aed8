from __future__ import annotations

import datetime as dt
from decimal import Decimal

import strawberry

from graphql_schema.errors import UserError
from graphql_schema.money import Money, money, rate
from statements import models
from statements.links import download_url


@strawberry.type(description="A line of a statement: commissions or reversals of one program.")
class StatementProgramLine:
    program_id: strawberry.ID
    program: str
    amount: Money


@strawberry.type(description="Any other movement of the balance in the month, by ledger kind.")
class StatementAdjustment:
    kind: str
    amount: Money


@strawberry.type(
    description="An affiliate's monthly statement in one currency. The balance is what the brand "
    "owes them (pending + available + reserved): opening + commissions + reversals + "
    "withdrawalsPaid + adjustments = closing."
)
class Statement:
    id: strawberry.ID
    period: str = strawberry.field(description="The month, YYYY-MM (UTC).")
    currency: str
    affiliate_id: strawberry.ID = strawberry.field(description="The affiliate (user).")
    affiliate_email: str
    opening_balance: Money
    closing_balance: Money
    commissions: list[StatementProgramLine]
    reversals: list[StatementProgramLine]
    withdrawals_paid: Money
    withdrawals_requested: Money = strawberry.field(description="For information: moves inside the balance.")
    withdrawals_released: Money = strawberry.field(description="Rejected withdrawals, available again.")
    adjustments: list[StatementAdjustment]
    generated_at: dt.datetime
    emailed_at: dt.datetime | None
    pdf_url: str | None = strawberry.field(
        description="A short-lived download link (ask again for a fresh one)."
    )
    csv_url: str | None

    @classmethod
    def from_model(cls, statement: models.Statement) -> Statement:
        currency = statement.currency
        figures = statement.figures or {}
        memo = figures.get("memo", {})

        def lines(rows: list[dict[str, str]]) -> list[StatementProgramLine]:
            return [
                StatementProgramLine(
                    program_id=strawberry.ID(str(row["program_id"])),
                    program=row["program"],
                    amount=money(Decimal(row["amount"]), currency),
                )
                for row in rows
            ]

        name = f"statement-{statement.period:%Y-%m}-{currency}"
        return cls(
            id=strawberry.ID(str(statement.pk)),
            period=f"{statement.period:%Y-%m}",
            currency=currency,
            affiliate_id=strawberry.ID(str(statement.user_id)),
            affiliate_email=statement.user.email,
            opening_balance=money(statement.opening_balance, currency),
            closing_balance=money(statement.closing_balance, currency),
            commissions=lines(figures.get("commissions", [])),
            reversals=lines(figures.get("reversals", [])),
            withdrawals_paid=money(Decimal(figures.get("withdrawals_paid", "0")), currency),
            withdrawals_requested=money(Decimal(memo.get("withdrawals_requested", "0")), currency),
            withdrawals_released=money(Decimal(memo.get("withdrawals_released", "0")), currency),
            adjustments=[
                StatementAdjustment(kind=row["kind"], amount=money(Decimal(row["amount"]), currency))
                for row in figures.get("adjustments", [])
            ],
            generated_at=statement.generated_at,
            emailed_at=statement.emailed_at,
            pdf_url=download_url(
                document="statement", pk=statement.pk, key=statement.pdf_key, filename=f"{name}.pdf"
            )
            or None,
            csv_url=download_url(
                document="statement", pk=statement.pk, key=statement.csv_key, filename=f"{name}.csv"
            )
            or None,
        )


@strawberry.type(description="A self-billing invoice: issued by the brand on behalf of a business affiliate.")
class SelfBillingInvoice:
    id: strawberry.ID
    number: str
    affiliate_id: strawberry.ID
    affiliate_email: str
    withdrawal_id: strawberry.ID
    subtotal: Money
    vat_rate: Decimal
    vat_amount: Money
    total: Money
    vat_applicable: bool
    issued_at: dt.datetime
    pdf_url: str | None

    @classmethod
    def from_model(cls, invoice: models.SelfBillingInvoice) -> SelfBillingInvoice:
        currency = invoice.currency
        return cls(
            id=strawberry.ID(str(invoice.pk)),
            number=invoice.number,
            affiliate_id=strawberry.ID(str(invoice.user_id)),
            affiliate_email=invoice.user.email,
            withdrawal_id=strawberry.ID(str(invoice.withdrawal_id)),
            subtotal=money(invoice.subtotal, currency),
            vat_rate=rate(invoice.vat_rate),
            vat_amount=money(invoice.vat_amount, currency),
            total=money(invoice.total, currency),
            vat_applicable=invoice.vat_applicable,
            issued_at=invoice.issued_at,
            pdf_url=download_url(
                document="self-billing", pk=invoice.pk, key=invoice.pdf_key, filename=f"{invoice.number}.pdf"
            )
            or None,
        )


@strawberry.type(description="The brand's statement and self-billing settings.")
class StatementSettings:
    self_billing_enabled: bool
    self_billing_vat_rate: Decimal = strawberry.field(
        description="VAT (percent) of self-billing invoices of VAT-registered affiliates, "
        "included in the payout."
    )

    @classmethod
    def from_model(cls, row: models.StatementSettings) -> StatementSettings:
        return cls(
            self_billing_enabled=row.self_billing_enabled,
            self_billing_vat_rate=rate(row.self_billing_vat_rate),
        )


@strawberry.input(description="Only the fields given change.")
class StatementSettingsInput:
    self_billing_enabled: bool | None = None
    self_billing_vat_rate: Decimal | None = None


@strawberry.type
class StatementSettingsPayload:
    statement_settings: StatementSettings | None
    errors: list[UserError]


@strawberry.type
class StatementPayload:
    statement: Statement | None
    errors: list[UserError]
