"""The rules engine behind the hooks of ``affiliation.screening`` (sales, in
``conversion_record``'s transaction) and ``tracking.recording`` (clicks, once per drain batch).

A sale costs two statements on the fraud counters (one upsert, one read of the affiliate's
windows) plus a lookup per rule that needs one (the click's country, the affiliate's sessions
and payout emails); a drain batch costs one upsert of its clicks per affiliate and hour, and
more only when something is suspicious.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db import connection
from django.db.models import F
from django.utils import timezone

from accounts.models import User, UserSession
from accounts.services import ip_network_of
from affiliation.models import WithdrawalMethod
from affiliation.screening import ALLOW, ConversionFacts, Verdict
from fraud.cases import Hit, case_open, score_of, strictest
from fraud.config import programs_rules
from fraud.models import CaseKind, ClickHour
from fraud.rules import REJECT
from payouts.models import WithdrawalRequest
from tracking.models import Click
from tracking.recording import CLICK_COUNTRY, CLICK_ID, CLICK_LINK, CLICK_TIME_MS, ClickBatch

LATE_SECONDS = 24 * 3600
SPAMMING_WINDOW = dt.timedelta(days=30)
REFUND_WINDOW = dt.timedelta(days=90)
MINIMUM_SALES = 10  # click spamming and refund rate say nothing about fewer sales
_HOUR_MS = 3_600_000

_COUNT_SALE = """
INSERT INTO fraud_affiliatehour (affiliate_id, hour, conversions, with_click, late, refunded)
VALUES (%s, %s, 1, %s, %s, 0)
ON CONFLICT (affiliate_id, hour) DO UPDATE SET
    conversions = fraud_affiliatehour.conversions + 1,
    with_click = fraud_affiliatehour.with_click + excluded.with_click,
    late = fraud_affiliatehour.late + excluded.late
RETURNING conversions
"""
_WINDOWS = """
SELECT coalesce(sum(with_click) FILTER (WHERE hour >= %s), 0),
       coalesce(sum(late) FILTER (WHERE hour >= %s), 0),
       coalesce(sum(conversions), 0),
       coalesce(sum(refunded), 0)
FROM fraud_affiliatehour WHERE affiliate_id = %s AND hour >= %s
"""
_COUNT_REFUND = """
INSERT INTO fraud_affiliatehour (affiliate_id, hour, conversions, with_click, late, refunded)
VALUES (%s, %s, 0, 0, 0, 1)
ON CONFLICT (affiliate_id, hour) DO UPDATE SET refunded = fraud_affiliatehour.refunded + 1
"""
_COUNT_CLICKS = """
INSERT INTO fraud_clickhour (affiliate_id, hour, clicks, suspicious)
SELECT affiliate_id, to_timestamp(hour_s), clicks, 0
FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[]) AS k(affiliate_id, hour_s, clicks)
ORDER BY 1, 2
ON CONFLICT (affiliate_id, hour) DO UPDATE SET clicks = fraud_clickhour.clicks + excluded.clicks
RETURNING affiliate_id, extract(epoch FROM hour)::bigint, clicks
"""


def _hour(moment: dt.datetime) -> dt.datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def normalised_email(email: str) -> str:
    """Gmail ignores dots and +tags: one mailbox, one address here."""
    local, _, domain = email.strip().lower().partition("@")
    local = local.split("+", 1)[0]
    if domain in {"gmail.com", "googlemail.com"}:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def refund_counted(*, affiliate_id: int) -> None:
    """A sale of this affiliate was refunded or charged back (its first refund)."""
    with connection.cursor() as cursor:
        cursor.execute(_COUNT_REFUND, [affiliate_id, _hour(timezone.now())])


def _affiliate_user_id(facts: ConversionFacts) -> int:
    return facts.affiliate.user_id


def _same_network(facts: ConversionFacts) -> dict[str, Any] | None:
    user_id = _affiliate_user_id(facts)
    if facts.buyer_ip:
        network = ip_network_of(facts.buyer_ip)
        if network and UserSession.objects.filter(user_id=user_id, ip_network=network).exists():
            return {"network": network}
    if facts.buyer_email:
        buyer = User.objects.filter(email=facts.buyer_email).values_list("pk", flat=True).first()
        if buyer is not None and buyer != user_id:
            theirs = set(
                UserSession.objects.filter(user_id=buyer)
                .exclude(ip_network="")
                .values_list("ip_network", "browser", "os")
            )
            mine = set(
                UserSession.objects.filter(user_id=user_id)
                .exclude(ip_network="")
                .values_list("ip_network", "browser", "os")
            )
            shared = theirs & mine
            if shared:
                return {"network": sorted(shared)[0][0], "device": True}
    return None


def _self_purchase(facts: ConversionFacts) -> dict[str, Any] | None:
    if not facts.buyer_email:
        return None
    buyer = normalised_email(facts.buyer_email)
    own = User.objects.filter(pk=_affiliate_user_id(facts)).values_list("email", flat=True).first() or ""
    if own and normalised_email(own) == buyer:
        return {"match": "account_email"}
    for details in WithdrawalRequest.objects.filter(
        affiliate__user_id=_affiliate_user_id(facts), method=WithdrawalMethod.PAYPAL
    ).values_list("details", flat=True):
        if normalised_email(str((details or {}).get("email", ""))) == buyer:
            return {"match": "payout_email"}
    return None


def conversion_rules_screen(facts: ConversionFacts) -> Verdict:
    """Every conversion rule of the sale's program; a case when any trips."""
    program = facts.program
    rules = programs_rules([program.pk])[program.pk]
    conversion = facts.conversion
    affiliate_id = facts.affiliate.pk
    now = timezone.now()
    hits: list[Hit] = []
    seconds = None
    if facts.click_at is not None:
        seconds = (conversion.occurred_at - facts.click_at).total_seconds()
    late = seconds is not None and seconds > LATE_SECONDS
    with connection.cursor() as cursor:
        cursor.execute(_COUNT_SALE, [affiliate_id, _hour(now), int(seconds is not None), int(late)])
        (this_hour,) = cursor.fetchone()
        cursor.execute(
            _WINDOWS, [now - SPAMMING_WINDOW, now - SPAMMING_WINDOW, affiliate_id, now - REFUND_WINDOW]
        )
        with_click, late_count, sales, refunded = cursor.fetchone()

    rule = rules["click_injection"]
    if rule.enabled and seconds is not None and rule.threshold is not None and seconds < rule.threshold:
        hits.append(Hit(rule, {"seconds": round(seconds, 1), "threshold": str(rule.threshold)}))
    rule = rules["click_spamming"]
    if rule.enabled and rule.threshold is not None and with_click >= MINIMUM_SALES:
        share = late_count * 100 / with_click
        if share > rule.threshold:
            hits.append(Hit(rule, {"late_share": round(share, 1), "sales": with_click}))
    rule = rules["conversion_velocity"]
    if rule.enabled and rule.threshold is not None and this_hour > rule.threshold:
        hits.append(Hit(rule, {"this_hour": this_hour}))
    rule = rules["refund_rate"]
    if rule.enabled and rule.threshold is not None and sales >= MINIMUM_SALES:
        share = refunded * 100 / sales
        if share > rule.threshold:
            hits.append(Hit(rule, {"refund_share": round(share, 1), "sales": sales}))
    rule = rules["self_purchase"]
    if rule.enabled and (found := _self_purchase(facts)) is not None:
        hits.append(Hit(rule, found))
    rule = rules["same_network"]
    if rule.enabled and (found := _same_network(facts)) is not None:
        hits.append(Hit(rule, found))
    rule = rules["country_not_allowed"]
    if rule.enabled and rule.countries and facts.click_id is not None:
        country = Click.objects.filter(pk=facts.click_id).values_list("country", flat=True).first()
        if country and country not in rule.countries:
            hits.append(Hit(rule, {"country": country}))
    if not hits:
        return Verdict(ALLOW)
    case_open(
        kind=CaseKind.CONVERSION,
        key=f"conversion:{conversion.pk}",
        program_id=program.pk,
        affiliate_id=affiliate_id,
        conversion_id=conversion.pk,
        hits=hits,
    )
    return Verdict(action=strictest(hits), codes=tuple(hit.rule.code for hit in hits), score=score_of(hits))


