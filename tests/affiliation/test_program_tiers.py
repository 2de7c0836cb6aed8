"""A new program's tiers are named in the brand's language (walkthrough finding 19: the French
brand's affiliates saw the tier "Default")."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from affiliation.services import program_create


@pytest.mark.parametrize(
    ("brand", "labels"),
    [
        ("brand_a", ["Default", "Premium", "VIP"]),
        ("brand_b", ["Standard", "Premium", "VIP"]),
    ],
)
def test_the_default_tiers_are_named_in_the_brands_language(brand, labels, request):
    tenant = request.getfixturevalue(brand)
    with tenant_context(tenant):
        program = program_create(
            actor=None, name="Partners", landing_url="https://shop.example.com/", currency=tenant.currency
        )
        assert [tier.label for tier in program.tiers.order_by("rate")] == labels
