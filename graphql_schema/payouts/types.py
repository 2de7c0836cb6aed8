from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import Enum

import strawberry

from graphql_schema.affiliation.types import WithdrawalMethod
from graphql_schema.errors import UserError
from graphql_schema.money import Money, money
from payouts import models


@strawberry.enum
class WithdrawalStatus(Enum):
    REQUESTED = "requested"
    APPROVED = "approved"
    PAID = "paid"
    REJECTED = "rejected"


@strawberry.type
class Withdrawal:
    id: strawberry.ID
    program_id: strawberry.ID
    affiliate_id: strawberry.ID
    affiliate_email: str
    amount: Money
    method: WithdrawalMethod
    details: strawberry.scalars.JSON = strawberry.field(
        description="PayPal email, or IBAN, BIC and account holder."
    )
    status: WithdrawalStatus
    requested_at: dt.datetime
    decided_at: dt.datetime | None
    paid_at: dt.datetime | None
    payment_reference: str
    rejection_reason: str

    @classmethod
    def from_model(cls, withdrawal: models.WithdrawalRequest) -> Withdrawal:
        return cls(
            id=strawberry.ID(str(withdrawal.pk)),
            program_id=strawberry.ID(str(withdrawal.affiliate.program_id)),
            affiliate_id=strawberry.ID(str(withdrawal.affiliate_id)),
            affiliate_email=withdrawal.affiliate.user.email,
            amount=money(withdrawal.amount, withdrawal.currency),
            method=WithdrawalMethod(withdrawal.method),
            details=strawberry.scalars.JSON(withdrawal.details),
            status=WithdrawalStatus(withdrawal.status),
            requested_at=withdrawal.requested_at,
            decided_at=withdrawal.decided_at,
            paid_at=withdrawal.paid_at,
            payment_reference=withdrawal.payment_reference,
            rejection_reason=withdrawal.rejection_reason,
        )


@strawberry.input
class WithdrawalDetailsInput:
    email: str = strawberry.field(default="", description="PayPal: the account's email.")
    iban: str = strawberry.field(default="", description="Bank transfer: the IBAN.")
    bic: str = strawberry.field(default="", description="Bank transfer: the BIC (optional).")
    account_holder: str = strawberry.field(default="", description="Bank transfer: the holder's name.")


@strawberry.input
class WithdrawalRequestInput:
    program_id: strawberry.ID
    amount: Decimal
    method: WithdrawalMethod
    details: WithdrawalDetailsInput


@strawberry.type
class WithdrawalPayload:
    withdrawal: Withdrawal | None
    errors: list[UserError]
