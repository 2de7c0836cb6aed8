from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import override_settings
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Role, User
from affiliation.models import Affiliate
from affiliation.services import commissions_release_due, conversion_record, conversion_refund
from payouts.services import withdrawal_approve, withdrawal_mark_paid, withdrawal_request
from statements import identity
from statements.identity import BillingIdentity
from tests.conftest import make_user
from tests.engine import make_affiliate, make_click, make_program
from tests.statements.histories import frozen_clock

PAYPAL = {"email": "me@example.com"}


def months_ago(count: int) -> dt.date:
    day = timezone.now().date().replace(day=1)
    for _ in range(count):
        day = (day - dt.timedelta(days=1)).replace(day=1)
    return day


@dataclass
class Earner:
    user: User
    affiliate: Affiliate
    admin: User
    period: dt.date  # the month of the history (over)


def earn_and_withdraw(brand: Any, *, period: dt.date) -> Earner:
    """In ``period``: a sale (40.00 of commission), a 25 % refund, release, a paid withdrawal of 20.00."""
    start = dt.datetime(period.year, period.month, 3, 10, tzinfo=dt.UTC)
    with frozen_clock(start) as clock:
        admin = make_user(brand, role=Role.BRAND_ADMIN)
        affiliate = make_affiliate(brand, make_program(cascade_rates=[], hold_days=0, name="Summer shop"))
        click = make_click(affiliate)
        conversion_record(
            source="postback", order_id="o-1", amount="200.00", currency="EUR", click_id=str(click.id)
        )
        clock.now += dt.timedelta(days=2)
        conversion_refund(source="postback", order_id="o-1", refund_id="r-1", amount="50.00")
        commissions_release_due(now=clock.now)
        clock.now += dt.timedelta(days=3)
        withdrawal = withdrawal_request(affiliate=affiliate, amount="20.00", method="paypal", details=PAYPAL)
        withdrawal_approve(actor=admin, withdrawal=withdrawal)
        withdrawal_mark_paid(actor=admin, withdrawal=withdrawal, payment_reference="PP-1")
    return Earner(user=affiliate.user, affiliate=affiliate, admin=admin, period=period)


@pytest.fixture
def earner(brand_a) -> Iterator[Earner]:
    with tenant_context(brand_a):
        yield earn_and_withdraw(brand_a, period=months_ago(2))


@pytest.fixture
def local_disk(tmp_path):
    storages = {**django_settings.STORAGES, "default": {"BACKEND": "core.storage.TenantFileSystemStorage"}}
    with override_settings(STORAGES=storages, MEDIA_ROOT=str(tmp_path)):
        yield tmp_path


class Identities:
    """A test provider of billing identities (the KYC app registers the real one)."""

    def __init__(self) -> None:
        self.by_email: dict[str, BillingIdentity] = {}

    def __call__(self, user: Any) -> BillingIdentity | None:
        return self.by_email.get(user.email)

    def business(self, user: User, *, vat_registered: bool) -> BillingIdentity:
        self.by_email[user.email] = BillingIdentity(
            name="Atlas Média SARL",
            is_business=True,
            vat_registered=vat_registered,
            address_lines=("12 rue Ibn Battouta", "Casablanca"),
            country="MA",
            ice="001525489000088",
            if_number="40204410",
            rc="RC 345678",
            tva="40204410" if vat_registered else "",
        )
        return self.by_email[user.email]


@pytest.fixture
def identities() -> Iterator[Identities]:
    provider = Identities()
    identity.register(provider)
    yield provider
    identity.unregister(provider)


ZERO = Decimal(0)
