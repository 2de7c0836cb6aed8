from __future__ import annotations

import dataclasses
from collections.abc import Callable

import strawberry
from django.core.exceptions import ValidationError
from strawberry.types import Info

from graphql_schema.accounts.two_factor import fresh_two_factor_errors
from graphql_schema.affiliation.access import not_found
from graphql_schema.errors import user_errors
from graphql_schema.orders.access import IsBrandMember
from graphql_schema.payments.types import (
    BillingSettings,
    BillingSettingsInput,
    BillingSettingsPayload,
    Payment,
    PaymentPayload,
)
from graphql_schema.permissions import IsBrandAdmin
from payments import selectors
from payments.models import Payment as PaymentModel
from payments.services import payments as services
from payments.services.invoices import billing_settings_update


def _act(info: Info, reference: str, action: Callable[[PaymentModel], PaymentModel]) -> PaymentPayload:
    payment = selectors.payment_visible_to(info.context.user, reference)
    if payment is None:
        raise not_found("Payment")
    try:
        payment = action(payment)
    except ValidationError as error:
        payment.refresh_from_db()
        return PaymentPayload(payment=Payment.from_model(payment), errors=user_errors(error))
    return PaymentPayload(payment=Payment.from_model(payment), errors=[])


@strawberry.type
class PaymentMutation:
    @strawberry.mutation(
        permission_classes=[IsBrandMember],
        description="I made the bank transfer: here is the bank's transaction id.",
    )
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
    def payment_verify(self, info: Info, reference: str) -> PaymentPayload:
        return _act(info, reference, lambda p: services.payment_verify(payment=p, actor=info.context.user))

    @strawberry.mutation(
        permission_classes=[IsBrandAdmin],
        description="Confirm a verified transfer: the order is paid (or the plan activated) and invoiced.",
    )
    def payment_confirm(self, info: Info, reference: str) -> PaymentPayload:
        return _act(info, reference, lambda p: services.payment_confirm(payment=p, actor=info.context.user))

    @strawberry.mutation(
        permission_classes=[IsBrandAdmin],
        description="Refuse a transfer; an order is cancelled, its stock freed.",
    )
    def payment_reject(self, info: Info, reference: str, reason: str) -> PaymentPayload:
        return _act(
            info,
            reference,
            lambda p: services.payment_reject(payment=p, actor=info.context.user, reason=reason),
        )

    @strawberry.mutation(
        permission_classes=[IsBrandAdmin], description="Change the brand's billing settings."
    )
    def billing_settings_update(self, info: Info, input: BillingSettingsInput) -> BillingSettingsPayload:
        values = {
            field.name: getattr(input, field.name)
            for field in dataclasses.fields(input)
            if getattr(input, field.name) is not None
        }
        # The bank account customers pay into is where the money goes: a fresh code first.
        if any(name.startswith("bank_") for name in values) and (errors := fresh_two_factor_errors(info)):
            return BillingSettingsPayload(billing_settings=None, errors=errors)
        try:
            row = billing_settings_update(actor=info.context.user, **values)
        except ValidationError as error:
            return BillingSettingsPayload(billing_settings=None, errors=user_errors(error))
        return BillingSettingsPayload(billing_settings=BillingSettings.from_model(row), errors=[])
