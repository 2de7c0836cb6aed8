from __future__ import annotations

from collections.abc import Callable

import strawberry

from graphql_schema.access import not_found, parse_id
from graphql_schema.accounts.two_factor import fresh_two_factor_required
from graphql_schema.affiliation.access import my_membership
from graphql_schema.context import Info
from graphql_schema.errors import handle_user_errors, keep_on_error
from graphql_schema.payouts.types import Withdrawal, WithdrawalPayload, WithdrawalRequestInput
from graphql_schema.permissions import IsAuthenticated, IsBrandAdmin
from payouts import services
from payouts.models import WithdrawalRequest


def _admin_action(
    id: strawberry.ID, action: Callable[[WithdrawalRequest], WithdrawalRequest]
) -> WithdrawalPayload:
    withdrawal = WithdrawalRequest.objects.select_related("affiliate__user").filter(pk=parse_id(id)).first()
    if withdrawal is None:
        raise not_found("Withdrawal")
    keep_on_error(withdrawal=lambda: Withdrawal.from_model(withdrawal))
    changed = action(withdrawal)
    return WithdrawalPayload(withdrawal=Withdrawal.from_model(changed), errors=[])


@strawberry.type
class PayoutMutation:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Ask to withdraw available money; it is reserved until paid or rejected.",
    )
    @handle_user_errors
    def withdrawal_request(self, info: Info, input: WithdrawalRequestInput) -> WithdrawalPayload:
        affiliate = my_membership(info, input.program_id)
        fresh_two_factor_required(info)  # the payout details travel with the request
        details = {
            "email": input.details.email,
            "iban": input.details.iban,
            "bic": input.details.bic,
            "account_holder": input.details.account_holder,
        }
        withdrawal = services.withdrawal_request(
            affiliate=affiliate, amount=input.amount, method=input.method.value, details=details
        )
        return WithdrawalPayload(withdrawal=Withdrawal.from_model(withdrawal), errors=[])

    @strawberry.mutation(permission_classes=[IsBrandAdmin])
    @handle_user_errors
    def withdrawal_approve(self, info: Info, id: strawberry.ID) -> WithdrawalPayload:
        return _admin_action(id, lambda w: services.withdrawal_approve(actor=info.context.user, withdrawal=w))

    @strawberry.mutation(
        permission_classes=[IsBrandAdmin], description="Reject; the money becomes available again."
    )
    @handle_user_errors
    def withdrawal_reject(self, info: Info, id: strawberry.ID, reason: str) -> WithdrawalPayload:
        return _admin_action(
            id, lambda w: services.withdrawal_reject(actor=info.context.user, withdrawal=w, reason=reason)
        )

    @strawberry.mutation(permission_classes=[IsBrandAdmin], description="Record that the payout was sent.")
    @handle_user_errors
    def withdrawal_mark_paid(
        self, info: Info, id: strawberry.ID, payment_reference: str = ""
    ) -> WithdrawalPayload:
        return _admin_action(
            id,
            lambda w: services.withdrawal_mark_paid(
                actor=info.context.user, withdrawal=w, payment_reference=payment_reference
            ),
        )
