"""Who may reach billing: plans are a brand's public price list; subscribing is for merchants;
memberships for anyone signed in on the brand's host; configuration for brand admins."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from strawberry.permission import BasePermission

from billing.models import MembershipPlan, MerchantPlan
from billing.services.plans import BillingErrorCode
from core.errors import field_error
from graphql_schema.access import not_found
from graphql_schema.context import Info


class OnBrandHost(BasePermission):
    """Anyone, signed in or not, on a brand's host (the root domain has no plans)."""

    message = "Plans are sold on a brand's host."
    error_extensions = {"code": "NOT_FOUND"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return not info.context.is_root_host


def merchant_plan_or_error(code: str, *, include_inactive: bool = True) -> MerchantPlan:
    plans = MerchantPlan.objects.all() if include_inactive else MerchantPlan.objects.filter(is_active=True)
    plan = plans.filter(code=str(code).strip().lower()).first()
    if plan is None:
        raise not_found("Plan")
    return plan


def membership_plan_or_error(code: str) -> MembershipPlan:
    plan = MembershipPlan.objects.select_related("program").filter(code=str(code).strip().lower()).first()
    if plan is None:
        raise not_found("Membership plan")
    return plan


def plan_code_error(what: str) -> ValidationError:
    """An unknown plan code typed by the user (another brand's plans are unknown here too)."""
    return field_error("planCode", f"No {what} has this code.", BillingErrorCode.NOT_FOUND)
