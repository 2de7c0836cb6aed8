from __future__ import annotations

import dataclasses
from enum import Enum
from typing import Any

import strawberry

from affiliation.models import Program
from billing.services import memberships as membership_services
from billing.services import plans as plan_services
from billing.services import subscriptions as subscription_services
from billing.services.plans import merchant_subscription_of
from graphql_schema.access import parse_id
from graphql_schema.billing.access import (
    membership_plan_or_error,
    merchant_plan_or_error,
    plan_code_error,
)
from graphql_schema.billing.types import (
    BillingPortalPayload,
    Membership,
    MembershipCancelPayload,
    MembershipJoinInput,
    MembershipJoinPayload,
    MembershipPlan,
    MembershipPlanCreateInput,
    MembershipPlanInput,
    MembershipPlanPayload,
    MerchantPlan,
    MerchantPlanCreateInput,
    MerchantPlanInput,
    MerchantPlanPayload,
    MyPlan,
    MyPlanPayload,
    PayerInput,
    PlanChangePayload,
    PlanSubscribeInput,
    PlanSubscribePayload,
)
from graphql_schema.context import Info
from graphql_schema.errors import handle_user_errors, keep_on_error, refreshed
from graphql_schema.money import money
from graphql_schema.payments.types import BankTransferDetails
from graphql_schema.permissions import IsBrandAdmin, IsBrandMember, IsMerchant
from tracking.keys import CLICK_COOKIE

# Fields an explicit null means something for (unlimited quota, no program); others ignore null.
_NULLABLE = frozenset({"product_quota", "program_id"})


