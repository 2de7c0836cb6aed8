"""Shared pieces of the Stripe Connect tests: Stripe pointed at the fake, events posted to the
platform's endpoint signed as Stripe signs them (the Connect endpoint's secret for events of
connected accounts), affiliates with money and a verified connected account."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from affiliation.services import commissions_release_due, conversion_record
from tests.billing.conftest import WEBHOOK_PATH, StripeEvents
from tests.connect_fixtures import CONNECT_WEBHOOK_SECRET
from tests.engine import make_affiliate, make_click, make_program

ONBOARD = """
mutation { stripeConnectOnboard { url account { accountId status } errors { field code message } } }
"""
MINE = "query { myStripeConnect { accountId status detailsSubmitted payoutsEnabled requirementsDue lastPayoutFailure { amount currency code message } } }"
REFRESH = "mutation { stripeConnectRefresh { account { accountId status } errors { field code } } }"


class ConnectEvents(StripeEvents):
    """Events of connected accounts (``account`` set) come from the Connect endpoint, signed with
    its own secret; the platform's with the account endpoint's."""

    def post(self, event: dict[str, Any] | str, **headers: str) -> Any:
        data = self.fake._call("GET", f"/v1/events/{event}") if isinstance(event, str) else event
        secret = headers.get("secret") or (CONNECT_WEBHOOK_SECRET if data.get("account") else None)
        request = self.fake.webhook_request(data, secret=secret)
        return self.client.post(
            WEBHOOK_PATH,
            data=request.body,
            content_type="application/json",
            HTTP_HOST=django_settings.ROOT_DOMAIN,
            HTTP_STRIPE_SIGNATURE=request.headers["Stripe-Signature"],
        )


@pytest.fixture(name="stripe_on")
def stripe_on_fixture(fake_stripe: Any, settings: Any) -> Any:
    settings.STRIPE_API_KEY = fake_stripe.api_key
    settings.STRIPE_API_BASE = fake_stripe.url
    settings.STRIPE_WEBHOOK_SECRET = fake_stripe.webhook_secret
    settings.STRIPE_CONNECT_WEBHOOK_SECRET = CONNECT_WEBHOOK_SECRET
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    return fake_stripe


@pytest.fixture(name="events")
def events_fixture(stripe_on: Any) -> ConnectEvents:
    return ConnectEvents(stripe_on)


def earn(affiliate: Any, amount: str, order_id: str) -> None:
    """``amount`` of commission (20 % of a sale), released from the hold: available."""
    click = make_click(affiliate)
    sale = (Decimal(amount) * 5).quantize(Decimal("0.01"))
    conversion_record(
        source="postback", order_id=order_id, amount=str(sale), currency="EUR", click_id=str(click.id)
    )
    commissions_release_due(now=timezone.now() + dt.timedelta(days=31))


def stripe_program() -> Any:
    return make_program(cascade_rates=[], withdrawal_methods=["stripe", "paypal"])


def funded_affiliate(brand: Any, program: Any, amount: str = "100.00") -> Any:
    affiliate = make_affiliate(brand, program)
    earn(affiliate, amount, f"fund-{affiliate.pk}")
    return affiliate
