"""Money: Decimal amounts with an ISO 4217 currency, rounded once, where money enters or
leaves the platform, with the rounding mode chosen explicitly [pretix ``round_decimal``]."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from functools import cache

from babel.numbers import get_currency_precision

# Commissions are rounded down to the minor unit: a split of a sale never pays out more
# than the configured share of it. Prices and refunds round half-up.
COMMISSION_ROUNDING = ROUND_DOWN
PRICE_ROUNDING = ROUND_HALF_UP


@cache
def minor_unit_exponent(currency: str) -> Decimal:
    """``Decimal("0.01")`` for EUR, ``Decimal("1")`` for JPY, ``Decimal("0.001")`` for KWD."""
    return Decimal(1).scaleb(-get_currency_precision(currency))


def quantize(amount: Decimal, currency: str, rounding: str = PRICE_ROUNDING) -> Decimal:
    return amount.quantize(minor_unit_exponent(currency), rounding=rounding)


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise TypeError(f"Money needs a Decimal amount, not {type(self.amount).__name__}")
        if len(self.currency) != 3 or not self.currency.isupper():
            raise ValueError(f"not an ISO 4217 code: {self.currency!r}")

    def __add__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def _check(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot mix {self.currency} and {other.currency}")

    def quantized(self, rounding: str = PRICE_ROUNDING) -> Money:
        return Money(quantize(self.amount, self.currency, rounding), self.currency)

    def minor_units(self) -> int:
        """Integer minor units, as Stripe wants them (amount must already be quantized)."""
        exponent = get_currency_precision(self.currency)
        scaled = self.amount.scaleb(exponent)
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{self} has more precision than {self.currency} allows")
        return int(scaled)

    @classmethod
    def from_minor_units(cls, units: int, currency: str) -> Money:
        return cls(Decimal(units).scaleb(-get_currency_precision(currency)), currency)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"