def click_batch_screen(batch: ClickBatch, rows: list[tuple[Any, ...]]) -> set[str]:
    """The click rules on one drain batch: velocity per affiliate and hour (one upsert of the
    batch's counts), countries outside a program's list. Returns the clicks a REJECT rule
    refuses pay for; suspicious clicks land in a case per affiliate and hour."""
    links = batch.links
    rules = programs_rules({fact.program_id for fact in links.values()})
    per_hour: dict[tuple[int, int], list[str]] = defaultdict(list)
    foreign: dict[tuple[int, int], list[str]] = defaultdict(list)
    for row in rows:
        fact = links[row[CLICK_LINK]]
        key = (fact.affiliate_id, row[CLICK_TIME_MS] // _HOUR_MS * 3600)
        per_hour[key].append(row[CLICK_ID])
        countries = rules[fact.program_id]["country_not_allowed"].countries
        if countries and row[CLICK_COUNTRY] and row[CLICK_COUNTRY] not in countries:
            foreign[key].append(row[CLICK_ID])
    if not per_hour:
        return set()
    keys = list(per_hour)
    batch.cursor.execute(
        _COUNT_CLICKS,
        [[k[0] for k in keys], [k[1] for k in keys], [len(per_hour[k]) for k in keys]],
        binary=True,
    )
    totals = {(affiliate_id, int(hour_s)): total for affiliate_id, hour_s, total in batch.cursor.fetchall()}
    program_of = {fact.affiliate_id: fact.program_id for fact in links.values()}
    refused: set[str] = set()
    for key, click_ids in per_hour.items():
        affiliate_id, hour_s = key
        program_rules = rules[program_of[affiliate_id]]
        hits: list[Hit] = []
        suspicious: set[str] = set()
        velocity = program_rules["click_velocity"]
        total = totals.get(key, len(click_ids))
        if velocity.enabled and velocity.threshold is not None and total > velocity.threshold:
            before = total - len(click_ids)
            over = total - max(before, int(velocity.threshold))
            over_ids = click_ids[len(click_ids) - over :]
            suspicious.update(over_ids)
            hits.append(Hit(velocity, {"clicks_this_hour": total, "threshold": str(velocity.threshold)}))
            if velocity.action == REJECT:
                refused.update(over_ids)
        country = program_rules["country_not_allowed"]
        if foreign.get(key) and country.enabled:
            suspicious.update(foreign[key])
            hits.append(Hit(country, {"clicks": len(foreign[key])}))
            if country.action == REJECT:
                refused.update(foreign[key])
        if not hits:
            continue
        hour = dt.datetime.fromtimestamp(hour_s, dt.UTC)
        ClickHour.objects.filter(affiliate_id=affiliate_id, hour=hour).update(
            suspicious=F("suspicious") + len(suspicious)
        )
        case_open(
            kind=CaseKind.CLICKS,
            key=f"clicks:{affiliate_id}:{hour_s}",
            program_id=program_of[affiliate_id],
            affiliate_id=affiliate_id,
            hits=hits,
            click_count=len(suspicious),
        )
    return refused
