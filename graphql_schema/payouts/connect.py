"""Stripe Connect for affiliates: their connected account's status, the onboarding link, and
reading the status back when they return from Stripe."""

from __future__ import annotations

import datetime as dt
from enum import Enum

import strawberry

from graphql_schema.accounts.two_factor import fresh_two_factor_required
from graphql_schema.context import Info
from graphql_schema.errors import UserError, handle_user_errors
from graphql_schema.permissions import IsAuthenticated
from payouts import models
from payouts.services.connect import connect_account_refresh, connect_onboarding_start


@strawberry.enum
class StripeConnectStatus(Enum):
    PENDING = "pending"
    VERIFIED = "verified"
    RESTRICTED = "restricted"


@strawberry.type
class StripePayoutFailure:
    amount: str
    currency: str
    code: str
    message: str
    at: dt.datetime


@strawberry.type
class StripeConnectAccount:
    account_id: str
    status: StripeConnectStatus
    details_submitted: bool
    payouts_enabled: bool
    requirements_due: list[str] = strawberry.field(description="What Stripe still asks for.")
    last_payout_failure: StripePayoutFailure | None = strawberry.field(
        description="The last bank payout Stripe could not make (the money stays in the Stripe balance)."
    )

    @classmethod
    def from_model(cls, account: models.StripeConnectAccount) -> StripeConnectAccount:
        failure = account.last_payout_failure or None
        return cls(
            account_id=account.account_id,
            status=StripeConnectStatus(account.status),
            details_submitted=account.details_submitted,
            payouts_enabled=account.payouts_enabled,
            requirements_due=list(account.requirements_due),
            last_payout_failure=StripePayoutFailure(
                amount=failure["amount"],
                currency=failure["currency"],
                code=failure["code"],
                message=failure["message"],
                at=dt.datetime.fromisoformat(failure["at"]),
            )
            if failure
            else None,
        )


@strawberry.type
class StripeConnectOnboardPayload:
    account: StripeConnectAccount | None
    url: str | None = strawberry.field(description="Stripe's onboarding page: open it now (single use).")
    errors: list[UserError]


@strawberry.type
class StripeConnectPayload:
    account: StripeConnectAccount | None
    errors: list[UserError]


@strawberry.type
class StripeConnectQuery:
    @strawberry.field(
        permission_classes=[IsAuthenticated], description="My Stripe Connect account in this brand, if any."
    )
    def my_stripe_connect(self, info: Info) -> StripeConnectAccount | None:
        account = models.StripeConnectAccount.objects.filter(user=info.context.user).first()
        return StripeConnectAccount.from_model(account) if account else None


@strawberry.type
class StripeConnectMutation:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Create my Stripe Connect account if needed and return a fresh onboarding link.",
    )
    @handle_user_errors
    def stripe_connect_onboard(self, info: Info) -> StripeConnectOnboardPayload:
        fresh_two_factor_required(info)  # where the money goes is about to change
        account, url = connect_onboarding_start(user=info.context.user)
        return StripeConnectOnboardPayload(
            account=StripeConnectAccount.from_model(account), url=url, errors=[]
        )

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Read my Stripe account's status back from Stripe (after onboarding).",
    )
    @handle_user_errors
    def stripe_connect_refresh(self, info: Info) -> StripeConnectPayload:
        account = connect_account_refresh(user=info.context.user)
        return StripeConnectPayload(
            account=StripeConnectAccount.from_model(account) if account else None, errors=[]
        )
