"""What a payment pays for, as the apps above ``payments`` describe it.

A payment pays for an order (``marketplace``), a merchant plan or a membership (``billing``).
``payments`` imports neither: each of those apps registers, for its purposes, the few things the
payment needs to know about its subject, in its ``AppConfig.ready()`` [pretix: a payment provider
asks its order, never the other way round]:

- ``invoice_lines``: what the invoice lists, at the prices paid (VAT included);
- ``pay_before``: the deadline shown with the bank details (an order's reservation), or None;
- ``transfer_refusal``: why a reported bank transfer can no longer pay the subject (an order
  whose reservation ran out and was cancelled), or "" when it still can.

What *happens* to the subject when its payment is confirmed, rejected or refunded is not asked
here: those apps subscribe to the ``payment.*`` events (see ``payments.services.payments``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from payments.models import Payment


@dataclass(frozen=True)
class GrossLine:
    """One line of what a payment paid for, VAT included (the invoice splits the VAT out)."""

    description: str
    quantity: int
    unit_price: Decimal
    line_total: Decimal


def _no_deadline(payment: Payment) -> dt.datetime | None:
    return None


def _always_payable(payment: Payment) -> str:
    return ""


@dataclass(frozen=True)
class PaymentPurposeHooks:
    invoice_lines: Callable[[Payment], list[GrossLine]]
    pay_before: Callable[[Payment], dt.datetime | None] = _no_deadline
    transfer_refusal: Callable[[Payment], str] = _always_payable


_HOOKS: dict[str, PaymentPurposeHooks] = {}


def payment_purpose_register(purpose: str, hooks: PaymentPurposeHooks) -> None:
    """Describe the subjects of ``purpose`` (call once, from the owning app's ``ready()``)."""
    _HOOKS[purpose] = hooks


def _single_line(payment: Payment) -> list[GrossLine]:
    return [GrossLine(payment.get_purpose_display()[:200], 1, payment.amount, payment.amount)]


def purpose_hooks(purpose: str) -> PaymentPurposeHooks:
    """The hooks of ``purpose``; a purpose nobody registered is invoiced as one line."""
    return _HOOKS.get(purpose) or PaymentPurposeHooks(invoice_lines=_single_line)
