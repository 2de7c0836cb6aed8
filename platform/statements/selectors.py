from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accounts.selectors import is_brand_admin
from statements.models import SelfBillingInvoice, Statement


def statements_visible_to(user: Any) -> QuerySet[Statement]:
    """Mine; every affiliate's for a brand admin (in the current brand's schema only)."""
    statements = Statement.objects.select_related("user")
    if not user.is_authenticated:
        return statements.none()
    return statements if is_brand_admin(user) else statements.filter(user_id=user.pk)


def self_billing_invoices_visible_to(user: Any) -> QuerySet[SelfBillingInvoice]:
    invoices = SelfBillingInvoice.objects.select_related("user")
    if not user.is_authenticated:
        return invoices.none()
    return invoices if is_brand_admin(user) else invoices.filter(user_id=user.pk)
