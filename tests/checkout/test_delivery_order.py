"""Property: a card order ends in the same state whatever the order of Stripe's webhooks and however
many times each arrives (ordered delivery, then shuffled and partly duplicated under several seeds):
two orders of one product paid by Checkout, with their vouchers, commissions, stock and ledger."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django_tenants.utils import tenant_context

from affiliation.models import Commission, Conversion
from ledger.selectors import ledger_differences
from marketplace.models import Order, Product, Voucher
from payments.models import Payment
from tests.billing.conftest import StripeEvents
from tests.checkout.builders import make_product
from tests.checkout.test_stripe_checkout import _card_order, shop, stripe_on  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def _orders(brand: Any, people: dict[str, Any], fake: Any, events: StripeEvents) -> list[Any]:
    with tenant_context(brand):
        product = make_product(people["merchant"], price=Decimal("30.00"), stock=5)
        paid = _card_order(people, product, 2)
        other = _card_order(people, product, 1)
    fake.complete_checkout(paid.payment.stripe_checkout_session_id)
    fake.complete_checkout(other.payment.stripe_checkout_session_id)
    events.deliver()
    events.deliver()  # nothing new: a no-op
    with tenant_context(brand):
        state = []
        for result in (paid, other):
            order = Order.objects.get(pk=result.order.pk)
            conversions = Conversion.objects.filter(order_id__startswith=f"{order.number}:")
            state.append(
                (
                    order.status,
                    Payment.objects.get(pk=result.payment.pk).status,
                    Voucher.objects.filter(line__order=order).count(),
                    sorted(str(c.amount) for c in Commission.objects.filter(conversion__in=conversions)),
                )
            )
        state.append(Product.objects.get(pk=product.pk).stock)
        assert ledger_differences() == []
        return state


@pytest.mark.timeout(300)
def test_card_orders_end_the_same_whatever_the_delivery(brand_a, shop, stripe_on):  # type: ignore[no-untyped-def]  # noqa: F811
    ordered = _orders(brand_a, shop, stripe_on, StripeEvents(stripe_on, ordered=True))
    assert [(o[0], o[1], o[2]) for o in ordered[:2]] == [("paid", "confirmed", 2), ("paid", "confirmed", 1)]
    assert ordered[2] == 2
    for seed in (11, 12, 13):
        shuffled = _orders(brand_a, shop, stripe_on, StripeEvents(stripe_on, seed=seed, duplicate_rate=0.5))
        assert shuffled == ordered, f"seed {seed}"
