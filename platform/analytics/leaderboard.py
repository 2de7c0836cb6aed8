"""The program leaderboard (a selector): the top affiliates by earnings or by clicks.

Affiliates appear only while approved and not opted out (``leaderboard_opt_out``), and only
once they have something to show in the period (a zero does not rank). Names and emails are
masked: other affiliates see ``Jane D.`` and ``j***@g***.com``, never who exactly is ahead.

- **earnings**: the commissions earned in the period (by their creation), net of reversals:
  ``amount - reversed_amount`` over commissions that are not wholly reversed, every level of
  the cascade and per-click earnings included, in the program's currency.
- **clicks**: *unique* clicks from the click rollup (``analytics_rollup``, one unique click per
  hashed IP per link per hour): its hourly rows for 7 and 30 days (whole hours: the hour the
  period starts in counts), its daily rows for 90 days and all time (whole UTC days).
  Raw clicks would let an affiliate climb the board by reloading their own link; unique
  clicks are also what per-click commissions pay for.

Ties are broken by the affiliate id (who joined first ranks first), so ranks are 1, 2, 3 …
with no two affiliates sharing one, the same on every call.

One query for the board, whatever the number of affiliates; two more when a viewer ranks
below the board and gets their own row appended.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from django.db.models import F, OuterRef, Q, QuerySet, Subquery, Sum, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from affiliation.models import Affiliate, AffiliateStatus, Commission, CommissionStatus, Program
from analytics.models import AnalyticsRollup, Dimension, Granularity
from core.money import quantize

Metric = Literal["earnings", "clicks"]
METRICS: tuple[Metric, ...] = ("earnings", "clicks")
PERIODS_DAYS = (7, 30, 90, None)  # None: all time
MAX_LIMIT = 100
MASK = "***"


@dataclass(frozen=True)
class LeaderboardEntry:
    rank: int
    affiliate_id: int
    display_name: str  # masked: "Jane D."
    masked_email: str  # "j***@g***.com"
    value: Decimal | int  # earnings (quantized to the program's currency), or unique clicks
    is_viewer: bool


def mask_name(full_name: str) -> str:
    """``Jane Doe`` → ``Jane D.``; ``Jean Paul Sartre`` → ``Jean S.``; ``Jane`` → ``Jane``."""
    words = full_name.split()
    if not words:
        return ""
    if len(words) == 1:
        return words[0]
    return f"{words[0]} {words[-1][0].upper()}."


def mask_email(email: str) -> str:
    """``jane.doe@gmail.com`` → ``j***@g***.com``: the first letter of the local part, the
    first letter of the domain's first label, and the domain from its last dot.

    When the shown suffix would give away the local part or the first label (``com@com.com``),
    the suffix is dropped too: ``c***@c***``.
    """
    local, _, domain = email.strip().lower().rpartition("@")
    if not local or not domain:
        return MASK
    label, dot, _ = domain.partition(".")
    suffix = domain[domain.rfind(".") :] if dot else ""
    masked_domain = f"{label[:1]}{MASK}" if label else MASK
    masked = f"{local[0]}{MASK}@{masked_domain}{suffix}"
    if any(len(part) > 1 and part in masked for part in (local, label)):
        masked = f"{local[0]}{MASK}@{masked_domain}"
    return masked


def _display_name(full_name: str, email: str) -> str:
    return mask_name(full_name) or mask_email(email).partition("@")[0]


HOURLY_PERIOD_DAYS = 30  # hourly rollup rows are kept 30 days (ANALYTICS_HOURLY_RETENTION_DAYS)


def _since(period_days: int | None, now: dt.datetime, metric: Metric) -> dt.datetime | None:
    if period_days is None:
        return None
    since = now - dt.timedelta(days=period_days)
    if metric != "clicks":
        return since
    # Rollups are per hour (or day): count the whole hour (day) the period starts in.
    since = since.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
    return since if period_days <= HOURLY_PERIOD_DAYS else since.replace(hour=0)


def _scores(program: Program, metric: Metric, since: dt.datetime | None, *, hourly: bool) -> QuerySet[Any]:
    """One row per eligible affiliate with something to show: member_id, email, full_name, value."""
    if metric == "earnings":
        commissions = Commission.objects.filter(
            program=program,
            beneficiary__status=AffiliateStatus.APPROVED,
            beneficiary__leaderboard_opt_out=False,
        ).exclude(status=CommissionStatus.REVERSED)
        if since is not None:
            commissions = commissions.filter(created_at__gte=since)
        return (
            commissions.values(
                member_id=F("beneficiary_id"),
                email=F("beneficiary__user__email"),
                full_name=F("beneficiary__user__full_name"),
            )
            .annotate(value=Sum(F("amount") - F("reversed_amount")))
            .filter(value__gt=0)
        )
    members = Affiliate.objects.filter(
        program=program, status=AffiliateStatus.APPROVED, leaderboard_opt_out=False
    )
    rows = AnalyticsRollup.objects.filter(
        granularity=Granularity.HOUR if hourly else Granularity.DAY,
        dimension=Dimension.ALL,
        program_id=program.pk,
        affiliate_id__in=members.values("pk"),
    )
    if since is not None:
        rows = rows.filter(bucket_start__gte=since)
    user = Affiliate.objects.filter(pk=OuterRef("affiliate_id"))
    return (
        rows.values(member_id=F("affiliate_id"))
        .annotate(
            value=Sum("unique_clicks"),
            email=Subquery(user.values("user__email")[:1]),
            full_name=Subquery(user.values("user__full_name")[:1]),
        )
        .filter(value__gt=0)
    )


def _entry(
    row: dict[str, Any], rank: int, program: Program, metric: Metric, viewer_affiliate_id: int | None
) -> LeaderboardEntry:
    value = row["value"]
    return LeaderboardEntry(
        rank=rank,
        affiliate_id=row["member_id"],
        display_name=_display_name(row["full_name"] or "", row["email"] or ""),
        masked_email=mask_email(row["email"] or ""),
        value=int(value) if metric == "clicks" else quantize(value, program.currency),
        is_viewer=row["member_id"] == viewer_affiliate_id,
    )


def leaderboard(
    *,
    program: Program,
    metric: Metric,
    period_days: int | None = None,
    limit: int = 10,
    viewer_affiliate_id: int | None = None,
    now: dt.datetime | None = None,
) -> list[LeaderboardEntry]:
    """The top ``limit`` affiliates of ``program`` by ``metric`` over the last ``period_days``
    days (7, 30, 90, or None for all time), best first.

    With ``viewer_affiliate_id``, that affiliate's row is flagged ``is_viewer``; when they are
    on the board but below the top ``limit``, their row (with their real rank) is appended
    as the last entry, so a list may hold ``limit + 1`` entries. An affiliate who is not on
    the board (opted out, not approved, nothing in the period) gets no row.
    """
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}")
    if period_days not in PERIODS_DAYS:
        raise ValueError(f"period_days must be one of {PERIODS_DAYS}")
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be 1 to {MAX_LIMIT}")
    hourly = period_days is not None and period_days <= HOURLY_PERIOD_DAYS
    scores = _scores(program, metric, _since(period_days, now or timezone.now(), metric), hourly=hourly)
    ranked = scores.annotate(rank=Window(RowNumber(), order_by=[F("value").desc(), F("member_id").asc()]))
    # Filtering on a window function: Django runs the ranking as a subquery, then filters it.
    top = list(ranked.filter(rank__lte=limit).order_by("rank"))
    entries = [_entry(row, row["rank"], program, metric, viewer_affiliate_id) for row in top]
    if viewer_affiliate_id is not None and all(row["member_id"] != viewer_affiliate_id for row in top):
        viewer = next(iter(scores.filter(member_id=viewer_affiliate_id)), None)
        if viewer is not None:
            value = viewer["value"]
            ahead = scores.filter(
                Q(value__gt=value) | Q(value=value, member_id__lt=viewer_affiliate_id)
            ).count()
            entries.append(_entry(viewer, ahead + 1, program, metric, viewer_affiliate_id))
    return entries
