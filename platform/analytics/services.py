"""Writes of analytics: conversions, signups and page views into their rollups, each exactly once.

Clicks are added by the click drain itself (``tracking.ingest``, in the transaction of its
COPY). Conversions arrive through ``conversion_rollup_sync``, run by a Celery task enqueued
after the engine commits a conversion or a refund (``analytics.hooks``): it adds the
difference between what the conversion is now and what it had added before, so a replayed or
reordered task changes nothing twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import User
from affiliation.models import Conversion
from analytics.models import (
    AnalyticsRollup,
    ConversionRollupState,
    Granularity,
    PageDimension,
    SignupAttribution,
)
from analytics.rollups import ZERO, EventValues, RollupBatch, epoch_seconds
from analytics.sources import classify_referrer_host
from core.agents import agent_details, is_counted_agent
from core.live import delta_publish_on_commit, program_rows, program_stats_topic
from core.ratelimit import rate_limit_hit
from tracking.models import Click

# --- conversions ---------------------------------------------------------------------------


def _conversion_target(conversion: Conversion) -> dict[str, Any]:
    """What the conversion adds to the rollups as it stands now."""
    commissions: dict[str, Decimal] = {}
    for beneficiary_id, level, amount, reversed_amount in conversion.commissions.values_list(
        "beneficiary_id", "level", "amount", "reversed_amount"
    ):
        # Level 0 is the converting affiliate's (counted with the traffic's values); the
        # cascade's levels go to their beneficiaries, outside any traffic dimension.
        key = f"{beneficiary_id}:{0 if level == 0 else 1}"
        commissions[key] = commissions.get(key, ZERO) + amount - reversed_amount
    return {
        "conversions": 1,
        "revenue": str(conversion.amount - conversion.refunded_amount),
        "commissions": {key: str(value) for key, value in commissions.items()},
    }


def _click_values(click_id: uuid.UUID | None) -> dict[str, str]:
    if click_id is None:
        return {}
    click = (
        Click.objects.filter(pk=click_id).values("country", "device_type", "browser", "referrer_host").first()
    )
    if click is None:
        return {}
    return {
        "country": click["country"],
        "device": click["device_type"],
        "browser": click["browser"],
        "source": classify_referrer_host(click["referrer_host"]),
    }


def conversion_rollup_sync(*, conversion_id: int) -> bool:
    """Bring the rollups in line with one conversion (recorded, refunded, reversed): adds the
    difference since the last sync, under a lock of the conversion's state row. Returns
    whether anything changed. Idempotent, and safe in any order and concurrently."""
    conversion = Conversion.objects.select_related("program", "link").filter(pk=conversion_id).first()
    if conversion is None:
        return False
    with transaction.atomic():
        ConversionRollupState.objects.bulk_create(
            [ConversionRollupState(conversion_id=conversion_id)], ignore_conflicts=True
        )
        state = ConversionRollupState.objects.select_for_update().get(conversion_id=conversion_id)
        conversion.refresh_from_db(fields=["refunded_amount", "status"])
        target = _conversion_target(conversion)
        applied = state.applied or {"conversions": 0, "revenue": "0", "commissions": {}}
        conversions = target["conversions"] - int(applied.get("conversions", 0))
        revenue = Decimal(target["revenue"]) - Decimal(applied.get("revenue", "0"))
        before = {key: Decimal(value) for key, value in applied.get("commissions", {}).items()}
        after = {key: Decimal(value) for key, value in target["commissions"].items()}
        commission_changes = {
            key: after.get(key, ZERO) - before.get(key, ZERO) for key in sorted({*before, *after})
        }
        if not conversions and not revenue and not any(commission_changes.values()):
            return False
        link = conversion.link
        offer_ref = conversion.offer_ref or (link.offer_ref if link else "")
        at = epoch_seconds(conversion.occurred_at)
        program = conversion.program
        traffic = EventValues(
            program_id=program.pk,
            affiliate_id=conversion.affiliate_id,
            offer_ref=offer_ref,
            currency=conversion.currency,
            link=str(conversion.link_id) if conversion.link_id else "",
            **_click_values(conversion.click_id),
        )
        batch = RollupBatch()
        own = commission_changes.pop(f"{conversion.affiliate_id}:0", ZERO)
        batch.add(at, traffic, conversions=conversions, revenue=revenue, commissions=own)
        for key, change in commission_changes.items():
            if change:
                beneficiary_id = int(key.split(":")[0])
                batch.add(
                    at,
                    EventValues(
                        program_id=program.pk,
                        affiliate_id=beneficiary_id,
                        offer_ref=offer_ref,
                        currency=conversion.currency,
                    ),
                    commissions=change,
                )
        with connection.cursor() as cursor:
            batch.write(cursor)
        state.applied = target
        state.save(update_fields=["applied", "updated_at"])
        # The rollups now hold the sale: the program's live tick carries what it added.
        delta_publish_on_commit(topic=program_stats_topic(program.pk), rows=program_rows(batch.delta_rows()))
    return True


# --- signups -------------------------------------------------------------------------------


class ClickNotStoredYet(Exception):
    """The click of a signup's cookie is not in Postgres yet (the drain is seconds behind)."""


