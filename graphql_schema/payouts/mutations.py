from __future__ import annotations

from collections.abc import Callable

import strawberry

from graphql_schema.access import not_found, parse_id
from graphql_schema.accounts.two_factor import fresh_two_factor_required
from graphql_schema.affiliation.access import my_membership
from graphql_schema.context import Info
from graphql_schema.errors import handle_user_errors, keep_on_error
from graphql_schema.payouts.queries import payout_runs, withdrawals_with_payouts
from graphql_schema.payouts.types import (
    PayoutRun,
    PayoutRunPayload,
    PayoutRunsPayload,
    PayoutSettings,
    PayoutSettingsInput,
    PayoutSettingsPayload,
    Withdrawal,
    WithdrawalPayload,
    WithdrawalRequestInput,
)
from graphql_schema.permissions import IsAuthenticated, IsBrandAdmin
from payouts import services
from payouts.models import WithdrawalRequest


def _admin_action(
    id: strawberry.ID, action: Callable[[WithdrawalRequest], WithdrawalRequest]
) -> WithdrawalPayload:
    withdrawal = withdrawals_with_payouts(WithdrawalRequest.objects.filter(pk=parse_id(id))).first()
    if withdrawal is None:
        raise not_found("Withdrawal")
    keep_on_error(withdrawal=lambda: Withdrawal.from_model(withdrawal))
    changed = action(withdrawal)
    return WithdrawalPayload(
        withdrawal=Withdrawal.from_model(
            withdrawals_with_payouts(WithdrawalRequest.objects.all()).get(pk=changed.pk)
        ),
        errors=[],
    )


def _run_node(run_id: int) -> PayoutRun:
    return PayoutRun.from_model(payout_runs().get(pk=run_id))


def _run_for(id: strawberry.ID) -> int:
    run_id = parse_id(id)
    if not payout_runs().filter(pk=run_id).exists():
        raise not_found("Payout run")
    return run_id


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
        withdrawal = withdrawals_with_payouts(WithdrawalRequest.objects.all()).get(pk=withdrawal.pk)
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

    @strawberry.mutation(
        permission_classes=[IsBrandAdmin],
        description="Pay approved withdrawals through their automated provider: one run per provider "
        "(needs a fresh two-factor code).",
    )
    @handle_user_errors
    def payout_run_create(self, info: Info, withdrawal_ids: list[strawberry.ID]) -> PayoutRunsPayload:
        keep_on_error(runs=list)
        fresh_two_factor_required(info)
        runs = services.payout_run_create(
            actor=info.context.user, withdrawal_ids=[parse_id(pk) for pk in withdrawal_ids]
        )
        return PayoutRunsPayload(runs=[_run_node(run.pk) for run in runs], errors=[])

    @strawberry.mutation(
        permission_classes=[IsBrandAdmin],
        description="Send a run left sending again (same batch reference: nobody is paid twice).",
    )
    @handle_user_errors
    def payout_run_retry(self, info: Info, id: strawberry.ID) -> PayoutRunPayload:
        run_id = _run_for(id)
        keep_on_error(run=lambda: _run_node(run_id))
        fresh_two_factor_required(info)
        services.payout_run_send(run=payout_runs().get(pk=run_id))
        return PayoutRunPayload(run=_run_node(run_id), errors=[])

    @strawberry.mutation(
        permission_classes=[IsBrandAdmin], description="Read the run's outcomes back from its provider."
    )
    @handle_user_errors
    def payout_run_sync(self, info: Info, id: strawberry.ID) -> PayoutRunPayload:
        run_id = _run_for(id)
        keep_on_error(run=lambda: _run_node(run_id))
        services.payout_run_sync(run=payout_runs().get(pk=run_id))
        return PayoutRunPayload(run=_run_node(run_id), errors=[])

    @strawberry.mutation(
        permission_classes=[IsBrandAdmin],
        description="The automatic approval threshold (needs a fresh two-factor code).",
    )
    @handle_user_errors
    def payout_settings_update(self, info: Info, input: PayoutSettingsInput) -> PayoutSettingsPayload:
        fresh_two_factor_required(info)
        row = services.payout_settings_update(
            actor=info.context.user, auto_approve_threshold=input.auto_approve_threshold
        )
        return PayoutSettingsPayload(settings=PayoutSettings.from_model(row), errors=[])
