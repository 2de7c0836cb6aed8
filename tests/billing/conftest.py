"""Fixtures of the billing tests: the reference plans in a brand, Stripe pointed at the fake, and
delivering the fake's events to the platform's webhook endpoint through Django's test client
(inside the test's transaction, signed for real).

Delivery is as Stripe's: by default each batch of new events is posted in a random order with some
events posted twice (``StripeEvents(fake, shuffle=True, duplicate_rate=0.3, seed=...)``, the seed
derived from the test's name, or ``STRIPE_EVENTS_SEED``). A test that asserts what one exact
sequence does builds ``StripeEvents(fake, ordered=True)`` (or uses ``stripe_events_ordered``)."""

from __future__ import annotations

import datetime as dt
import os
import random
import zlib
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone
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
    """The fake's events since the last look, posted to ``/stripe/webhook/`` on the root domain:
    shuffled and partly duplicated (``ordered=False``, the default) or in the order they happened."""

    def __init__(
        self,
        fake: Any,
        *,
        ordered: bool = False,
        duplicate_rate: float = 0.3,
        seed: int | str | None = None,
    ) -> None:
        self.fake = fake
        self.client = Client()
        self.seen = {event["id"] for event in fake.events()}
        self.ordered = ordered
        self.duplicate_rate = 0.0 if ordered else duplicate_rate
        if seed is None:
            seed = os.environ.get("STRIPE_EVENTS_SEED") or os.environ.get("PYTEST_CURRENT_TEST", "")
        self.seed = seed if isinstance(seed, int) else zlib.crc32(str(seed).encode())
        self.random = random.Random(self.seed)

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

    def schedule(self, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The order of delivery: as recorded, or shuffled with some events twice (at least once,
        in any order, as Stripe delivers)."""
        if self.ordered:
            return list(events)
        plan = list(events) + [e for e in events if self.random.random() < self.duplicate_rate]
        self.random.shuffle(plan)
        return plan

    def deliver(self, *, types: tuple[str, ...] = ()) -> list[dict[str, Any]]:
        """Post every new event (see ``schedule``); each delivery must be accepted. Returns the
        events in the order they happened."""
        events = self.new(types=types)
        for event in self.schedule(events):
            response = self.post(event)
            assert response.status_code == 200, (event["type"], response.content, f"seed {self.seed}")
        return events


@pytest.fixture
def stripe_events(stripe_on: Any) -> StripeEvents:
    """Shuffled and partly duplicated delivery (Stripe's)."""
    return StripeEvents(stripe_on)


@pytest.fixture
def stripe_events_ordered(stripe_on: Any) -> StripeEvents:
    """Delivery in the order the events happened, each once (for tests of one exact sequence)."""
    return StripeEvents(stripe_on, ordered=True)


class PlatformClock:
    """``django.utils.timezone.now`` as the fake's test clock of one customer says (the real
    clock until ``follow`` is called)."""

    def __init__(self, monkeypatch: Any) -> None:
        self.at: dt.datetime | None = None
        self._real = timezone.now
        monkeypatch.setattr(timezone, "now", self.now)

    def now(self) -> dt.datetime:
        return self.at or self._real()

    def follow(self, fake: Any, customer: str) -> None:
        self.at = dt.datetime.fromtimestamp(fake.now(customer), tz=dt.UTC)

    def reset(self) -> None:
        self.at = None


def switch_card(fake: Any, subscription_id: str, customer: str, number: str) -> str:
    """The customer's new card becomes the subscription's default (where Checkout saved the card,
    and so where Stripe's retries look first)."""
    client = fake.client()
    method = client.v1.payment_methods.create(params={"type": "card", "card": {"number": number}})
    client.v1.payment_methods.attach(method.id, params={"customer": customer})
    client.v1.subscriptions.update(subscription_id, params={"default_payment_method": method.id})
    return str(method.id)
