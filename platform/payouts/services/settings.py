"""The brand's payout settings (automatic approval threshold)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from core.audit import audit_log
from core.errors import field_error
from payouts.error_codes import PayoutErrorCode as Code
from payouts.models import PayoutSettings
from payouts.selectors import payout_settings

THRESHOLD_MAX = Decimal("1000000")


def payout_settings_update(*, actor: Any, auto_approve_threshold: Any = None) -> PayoutSettings:
    row = payout_settings()
    if auto_approve_threshold is not None:
        try:
            value = Decimal(str(auto_approve_threshold))
        except InvalidOperation:
            value = Decimal(-1)
        if (
            not value.is_finite()
            or value < 0
            or value > THRESHOLD_MAX
            or value != value.quantize(Decimal("0.01"))
        ):
            raise field_error(
                "autoApproveThreshold",
                f"Give an amount from 0 (always approve by hand) to {THRESHOLD_MAX}, "
                "with at most 2 decimals.",
                Code.INVALID,
            )
        PayoutSettings.objects.filter(pk=row.pk).update(auto_approve_threshold=value)
        row.refresh_from_db()
        audit_log(
            actor=actor, action="payouts.settings_updated", target=row, auto_approve_threshold=str(value)
        )
    return row
