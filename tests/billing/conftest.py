"""Fixtures of the billing tests: the reference plans in a brand, Stripe pointed at the fake, and
delivering the fake's events to the platform's webhook endpoint through Django's test client
(inside the test's transaction, signed for real)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django_tenants.utils import tenant_context

from accounts.models import Role
from billing.demo import demo_merchant_plans_ensure
from billing.models import MerchantPlan
from payments.models import BillingSettings
from tenants.models import Tenant
from tests.conftest import make_user

WEBHOOK_PATH = "/stripe/webhook/"


@pytest.fixture
def plans_a(brand_a: Tenant) -> dict[str, MerchantPlan]:
    """Free (5 products, 10 %), Starter 299 (50, 5 %), Pro 799 (200, 3 %), Enterprise 1999
    (unlimited, 2 %), in MAD, in brand A."""
    with tenant_context(brand_a):
        return {plan.code: plan for plan in demo_merchant_plans_ensure()}


@pytest.fixture
def merchant_a(brand_a: Tenant) -> Any:
    return make_user(brand_a, role=Role.MERCHANT)


@pytest.fixture
def bank_details_a(brand_a: Tenant) -> BillingSettings:
    with tenant_context(brand_a):
        row = BillingSettings.objects.first() or BillingSettings()
        row.legal_name = "Alpha Brand SARL"
        row.bank_account_holder = "Alpha Brand SARL"
        row.bank_name = "Banque Populaire"
        row.bank_iban = "MA64011519000001205000534921"
        row.bank_rib = "011519000001205000534921"
        row.save()
        return row


@pytest.fixture
def stripe_on(fake_stripe: Any, settings: Any) -> Iterator[Any]:
    """STRIPE_* settings pointed at the fake."""
    settings.STRIPE_API_KEY = fake_stripe.api_key
    settings.STRIPE_API_BASE = fake_stripe.url
    settings.STRIPE_WEBHOOK_SECRET = fake_stripe.webhook_secret
    return fake_stripe


class StripeEvents:
    """The fake's events since the last look, posted to ``/stripe/webhook/`` on the root domain."""

    def __init__(self, fake: Any) -> None:
        self.fake = fake
        self.client = Client()
        self.seen = {event["id"] for event in fake.events()}

    def new(self, *, types: tuple[str, ...] = ()) -> list[dict[str, Any]]:
        """Events produced since the last call (oldest first), marked seen."""
        fresh = [event for event in self.fake.events() if event["id"] not in self.seen]
        self.seen.update(event["id"] for event in fresh)
        return [event for event in fresh if not types or event["type"] in types]

    def post(self, event: dict[str, Any] | str, **headers: str) -> Any:
        request = self.fake.webhook_request(event)
        return self.client.post(
            WEBHOOK_PATH,
            data=request.body,
            content_type="application/json",
            HTTP_HOST=django_settings.ROOT_DOMAIN,
            HTTP_STRIPE_SIGNATURE=headers.get("signature", request.headers["Stripe-Signature"]),
        )

    def deliver(self, *, types: tuple[str, ...] = ()) -> list[dict[str, Any]]:
        """Post every new event in the order it happened; each must be accepted."""
        events = self.new(types=types)
        for event in events:
            response = self.post(event)
            assert response.status_code == 200, (event["type"], response.content)
        return events


@pytest.fixture
def stripe_events(stripe_on: Any) -> StripeEvents:
    return StripeEvents(stripe_on)
