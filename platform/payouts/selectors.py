"""Reads of the payouts app."""

from __future__ import annotations

from payouts.models import PayoutSettings


def payout_settings() -> PayoutSettings:
    """The brand's payout settings (the row is created with defaults on first read)."""
    row, _ = PayoutSettings.objects.get_or_create(pk=1)
    return row
