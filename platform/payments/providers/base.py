"""The interface every payment provider implements [pretix ``BasePaymentProvider``].

A provider is a stateless object: what varies per brand (Stripe keys, the brand's bank account)
is read when it is asked, inside the brand's schema. The payments service owns the payment's row
and its lock; a provider only answers questions about it:

- ``identifier``: the value stored in ``Payment.provider`` (never change it: rows keep it);
- ``verbose_name``: what people read (checkout, invoices, the admin's payment queue);
- ``transitions``: the provider's state machine, ``{status: allowed next statuses}``. The
  service refuses any other move with ``ILLEGAL_TRANSITION``. A confirmed payment only ever
  leaves by a refund;
- ``is_available()``: whether the current brand can take payments this way now (keys set,
  bank details filled in); ``unavailable_message`` is the user error when it cannot;
- ``refund_supported``: whether money can be sent back through the provider (a card can; a
  bank transfer is refunded by the brand outside the platform).

What a provider does with the outside world (creating a Stripe Checkout session, showing bank
details) stays in the services that need it; the interface grows when a second provider needs
the same step [pretix's ``execute_payment``/``execute_refund``].
"""

from __future__ import annotations

from collections.abc import Mapping


class BasePaymentProvider:
    identifier: str = ""
    verbose_name: str = ""
    unavailable_message: str = "This payment method is not available."
    refund_supported: bool = False
    transitions: Mapping[str, frozenset[str]] = {}

    def is_available(self) -> bool:
        """Whether the current brand takes payments with this provider (read in its schema)."""
        raise NotImplementedError

    def can_move(self, current: str, to: str) -> bool:
        """Whether a payment of this provider may go from status ``current`` to ``to``."""
        return to in self.transitions.get(current, frozenset())

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.identifier}>"