def signup_attribute(*, user_id: int, click_id: str) -> SignupAttribution | None:
    """Attribute a signup to the click whose id the visitor's ``afp_click`` cookie held, once
    per user, and count it in the rollups in the same transaction.

    None when there is nothing to attribute (unknown user, a cookie that is not a click id,
    a click after the signup). Raises ``ClickNotStoredYet`` for a recent click the drain has
    not written yet, so that the task retries.
    """
    try:
        click_uuid = uuid.UUID(str(click_id))
    except ValueError:
        return None
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return None
    click = Click.objects.select_related("link", "link__program").filter(pk=click_uuid).first()
    if click is None:
        if click_uuid.version == 7 and (
            timezone.now() - dt.datetime.fromtimestamp((click_uuid.int >> 80) / 1000, dt.UTC)
        ) < dt.timedelta(minutes=10):
            raise ClickNotStoredYet(str(click_uuid))
        return None
    if click.created_at > user.date_joined + dt.timedelta(minutes=1):
        return None
    try:
        with transaction.atomic():
            attribution = SignupAttribution.objects.create(
                user=user,
                click_id=click.pk,
                link_id=click.link_id,
                affiliate_id=click.affiliate_id,
                program_id=click.program_id,
            )
            batch = RollupBatch()
            batch.add(
                epoch_seconds(user.date_joined),
                EventValues(
                    program_id=click.program_id,
                    affiliate_id=click.affiliate_id,
                    offer_ref=click.link.offer_ref,
                    currency=click.link.program.currency,
                    link=str(click.link_id),
                    country=click.country,
                    device=click.device_type,
                    browser=click.browser,
                    source=classify_referrer_host(click.referrer_host),
                ),
                signups=1,
            )
            with connection.cursor() as cursor:
                batch.write(cursor)
    except IntegrityError:  # attributed already (a replayed task)
        return SignupAttribution.objects.filter(user_id=user_id).first()
    return attribution


# --- first-party page views ----------------------------------------------------------------

PATH_MAX_LENGTH = 200
SESSION_ID_MAX_LENGTH = 64
INTERNAL = "internal"  # a page view whose referrer is the brand's own host (navigation)

_PAGE_UPSERT = """
INSERT INTO analytics_page_rollup AS r (day, dimension, dimension_value, page_views, sessions, visitors)
SELECT %s::date, dimension, dimension_value, 1, %s, %s
FROM unnest(%s::text[], %s::text[]) AS u(dimension, dimension_value)
ORDER BY dimension, dimension_value
ON CONFLICT (day, dimension, dimension_value) DO UPDATE SET
    page_views = r.page_views + 1,
    sessions = r.sessions + EXCLUDED.sessions,
    visitors = r.visitors + EXCLUDED.visitors
"""
_CLAIM_VISITOR = (
    "INSERT INTO analytics_page_visitor (day, visitor_hash) VALUES (%s, %s) "
    "ON CONFLICT (day, visitor_hash) DO NOTHING RETURNING 1"
)
_CLAIM_SESSION = (
    "INSERT INTO analytics_page_session (day, session_hash) VALUES (%s, %s) "
    "ON CONFLICT (day, session_hash) DO NOTHING RETURNING 1"
)


class PageViewOutcome(StrEnum):
    COUNTED = "counted"
    IGNORED = "ignored"  # a bot, a crawler, a preview fetcher
    THROTTLED = "throttled"