def _values(input_object: Any, *, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for field in dataclasses.fields(input_object):
        value = getattr(input_object, field.name)
        if field.name in skip or value is strawberry.UNSET or (value is None and field.name not in _NULLABLE):
            continue
        values[field.name] = value.value if isinstance(value, Enum) else value
    return values


def _payer(input_object: PayerInput) -> subscription_services.PayerDetails:
    return subscription_services.PayerDetails(
        name=input_object.payer_name,
        email=input_object.payer_email,
        contact_channel=input_object.contact_channel.value if input_object.contact_channel else "",
        contact=input_object.contact,
    )


def _my_plan(merchant: Any) -> MyPlan:
    return MyPlan.of(merchant, merchant_subscription_of(merchant))


def _program(values: dict[str, Any]) -> None:
    """``program_id`` → ``program`` (another brand's or a missing program is a field error)."""
    if "program_id" not in values:
        return
    program_id = values.pop("program_id")
    if program_id is None:
        values["program"] = None
        return
    program = Program.objects.filter(pk=parse_id(program_id)).first()
    if program is None:
        raise plan_services.field_error("programId", "No program has this id.", plan_services.Code.NOT_FOUND)
    values["program"] = program


@strawberry.type
class BillingMutation:
    # --- brand admins: the price lists -----------------------------------------------------------

    @strawberry.mutation(permission_classes=[IsBrandAdmin], description="Create a merchant plan.")
    @handle_user_errors
    def merchant_plan_create(self, info: Info, input: MerchantPlanCreateInput) -> MerchantPlanPayload:
        plan = plan_services.merchant_plan_create(
            actor=info.context.user, code=input.code, **_values(input, skip=("code",))
        )
        return MerchantPlanPayload(plan=MerchantPlan.from_model(plan), errors=[])

    @strawberry.mutation(
        permission_classes=[IsBrandAdmin],
        description="Change a merchant plan; a new price applies to new subscriptions and plan changes.",
    )
    @handle_user_errors
    def merchant_plan_update(self, info: Info, code: str, input: MerchantPlanInput) -> MerchantPlanPayload:
        plan = merchant_plan_or_error(code)
        keep_on_error(plan=lambda: MerchantPlan.from_model(refreshed(plan)))
        plan = plan_services.merchant_plan_update(actor=info.context.user, plan=plan, **_values(input))
        return MerchantPlanPayload(plan=MerchantPlan.from_model(plan), errors=[])

    @strawberry.mutation(permission_classes=[IsBrandAdmin], description="Create a membership plan.")
    @handle_user_errors
    def membership_plan_create(self, info: Info, input: MembershipPlanCreateInput) -> MembershipPlanPayload:
        values = _values(input, skip=("code",))
        _program(values)
        plan = membership_services.membership_plan_create(actor=info.context.user, code=input.code, **values)
        return MembershipPlanPayload(plan=MembershipPlan.from_model(plan), errors=[])

    @strawberry.mutation(permission_classes=[IsBrandAdmin], description="Change a membership plan.")
    @handle_user_errors
    def membership_plan_update(
        self, info: Info, code: str, input: MembershipPlanInput
    ) -> MembershipPlanPayload:
        plan = membership_plan_or_error(code)
        keep_on_error(plan=lambda: MembershipPlan.from_model(refreshed(plan)))
        values = _values(input)
        _program(values)
        plan = membership_services.membership_plan_update(actor=info.context.user, plan=plan, **values)
        return MembershipPlanPayload(plan=MembershipPlan.from_model(plan), errors=[])

    # --- merchants: their plan -------------------------------------------------------------------

    @strawberry.mutation(
        permission_classes=[IsMerchant],
        description=(
            "Subscribe to a plan: by card through Stripe Checkout (with the plan's trial, once), or by "
            "bank transfer (the plan starts when the brand confirms the transfer)."
        ),
    )
    @handle_user_errors
    def plan_subscribe(self, info: Info, input: PlanSubscribeInput) -> PlanSubscribePayload:
        merchant = info.context.user
        plan = plan_services.merchant_plans().filter(code=input.plan_code.strip().lower()).first()
        if plan is None:
            raise plan_code_error("plan")
        result = subscription_services.plan_subscribe(
            merchant=merchant, plan=plan, provider=input.provider.value, payer=_payer(input)
        )
        return PlanSubscribePayload(
            my_plan=_my_plan(merchant),
            checkout_url=result.checkout_url or None,
            bank_transfer=BankTransferDetails.from_instructions(result.bank_transfer)
            if result.bank_transfer is not None
            else None,
            errors=[],
        )

    @strawberry.mutation(
        permission_classes=[IsMerchant],
        description=(
            "Move my card subscription to another plan. An upgrade charges the prorated difference now; "
            "a downgrade credits the unused time on the next invoice; a free plan cancels at period end."
        ),
    )
    @handle_user_errors
    def plan_change(self, info: Info, plan_code: str) -> PlanChangePayload:
        merchant = info.context.user
        plan = plan_services.merchant_plans().filter(code=plan_code.strip().lower()).first()
        if plan is None:
            raise plan_code_error("plan")
        result = subscription_services.plan_change(merchant=merchant, plan=plan)
        return PlanChangePayload(
            my_plan=_my_plan(merchant),
            is_upgrade=result.is_upgrade,
            amount_due_now=money(result.amount_due_now, result.currency),
            next_invoice_credit=money(result.next_invoice_credit, result.currency),
            errors=[],
        )

    @strawberry.mutation(
        permission_classes=[IsMerchant],
        description="Cancel at the end of the period (the plan stays until then).",
    )
    @handle_user_errors
    def plan_cancel(self, info: Info) -> MyPlanPayload:
        merchant = info.context.user
        subscription_services.plan_cancel(merchant=merchant)
        return MyPlanPayload(my_plan=_my_plan(merchant), errors=[])

    @strawberry.mutation(
        permission_classes=[IsMerchant], description="Undo a cancellation before the period ends."
    )
    @handle_user_errors
    def plan_resume(self, info: Info) -> MyPlanPayload:
        merchant = info.context.user
        subscription_services.plan_resume(merchant=merchant)
        return MyPlanPayload(my_plan=_my_plan(merchant), errors=[])

    @strawberry.mutation(
        permission_classes=[IsBrandMember],
        description="A link to Stripe's customer portal: cards, invoices, cancelling card subscriptions.",
    )
    @handle_user_errors
    def billing_portal_url(self, info: Info) -> BillingPortalPayload:
        url = subscription_services.billing_portal_url(user=info.context.user)
        return BillingPortalPayload(url=url, errors=[])

    # --- members ---------------------------------------------------------------------------------

    @strawberry.mutation(
        permission_classes=[IsBrandMember],
        description="Cancel my membership at the end of its paid period, or (cancel: false) undo that.",
    )
    @handle_user_errors
    def membership_cancel(
        self, info: Info, membership_id: strawberry.ID, cancel: bool = True
    ) -> MembershipCancelPayload:
        membership = membership_services.membership_cancel_set(
            member=info.context.user, membership_id=parse_id(membership_id), cancel=cancel
        )
        return MembershipCancelPayload(membership=Membership.from_model(membership), errors=[])

    @strawberry.mutation(
        permission_classes=[IsBrandMember],
        description=(
            "Take a membership, by card (Stripe Checkout) or bank transfer. The affiliate whose link I "
            "clicked (or whose coupon I give) is my referrer from now on."
        ),
    )
    @handle_user_errors
    def membership_join(self, info: Info, input: MembershipJoinInput) -> MembershipJoinPayload:
        request = info.context.request
        click_id = str(request.COOKIES.get(CLICK_COOKIE, "")) if request is not None else ""
        plan = (
            membership_services.MembershipPlan.objects.select_related("program")
            .filter(code=input.plan_code.strip().lower(), is_active=True)
            .first()
        )
        if plan is None:
            raise plan_code_error("membership")
        result = membership_services.membership_join(
            member=info.context.user,
            plan=plan,
            provider=input.provider.value,
            click_id=click_id,
            coupon_code=input.coupon_code,
            payer=_payer(input),
        )
        return MembershipJoinPayload(
            membership=Membership.from_model(result.membership),
            checkout_url=result.checkout_url or None,
            bank_transfer=BankTransferDetails.from_instructions(result.bank_transfer)
            if result.bank_transfer is not None
            else None,
            errors=[],
        )
