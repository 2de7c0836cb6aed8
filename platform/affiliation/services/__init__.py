"""Writes of the affiliate engine, by entity. Import from here."""

from affiliation.services.affiliates import (
    affiliate_decide,
    affiliate_join,
    affiliate_set_leaderboard_opt_out,
    affiliate_set_tier,
    upline_ids,
)
from affiliation.services.commissions import (
    click_commissions_accrue,
    commission_reverse,
    commissions_release_due,
    commissions_unhold,
)
from affiliation.services.conversions import (
    ConversionResult,
    RefundResult,
    conversion_record,
    conversion_refund,
)
from affiliation.services.links import coupon_create, link_archive, link_create
from affiliation.services.programs import program_create, program_update, tiers_set

__all__ = [
    "ConversionResult",
    "RefundResult",
    "affiliate_decide",
    "affiliate_join",
    "affiliate_set_leaderboard_opt_out",
    "affiliate_set_tier",
    "click_commissions_accrue",
    "commission_reverse",
    "commissions_release_due",
    "commissions_unhold",
    "conversion_record",
    "conversion_refund",
    "coupon_create",
    "link_archive",
    "link_create",
    "program_create",
    "program_update",
    "tiers_set",
    "upline_ids",
]
