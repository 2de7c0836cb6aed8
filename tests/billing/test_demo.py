"""The billing demo of `make run`: customers of both demo brands can pay by bank transfer."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django_tenants.utils import tenant_context

from billing.demo import demo_billing_settings_ensure
from payments.services.payments import bank_transfer_available


@pytest.mark.parametrize("brand", ["brand_a", "brand_b"])
def test_demo_billing_settings_open_bank_transfers_and_are_kept_once_set(brand, request):
    tenant = request.getfixturevalue(brand)
    with tenant_context(tenant):
        first = demo_billing_settings_ensure()
        assert bank_transfer_available(first)
        assert first.vat_rate == Decimal("20")
        assert (first.bank_iban[:2], first.bank_bic[4:6]) == (
            ("MA", "MA") if tenant.currency == "MAD" else ("FR", "FR")
        )

        first.bank_instructions = "Changed by the brand admin."
        first.save()
        assert demo_billing_settings_ensure().bank_instructions == "Changed by the brand admin."


def test_checkout_offers_the_methods_the_brand_can_take(gql, brand_a, settings):
    settings.STRIPE_API_KEY = ""
    query = "{ paymentMethods { card bankTransfer } }"
    assert gql(brand_a).data(query)["paymentMethods"] == {"card": False, "bankTransfer": False}

    settings.STRIPE_API_KEY = "sk_test_configured"
    with tenant_context(brand_a):
        demo_billing_settings_ensure()
    assert gql(brand_a).data(query)["paymentMethods"] == {"card": True, "bankTransfer": True}
