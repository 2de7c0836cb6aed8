from __future__ import annotations

import dataclasses
from collections.abc import Callable

import strawberry

from graphql_schema.access import not_found
from graphql_schema.accounts.two_factor import fresh_two_factor_required
from graphql_schema.context import Info
from graphql_schema.errors import handle_user_errors, keep_on_error, refreshed
from graphql_schema.payments.types import (
    BillingSettings,
    BillingSettingsInput,
    BillingSettingsPayload,
    Payment,
    PaymentPayload,
)
from graphql_schema.permissions import IsBrandAdmin, IsBrandMember
from payments import selectors
from payments.models import Payment as PaymentModel
from payments.services import payments as services
from payments.services.invoices import billing_settings_update


def _act(info: Info, reference: str, action: Callable[[PaymentModel], PaymentModel]) -> PaymentPayload:
    payment = selectors.payment_visible_to(info.context.user, reference)
    if payment is None:
        raise not_found("Payment")
    keep_on_error(payment=lambda: Payment.from_model(refreshed(payment)))
    changed = action(payment)
    return PaymentPayload(payment=Payment.from_model(changed), errors=[])


@strawberry.type
class PaymentMutation:
    @strawberry.mutation(
        permission_classes=[IsBrandMember],
        description="I made the bank transfer: here is the bank's transaction id.",
    )
    @handle_user_errors
    def payment_submit_transaction(self, info: Info, reference: str, transaction_id: str) -> PaymentPayload:
        payment = selectors.payment_visible_to(info.context.user, reference)
        if payment is None or payment.payer_id != info.context.user.pk:
            raise not_found("Payment")
        return _act(
            info,
            reference,
            lambda p: services.payment_submit_transaction(
                payment=p, actor=info.context.user, transaction_id=transaction_id
            ),
        )

    @strawberry.mutation(
        permission_classes=[IsBrandAdmin], description="The transfer is on the brand's account."
    )
    @handle_user_errors
    def payment_verify(self, info: Info, reference: str) -> PaymentPayload:
        return _act(info, reference, lambda p: services.payment_verify(payment=p, actor=info.context.user))

    @strawberry.mutation(
        permission_classes=[IsBrandAdmin],
        description="Confirm a verified transfer: the order is paid (or the plan activated) and invoiced.",
    )
    @handle_user_errors
    def payment_confirm(self, info: Info, reference: str) -> PaymentPayload:
        return _act(info, reference, lambda p: services.payment_confirm(payment=p, actor=info.context.user))

    @strawberry.mutation(
        permission_classes=[IsBrandAdmin],
        description="Refuse a transfer; an order is cancelled, its stock freed.",
    )
    @handle_user_errors
    def payment_reject(self, info: Info, reference: str, reason: str) -> PaymentPayload:
        return _act(
            info,
            reference,
            lambda p: services.payment_reject(payment=p, actor=info.context.user, reason=reason),
        )

    @strawberry.mutation(
        permission_classes=[IsBrandAdmin], description="Change the brand's billing settings."
    )
    @handle_user_errors
    def billing_settings_update(self, info: Info, input: BillingSettingsInput) -> BillingSettingsPayload:
        values = {
            field.name: getattr(input, field.name)
            for field in dataclasses.fields(input)
            if getattr(input, field.name) is not None
        }
        # The bank account customers pay into is where the money goes: a fresh code first.
        if any(name.startswith("bank_") for name in values):
            fresh_two_factor_required(info)
        row = billing_settings_update(actor=info.context.user, **values)
        return BillingSettingsPayload(billing_settings=BillingSettings.from_model(row), errors=[])
