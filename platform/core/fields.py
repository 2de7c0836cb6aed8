"""Model fields for money [Saleor, pretix]: 20 digits with 4 decimals next to a currency."""

from __future__ import annotations

from typing import Any

from django.db import models


class AmountField(models.DecimalField):
    """An amount of money (its currency is another field): 20 digits, 4 decimals."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 20)
        kwargs.setdefault("decimal_places", 4)
        super().__init__(*args, **kwargs)


class RateField(models.DecimalField):
    """A percentage such as 12.5 (up to 100.0000)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 7)
        kwargs.setdefault("decimal_places", 4)
        super().__init__(*args, **kwargs)