@dataclass(frozen=True)
class PageView:
    """A beacon, as the view parsed it (``path`` without query string or fragment)."""

    path: str
    referrer_host: str
    session_id: str
    screen_width: int | None
    user_agent: str
    ip: str
    country: str
    host: str


def daily_salt(day: dt.date) -> bytes:
    """The brand's random salt of ``day``: created by the first page view of the day, kept two
    days in the cache (keys carry the brand), then forgotten with the link to the IPs."""
    key = f"analytics:salt:{day.isoformat()}"
    for _ in range(2):
        cache.add(key, secrets.token_hex(16), timeout=2 * 86400 + 3600)
        salt = cache.get(key)
        if salt:
            return str(salt).encode()
    raise RuntimeError("the cache keeps no salt")


def visitor_hash(*, day: dt.date, ip: str, user_agent: str) -> str:
    return hmac.digest(daily_salt(day), f"{ip}\x00{user_agent}".encode(), "sha256")[:16].hex()


def _screen(width: int | None) -> str:
    if width is None or width <= 0:
        return ""
    if width < 768:
        return "small"
    if width < 1280:
        return "medium"
    return "large"


def page_view_record(*, view: PageView, now: dt.datetime | None = None) -> PageViewOutcome:
    """Count a page view of the brand's own site: bots ignored, throttled per visitor, the
    IP hashed with the day's salt and never stored; sessions and visitors once a day."""
    if not is_counted_agent(view.user_agent):
        return PageViewOutcome.IGNORED
    agent = agent_details(view.user_agent)
    if agent.is_bot:
        return PageViewOutcome.IGNORED
    now = now or timezone.now()
    day = now.astimezone(dt.UTC).date()
    visitor = visitor_hash(day=day, ip=view.ip, user_agent=view.user_agent)
    throttle = rate_limit_hit(
        f"collect:{visitor}",
        limit=settings.ANALYTICS_COLLECT_RATE_LIMIT + 1,  # exceeded at the limit: this many pass
        window_seconds=settings.ANALYTICS_COLLECT_RATE_WINDOW_SECONDS,
    )
    if throttle.is_exceeded:
        return PageViewOutcome.THROTTLED
    session = hashlib.sha256(f"{visitor}:{view.session_id}".encode()).hexdigest()[:32]
    if view.referrer_host and view.referrer_host == view.host:
        source = INTERNAL
    else:
        source = classify_referrer_host(view.referrer_host)
    values = [
        (PageDimension.ALL.value, ""),
        (PageDimension.PATH.value, view.path),
        (PageDimension.SOURCE.value, source),
        (PageDimension.DEVICE.value, agent.device_type),
        (PageDimension.BROWSER.value, agent.browser),
        (PageDimension.COUNTRY.value, view.country),
        (PageDimension.SCREEN.value, _screen(view.screen_width)),
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_CLAIM_VISITOR, [day, visitor])
        new_visitor = cursor.fetchone() is not None
        cursor.execute(_CLAIM_SESSION, [day, session])
        new_session = cursor.fetchone() is not None
        cursor.execute(
            _PAGE_UPSERT,
            [
                day,
                int(new_session),
                int(new_visitor),
                [dimension for dimension, _ in values],
                [value for _, value in values],
            ],
        )
    return PageViewOutcome.COUNTED


# --- housekeeping --------------------------------------------------------------------------


def analytics_purge(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Hourly rollups past their retention, and the visitor and session keys of past days
    (they only dedupe within a day). Daily rollups are kept."""
    now = now or timezone.now()
    hourly_cutoff = now - dt.timedelta(days=settings.ANALYTICS_HOURLY_RETENTION_DAYS)
    key_cutoff = (now - dt.timedelta(days=2)).date()
    deleted_rollups, _ = AnalyticsRollup.objects.filter(
        granularity=Granularity.HOUR, bucket_start__lt=hourly_cutoff
    ).delete()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM analytics_page_visitor WHERE day < %s", [key_cutoff])
        visitors = cursor.rowcount
        cursor.execute("DELETE FROM analytics_page_session WHERE day < %s", [key_cutoff])
        sessions = cursor.rowcount
    return {"hourly_rollups": deleted_rollups, "visitor_keys": visitors, "session_keys": sessions}
