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
    PROCESSING = "processing"
    PAID = "paid"
    FAILED = "failed"
    REJECTED = "rejected"


@strawberry.enum
class PayoutItemStatus(Enum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    RETURNED = "returned"
    CANCELED = "canceled"


@strawberry.enum
class PayoutRunStatus(Enum):
    SENDING = "sending"
    SENT = "sent"
    COMPLETED = "completed"
    REFUSED = "refused"


@strawberry.type(description="A withdrawal's place in a payout run: the provider's item.")
class WithdrawalPayout:
    run_id: strawberry.ID
    provider: str
    reference: str
    remote_id: str
    status: PayoutItemStatus
    error: str = strawberry.field(description="The provider's message (failure, unclaimed, on hold).")


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
    failure_reason: str = strawberry.field(description="Why an automated payout failed or came back.")
    hold_reason: str = strawberry.field(
        description='Why it is on hold ("": not held): it cannot be approved or paid until released.'
    )
    payout: WithdrawalPayout | None = strawberry.field(
        description="The payout run item paying it (automated methods), if any."
    )

    @classmethod
    def from_model(cls, withdrawal: models.WithdrawalRequest) -> Withdrawal:
        items = [i for i in withdrawal.payout_items.all() if i.status != models.PayoutItemStatus.CANCELED]
        item = items[-1] if items else None
        payout = (
            WithdrawalPayout(
                run_id=strawberry.ID(str(item.run_id)),
                provider=item.run.provider,
                reference=item.reference,
                remote_id=item.remote_id,
                status=PayoutItemStatus(item.status),
                error=item.error,
            )
            if item is not None
            else None
        )
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
            failure_reason=withdrawal.failure_reason,
            hold_reason=withdrawal.hold_reason,
            payout=payout,
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


@strawberry.type
class PayoutRunItem:
    id: strawberry.ID
    withdrawal_id: strawberry.ID
    affiliate_email: str
    amount: Money
    receiver: str = strawberry.field(description="PayPal email or connected account.")
    reference: str
    remote_id: str
    status: PayoutItemStatus
    withdrawal_status: WithdrawalStatus
    error: str

    @classmethod
    def from_model(cls, item: models.PayoutRunItem) -> PayoutRunItem:
        withdrawal = item.withdrawal
        details = withdrawal.details or {}
        return cls(
            id=strawberry.ID(str(item.pk)),
            withdrawal_id=strawberry.ID(str(withdrawal.pk)),
            affiliate_email=withdrawal.affiliate.user.email,
            amount=money(withdrawal.amount, withdrawal.currency),
            receiver=str(details.get("email") or details.get("account") or ""),
            reference=item.reference,
            remote_id=item.remote_id,
            status=PayoutItemStatus(item.status),
            withdrawal_status=WithdrawalStatus(withdrawal.status),
            error=item.error,
        )


@strawberry.type(description="One batch of approved withdrawals sent to a payout provider.")
class PayoutRun:
    id: strawberry.ID
    provider: str
    batch_reference: str
    remote_batch_id: str
    status: PayoutRunStatus
    totals: list[Money]
    item_count: int
    error: str
    send_attempts: int
    created_by_email: str | None
    created_at: dt.datetime
    sent_at: dt.datetime | None
    completed_at: dt.datetime | None
    items: list[PayoutRunItem]

    @classmethod
    def from_model(cls, run: models.PayoutRun) -> PayoutRun:
        return cls(
            id=strawberry.ID(str(run.pk)),
            provider=run.provider,
            batch_reference=run.batch_reference or "",
            remote_batch_id=run.remote_batch_id,
            status=PayoutRunStatus(run.status),
            totals=[money(Decimal(value), currency) for currency, value in sorted(run.totals.items())],
            item_count=run.item_count,
            error=run.error,
            send_attempts=run.send_attempts,
            created_by_email=run.created_by.email if run.created_by else None,
            created_at=run.created_at,
            sent_at=run.sent_at,
            completed_at=run.completed_at,
            items=[PayoutRunItem.from_model(item) for item in run.items.all()],
        )


@strawberry.type
class PayoutProvider:
    identifier: str = strawberry.field(description="The withdrawal method it pays.")
    name: str
    automated: bool = strawberry.field(description="False: paid by hand, then marked paid.")
    configured: bool


@strawberry.type
class PayoutSettings:
    auto_approve_threshold: Decimal = strawberry.field(
        description="Withdrawals at or below this amount are approved when requested; 0: always by hand."
    )

    @classmethod
    def from_model(cls, row: models.PayoutSettings) -> PayoutSettings:
        return cls(auto_approve_threshold=Decimal(row.auto_approve_threshold).quantize(Decimal("0.01")))


@strawberry.input
class PayoutSettingsInput:
    auto_approve_threshold: Decimal | None = None


@strawberry.type
class PayoutRunsPayload:
    runs: list[PayoutRun]
    errors: list[UserError]


@strawberry.type
class PayoutRunPayload:
    run: PayoutRun | None
    errors: list[UserError]


@strawberry.type
class PayoutSettingsPayload:
    settings: PayoutSettings | None
    errors: list[UserError]
