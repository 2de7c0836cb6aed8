"""Commission arithmetic, as pure functions (property-tested in tests/affiliation).

Every amount is rounded down to the currency's minor unit, once, here: the lines of a
cascade never add up to more than the configured share of the sale.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from core.money import COMMISSION_ROUNDING, quantize

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Rule:
    """What pays the converting affiliate: a rate of the sale or a flat amount."""

    kind: str  # "percentage" | "flat"
    rate: Decimal = Decimal(0)  # percent, for "percentage"
    flat_amount: Decimal = Decimal(0)  # for "flat"


@dataclass(frozen=True)
class Line:
    level: int  # 0: the converting affiliate; n: the n-th referrer up the tree
    beneficiary_id: int
    base_amount: Decimal
    rate: Decimal | None
    amount: Decimal


def commission_lines(
    *,
    sale_amount: Decimal,
    currency: str,
    rule: Rule,
    affiliate_id: int,
    upline_ids: Sequence[int],
    cascade_rates: Sequence[Decimal],
) -> list[Line]:
    """The converting affiliate's line, then one line per referrer up to the cascade's depth.

    Lines of zero are left out (a 0 % level, or an amount below one minor unit).
    """
    if rule.kind == "flat":
        own = Line(
            0,
            affiliate_id,
            sale_amount,
            None,
            quantize(min(rule.flat_amount, sale_amount), currency, COMMISSION_ROUNDING),
        )
    else:
        own = Line(0, affiliate_id, sale_amount, rule.rate, _share(sale_amount, rule.rate, currency))
    lines = [own]
    for level, (beneficiary_id, rate) in enumerate(zip(upline_ids, cascade_rates, strict=False), start=1):
        lines.append(Line(level, beneficiary_id, sale_amount, rate, _share(sale_amount, rate, currency)))
    return [line for line in lines if line.amount > 0]


def configured_share(rule: Rule, cascade_rates: Sequence[Decimal], sale_amount: Decimal) -> Decimal:
    """The most a sale may pay out in total under these rules (unrounded)."""
    own = min(rule.flat_amount, sale_amount) if rule.kind == "flat" else sale_amount * rule.rate / HUNDRED
    return own + sum((sale_amount * rate / HUNDRED for rate in cascade_rates), Decimal(0))


def reversal_amount(
    *,
    commission_amount: Decimal,
    sale_amount: Decimal,
    refunded_total: Decimal,
    already_reversed: Decimal,
    currency: str,
) -> Decimal:
    """How much more of a commission a refund takes back.

    Computed on the cumulative refund, so successive partial refunds that add up to the
    whole sale take back exactly the whole commission, to the cent.
    """
    if refunded_total >= sale_amount:
        target = commission_amount
    else:
        target = quantize(commission_amount * refunded_total / sale_amount, currency, COMMISSION_ROUNDING)
    return max(target - already_reversed, Decimal(0))


def _share(amount: Decimal, rate: Decimal, currency: str) -> Decimal:
    return quantize(amount * rate / HUNDRED, currency, COMMISSION_ROUNDING)
