from __future__ import annotations

from decimal import Decimal

import strawberry

from core.money import minor_unit_exponent

RATE_EXPONENT = Decimal("0.01")


@strawberry.type(description="An amount of money: `amount` is a decimal string, never a float.")
class Money:
    amount: Decimal
    currency: str


def tidy(value: Decimal, exponent: Decimal) -> Decimal:
    """Show ``value`` with exactly ``exponent``'s decimals when that loses nothing, else as is
    (an earnings-per-click of 0.0133 keeps its four decimals)."""
    shortened = value.quantize(exponent)
    return shortened if shortened == value else value


def money(amount: Decimal, currency: str) -> Money:
    """Amounts as the currency writes them: 25.00 EUR, 1999 JPY (the database keeps 4 decimals)."""
    return Money(amount=tidy(amount, minor_unit_exponent(currency)), currency=currency)


def rate(value: Decimal) -> Decimal:
    """Percentages with two decimals: 20.00."""
    return tidy(value, RATE_EXPONENT)
