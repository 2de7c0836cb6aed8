"""Builders for the affiliate engine's tests (programs, affiliates, clicks, sales)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from accounts.models import Role
from affiliation.models import Affiliate, Program
from affiliation.services import affiliate_join, link_create, program_create
from affiliation.services.programs import DEFAULT_TIERS
from core.ids import new_time_ordered_id
from tests.conftest import make_user
from tracking.models import Click

_counter = iter(range(1, 10**9))


def make_program(**rules: Any) -> Program:
    """A program in the current schema: 20/25/30 % tiers, 10 %/5 % cascade unless told."""
    rules.setdefault("cascade_rates", [Decimal(10), Decimal(5)])
    return program_create(
        actor=None,
        name=rules.pop("name", f"Program {next(_counter)}"),
        landing_url=rules.pop("landing_url", "https://shop.example.com/"),
        currency=rules.pop("currency", "EUR"),
        tiers=rules.pop("tiers", DEFAULT_TIERS),
        **rules,
    )


def make_affiliate(
    brand: Any, program: Program, *, referrer: Affiliate | None = None, tier: str = "default"
) -> Affiliate:
    user = make_user(brand, role=Role.AFFILIATE)
    affiliate = affiliate_join(
        user=user, program=program, referral_code=referrer.referral_code if referrer else ""
    )
    if tier != "default":
        affiliate.tier = program.tiers.get(code=tier)
        affiliate.save(update_fields=["tier"])
    return affiliate


def make_click(affiliate: Affiliate, *, age: dt.timedelta = dt.timedelta(minutes=5)) -> Click:
    """A click as the drain leaves it in Postgres."""
    link = affiliate.links.first() or link_create(affiliate=affiliate)
    return Click.objects.create(
        id=new_time_ordered_id(),
        link=link,
        affiliate_id=affiliate.pk,
        program_id=affiliate.program_id,
        created_at=timezone.now() - age,
        ip_hash="0" * 32,
        is_unique=True,
    )


def count_clicks(link: Any, *, clicks: int, unique_clicks: int, at: dt.datetime | None = None) -> None:
    """Clicks of ``link`` counted in the one click rollup (``analytics_rollup``: hour and day rows,
    every dimension), as the drain counts them; in the current schema."""
    from django.db import connection

    from analytics.rollups import EventValues, RollupBatch, epoch_seconds

    batch = RollupBatch()
    batch.add(
        epoch_seconds(at or timezone.now()),
        EventValues(
            link.program_id, link.affiliate_id, link.offer_ref, link.program.currency, link=str(link.pk)
        ),
        clicks=clicks,
        unique_clicks=unique_clicks,
    )
    with connection.cursor() as cursor:
        batch.write(cursor)
