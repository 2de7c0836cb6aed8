"""The rules engine behind the hooks of ``affiliation.screening`` (sales, in
``conversion_record``'s transaction) and ``tracking.recording`` (clicks, once per drain batch).

A sale costs one statement when no rule trips (the upsert of the affiliate's hour, its windows and
the lookups of the rules that can trip on it, in one query; ``tests/fraud/test_cost.py`` pins
it), plus the case when one does; a drain batch costs one upsert of its clicks per affiliate and hour, and
more only when something is suspicious.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from typing import Any

from django.db import connection
from django.db.models import F
from django.utils import timezone

from accounts.services import ip_network_of
from affiliation.models import WithdrawalMethod
from affiliation.screening import ALLOW, ConversionFacts, Verdict
from fraud.cases import Hit, case_open, score_of, strictest
from fraud.config import ProgramRules, programs_rules
from fraud.models import CaseKind, ClickHour
from fraud.rules import REJECT
from tracking.recording import CLICK_COUNTRY, CLICK_ID, CLICK_LINK, CLICK_TIME_MS, ClickBatch

LATE_SECONDS = 24 * 3600
SPAMMING_WINDOW = dt.timedelta(days=30)
REFUND_WINDOW = dt.timedelta(days=90)
MINIMUM_SALES = 10  # click spamming and refund rate say nothing about fewer sales
_HOUR_MS = 3_600_000

_SALE = """
WITH up AS (
    INSERT INTO fraud_affiliatehour (affiliate_id, hour, conversions, with_click, late, refunded)
    VALUES (%s, %s, 1, %s, %s, 0)
    ON CONFLICT (affiliate_id, hour) DO UPDATE SET
        conversions = fraud_affiliatehour.conversions + 1,
        with_click = fraud_affiliatehour.with_click + excluded.with_click,
        late = fraud_affiliatehour.late + excluded.late
    RETURNING conversions
), win AS (
    SELECT coalesce(sum(with_click) FILTER (WHERE hour >= %s), 0) AS with_click,
           coalesce(sum(late) FILTER (WHERE hour >= %s), 0) AS late,
           coalesce(sum(conversions), 0) AS conversions,
           coalesce(sum(refunded), 0) AS refunded
    FROM fraud_affiliatehour WHERE affiliate_id = %s AND hour >= %s
)
SELECT {columns} FROM win
"""
# The lookups of ``_SALE``, each added only when its rule can trip on the sale.
_OWN_EMAIL = "(SELECT email FROM accounts_user WHERE id = %s)"
_PAYOUT_DETAILS = """(SELECT coalesce(jsonb_agg(w.details), '[]') FROM payouts_withdrawalrequest w
    JOIN affiliation_affiliate a ON a.id = w.affiliate_id WHERE a.user_id = %s AND w.method = %s)"""
_SAME_IP = "EXISTS (SELECT 1 FROM accounts_usersession WHERE user_id = %s AND ip_network = %s)"
# The smallest network (as Python sorts strings) of a (network, browser, OS) that the buyer's
# account and the affiliate's sessions share.
_SHARED_DEVICE = """(SELECT min(m.ip_network COLLATE "C") FROM accounts_usersession m
    JOIN accounts_usersession t ON t.ip_network = m.ip_network AND t.browser = m.browser AND t.os = m.os
    WHERE m.user_id = %s AND m.ip_network <> '' AND t.user_id <> %s
    AND t.user_id = (SELECT id FROM accounts_user WHERE email = %s ORDER BY id LIMIT 1))"""
_CLICK_COUNTRY = "(SELECT country FROM tracking_click WHERE id = %s)"
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


def _sale_statement(facts: ConversionFacts, rules: ProgramRules, network: str) -> tuple[str, list[Any]]:
    """The one statement a sale costs: the upsert of the affiliate's hour (a data-modifying CTE),
    the affiliate's windows as they stand with this sale counted, and only the lookups of the
    rules that can trip on this sale (enabled, their inputs present)."""
    now = timezone.now()
    seconds = _click_seconds(facts)
    with_click, late = int(seconds is not None), int(seconds is not None and seconds > LATE_SECONDS)
    user_id = facts.affiliate.user_id
    # Every statement of a query sees one snapshot: ``win`` reads the counters before the
    # upsert, so this sale's increments are added to its sums (its hour is in every window).
    columns = [
        "(SELECT conversions FROM up)",
        "win.with_click + %s",
        "win.late + %s",
        "win.conversions + 1",
        "win.refunded",
    ]
    params: list[Any] = [
        facts.affiliate.pk,
        _hour(now),
        with_click,
        late,
        now - SPAMMING_WINDOW,
        now - SPAMMING_WINDOW,
        facts.affiliate.pk,
        now - REFUND_WINDOW,
        with_click,
        late,
    ]
    if rules["self_purchase"].enabled and facts.buyer_email:
        columns += [_OWN_EMAIL, _PAYOUT_DETAILS]
        params += [user_id, user_id, WithdrawalMethod.PAYPAL.value]
    else:
        columns += ["NULL", "NULL"]
    if rules["same_network"].enabled and network:
        columns.append(_SAME_IP)
        params += [user_id, network]
    else:
        columns.append("false")
    if rules["same_network"].enabled and facts.buyer_email:
        columns.append(_SHARED_DEVICE)
        params += [user_id, user_id, facts.buyer_email]
    else:
        columns.append("NULL")
    country = rules["country_not_allowed"]
    if country.enabled and country.countries and facts.click_id is not None:
        columns.append(_CLICK_COUNTRY)
        params.append(facts.click_id)
    else:
        columns.append("NULL")
    return _SALE.format(columns=", ".join(columns)), params


def _click_seconds(facts: ConversionFacts) -> float | None:
    if facts.click_at is None:
        return None
    return (facts.conversion.occurred_at - facts.click_at).total_seconds()


def _payout_emails(details: Any) -> list[Any]:
    if isinstance(details, str):  # Django leaves jsonb undecoded on a raw cursor
        details = json.loads(details)
    return list(details or [])


def _self_purchase(facts: ConversionFacts, own: str | None, payout_details: Any) -> dict[str, Any] | None:
    buyer = normalised_email(facts.buyer_email)
    if own and normalised_email(own) == buyer:
        return {"match": "account_email"}
    for details in _payout_emails(payout_details):
        if normalised_email(str((details or {}).get("email", ""))) == buyer:
            return {"match": "payout_email"}
    return None


def conversion_rules_screen(facts: ConversionFacts) -> Verdict:
    """Every conversion rule of the sale's program; a case when any trips. One statement
    (``_sale_statement``) when nothing trips and the program's rules are cached."""
    program = facts.program
    rules = programs_rules([program.pk])[program.pk]
    conversion = facts.conversion
    affiliate_id = facts.affiliate.pk
    hits: list[Hit] = []
    seconds = _click_seconds(facts)
    network = ip_network_of(facts.buyer_ip) if facts.buyer_ip else ""
    sql, params = _sale_statement(facts, rules, network)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    this_hour, with_click, late_count, sales, refunded = row[:5]
    own_email, payout_details, same_ip, shared, country = row[5:]

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
    if rule.enabled and facts.buyer_email and (found := _self_purchase(facts, own_email, payout_details)):
        hits.append(Hit(rule, found))
    rule = rules["same_network"]
    if rule.enabled and same_ip:
        hits.append(Hit(rule, {"network": network}))
    elif rule.enabled and shared is not None:
        hits.append(Hit(rule, {"network": shared, "device": True}))
    rule = rules["country_not_allowed"]
    if rule.enabled and rule.countries and country and country not in rule.countries:
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
        # The suspicious clicks this batch pays for (unique, not refused): rejecting the case
        # takes their pay back from the batch's per-click commission (``fraud.services``).
        paid = len((suspicious - refused) & batch.unique_ids)
        case_open(
            kind=CaseKind.CLICKS,
            key=f"clicks:{affiliate_id}:{hour_s}",
            program_id=program_of[affiliate_id],
            affiliate_id=affiliate_id,
            hits=hits,
            click_count=len(suspicious),
            click_pay={f"{batch.batch_key}:{affiliate_id}": paid} if paid else None,
        )
    return refused
