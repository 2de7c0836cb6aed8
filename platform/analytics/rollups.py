"""Writing ``AnalyticsRollup``: events become additions to rows, in one upsert per batch.

Every writer (the click drain, the conversion sync, signups) adds through ``RollupBatch``,
whose single ``INSERT … ON CONFLICT DO UPDATE`` takes the rows in the order of the unique key:
two transactions adding to the same rows lock them in the same order and never deadlock.
Additions are only ever made in the transaction that records the event (or its idempotency
key), which is what makes the rollups exact on redelivery.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Any

from analytics.models import ALL_AFFILIATES, Dimension, Granularity
from analytics.sources import classify_referrer_host
from core.live import DeltaRow
from core.money import minor_unit_exponent
from tracking.recording import ClickCombo, LinkFacts

__all__ = ["ClickAnalytics", "ClickCombo", "EventValues", "LinkFacts", "RollupBatch", "split_amount"]

ZERO = Decimal(0)
HOUR_SECONDS = 3600
DAY_SECONDS = 86400
# The row dimensions an event carries values for (besides "all"); only "link" is not kept at
# program level (a link has one affiliate: its affiliate-level rows are already per link).
TRAFFIC_DIMENSIONS = (Dimension.COUNTRY, Dimension.DEVICE, Dimension.BROWSER, Dimension.SOURCE)

_UPSERT = """
INSERT INTO analytics_rollup AS r (
    granularity, bucket_start, dimension, dimension_value, program_id, affiliate_id, offer_ref,
    currency, clicks, unique_clicks, signups, conversions, revenue, commissions
)
SELECT granularity, to_timestamp(bucket_s), dimension, dimension_value, program_id, affiliate_id,
    offer_ref, currency, clicks, unique_clicks, signups, conversions, revenue, commissions
FROM unnest(
    %s::text[], %s::bigint[], %s::text[], %s::text[], %s::bigint[], %s::bigint[], %s::text[],
    %s::text[], %s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[], %s::numeric[], %s::numeric[]
) AS u(
    granularity, bucket_s, dimension, dimension_value, program_id, affiliate_id, offer_ref,
    currency, clicks, unique_clicks, signups, conversions, revenue, commissions
)
ORDER BY granularity, dimension, bucket_s, program_id, affiliate_id, offer_ref, dimension_value
ON CONFLICT (granularity, dimension, bucket_start, program_id, affiliate_id, offer_ref, dimension_value)
DO UPDATE SET
    clicks = r.clicks + EXCLUDED.clicks,
    unique_clicks = r.unique_clicks + EXCLUDED.unique_clicks,
    signups = r.signups + EXCLUDED.signups,
    conversions = r.conversions + EXCLUDED.conversions,
    revenue = r.revenue + EXCLUDED.revenue,
    commissions = r.commissions + EXCLUDED.commissions
"""

# (granularity, dimension, bucket start in epoch seconds, program, affiliate, offer, value)
RowKey = tuple[str, str, int, int, int, str, str]


@dataclass(frozen=True)
class EventValues:
    """Where an event falls: its program, affiliate, offer, and its values in each dimension."""

    program_id: int
    affiliate_id: int
    offer_ref: str
    currency: str
    link: str = ""
    country: str = ""
    device: str = ""
    browser: str = ""
    source: str = ""

    def dimension_values(self) -> tuple[tuple[str, str], ...]:
        return (
            (Dimension.COUNTRY, self.country),
            (Dimension.DEVICE, self.device),
            (Dimension.BROWSER, self.browser),
            (Dimension.SOURCE, self.source),
        )


class RollupBatch:
    """Additions to many rollup rows, merged in memory, written by ``write``."""

    def __init__(self) -> None:
        self._rows: dict[RowKey, list[Any]] = {}

    def __len__(self) -> int:
        return len(self._rows)

    def add(
        self,
        at_seconds: int,
        values: EventValues,
        *,
        clicks: int = 0,
        unique_clicks: int = 0,
        signups: int = 0,
        conversions: int = 0,
        revenue: Decimal = ZERO,
        commissions: Decimal = ZERO,
    ) -> None:
        """Count one event (or many alike) at ``at_seconds`` (Unix time) in every row it falls
        in: hour and day, each dimension, at affiliate and program level."""
        amounts = (clicks, unique_clicks, signups, conversions, revenue, commissions)
        self.add_to(at_seconds, values, Dimension.ALL.value, "", amounts)
        self.add_to(at_seconds, values, Dimension.LINK.value, values.link, amounts)
        for dimension, value in values.dimension_values():
            self.add_to(at_seconds, values, dimension, value, amounts)

    def add_to(
        self, at_seconds: int, values: EventValues, dimension: str, value: str, amounts: tuple[Any, ...]
    ) -> None:
        """Add ``amounts`` (clicks, unique clicks, signups, conversions, revenue, commissions) to
        one dimension value's hour and day rows, at affiliate level and (but for links) at
        program level. ``values`` gives the program, affiliate, offer and currency."""
        hour = at_seconds - at_seconds % HOUR_SECONDS
        day = at_seconds - at_seconds % DAY_SECONDS
        program, affiliate, offer, currency = (
            values.program_id,
            values.affiliate_id,
            values.offer_ref,
            values.currency,
        )
        for granularity, bucket in ((Granularity.HOUR.value, hour), (Granularity.DAY.value, day)):
            self._add((granularity, dimension, bucket, program, affiliate, offer, value), currency, amounts)
            if dimension != Dimension.LINK:
                self._add(
                    (granularity, dimension, bucket, program, ALL_AFFILIATES, "", value), currency, amounts
                )

    def _add(self, key: RowKey, currency: str, amounts: tuple[Any, ...]) -> None:
        row = self._rows.get(key)
        if row is None:
            self._rows[key] = [currency, *amounts]
            return
        for index, amount in enumerate(amounts, start=1):
            if amount:
                row[index] += amount

    def delta_rows(self) -> list[DeltaRow]:
        """What this batch adds, as live delta rows: its daily rows of the ``link`` dimension at
        affiliate level (every event is counted there once, under its link or ``""``)."""
        rows = []
        for key, row in self._rows.items():
            granularity, dimension, bucket, program, affiliate, offer, value = key
            if granularity != Granularity.DAY or dimension != Dimension.LINK or affiliate == ALL_AFFILIATES:
                continue
            currency, clicks, unique_clicks, _signups, conversions, revenue, commissions = row
            if not (clicks or unique_clicks or conversions or revenue or commissions):
                continue
            rows.append(
                DeltaRow(
                    bucket,
                    program,
                    affiliate,
                    int(value) if value else 0,
                    offer,
                    currency,
                    int(clicks),
                    int(unique_clicks),
                    int(conversions),
                    Decimal(revenue),
                    Decimal(commissions),
                )
            )
        return rows

    def write(self, cursor: Any, **execute_options: Any) -> int:
        """One upsert of every row (``cursor``: Django's or psycopg's, in the caller's
        transaction); returns the number of rows written."""
        if not self._rows:
            return 0
        keys = list(self._rows)
        rows = [self._rows[key] for key in keys]
        cursor.execute(
            _UPSERT,
            [
                [key[0] for key in keys],
                [key[2] for key in keys],
                [key[1] for key in keys],
                [key[6] for key in keys],
                [key[3] for key in keys],
                [key[4] for key in keys],
                [key[5] for key in keys],
                [row[0] for row in rows],
                [row[1] for row in rows],
                [row[2] for row in rows],
                [row[3] for row in rows],
                [row[4] for row in rows],
                [Decimal(row[5]) for row in rows],
                [Decimal(row[6]) for row in rows],
            ],
            **execute_options,
        )
        return len(keys)


class ClickAnalytics:
    """The click drain's part: the fresh clicks of a batch counted per combination of values
    (``combos``: [clicks, unique clicks] per (hour start, link, country, device, browser,
    referrer host), filled by the drain's COPY loop), then summed per dimension and written as
    rollup rows: a few hundred per batch of thousands of clicks."""

    def __init__(
        self, links: Mapping[int, LinkFacts], combos: dict[ClickCombo, list[int]] | None = None
    ) -> None:
        self.links = links
        self.combos: dict[ClickCombo, list[int]] = {} if combos is None else combos
        # (hour, link) → counts; (dimension, hour, link facts, value) → counts: the traffic
        # dimensions' rows are per affiliate and offer, not per link, so neither are these.
        self._by_link: dict[tuple[int, int], list[int]] = {}
        self._by_value: dict[tuple[str, int, LinkFacts, str], list[int]] = {}
        self._values: dict[int | LinkFacts, EventValues] = {}

    def _per_dimension(self) -> None:
        if self._by_link or not self.combos:
            return
        by_link, by_value, links = self._by_link, self._by_value, self.links
        country, device, browser, source = (
            Dimension.COUNTRY.value,
            Dimension.DEVICE.value,
            Dimension.BROWSER.value,
            Dimension.SOURCE.value,
        )
        for (hour, link_id, *values, host), (clicks, unique_clicks) in self.combos.items():
            facts = links[link_id]
            for key in (
                (hour, link_id),
                (country, hour, facts, values[0]),
                (device, hour, facts, values[1]),
                (browser, hour, facts, values[2]),
                (source, hour, facts, classify_referrer_host(host)),
            ):
                counter: dict[Any, list[int]] = by_link if len(key) == 2 else by_value
                found = counter.get(key)
                if found is None:
                    counter[key] = [clicks, unique_clicks]
                else:
                    found[0] += clicks
                    found[1] += unique_clicks

    def _event(self, key: int | LinkFacts) -> EventValues:
        """The rows' columns of a link (its id) or of a link's facts (without the link)."""
        event = self._values.get(key)
        if event is None:
            facts = self.links[key] if isinstance(key, int) else key
            link = str(key) if isinstance(key, int) else ""
            event = self._values[key] = EventValues(
                facts.program_id, facts.affiliate_id, facts.offer_ref, facts.currency, link=link
            )
        return event

    def click_rows(self) -> RollupBatch:
        self._per_dimension()
        batch = RollupBatch()
        for (hour, link_id), (clicks, unique_clicks) in self._by_link.items():
            event = self._event(link_id)
            amounts = (clicks, unique_clicks, 0, 0, ZERO, ZERO)
            batch.add_to(hour, event, Dimension.ALL.value, "", amounts)
            batch.add_to(hour, event, Dimension.LINK.value, event.link, amounts)
        for (dimension, hour, facts, value), (clicks, unique_clicks) in self._by_value.items():
            batch.add_to(
                hour, self._event(facts), dimension, value, (clicks, unique_clicks, 0, 0, ZERO, ZERO)
            )
        return batch

    def commission_rows(self, commissions: Iterable[Any]) -> RollupBatch:
        """Per-click commissions of this batch (``affiliation.Commission`` rows: beneficiary,
        program, amount), spread over the unique clicks they pay for: first over the hours,
        then in each hour over each dimension's values, to the minor unit, so that every
        dimension of every bucket sums to the same amount."""
        self._per_dimension()
        batch = RollupBatch()
        for commission in commissions:

            def paid(facts: LinkFacts, commission: Any = commission) -> bool:
                return (
                    facts.affiliate_id == commission.beneficiary_id
                    and facts.program_id == commission.program_id
                )

            links = [
                (key, counts[1])
                for key, counts in self._by_link.items()
                if counts[1] and paid(self.links[key[1]])
            ]
            hours = sorted({hour for (hour, _), _ in links})
            per_hour = [sum(unique for (hour, _), unique in links if hour == wanted) for wanted in hours]
            currency = commission.currency
            for hour, hour_amount in zip(
                hours, split_amount(commission.amount, per_hour, currency), strict=True
            ):
                in_hour = [(link_id, unique) for (at, link_id), unique in links if at == hour]
                for (link_id, _), amount in zip(
                    in_hour,
                    split_amount(hour_amount, [unique for _, unique in in_hour], currency),
                    strict=True,
                ):
                    event = self._event(link_id)
                    amounts = (0, 0, 0, 0, ZERO, amount)
                    batch.add_to(hour, event, Dimension.ALL.value, "", amounts)
                    batch.add_to(hour, event, Dimension.LINK.value, event.link, amounts)
                for dimension in TRAFFIC_DIMENSIONS:
                    values = [
                        (key, counts[1])
                        for key, counts in self._by_value.items()
                        if key[0] == dimension and key[1] == hour and counts[1] and paid(key[2])
                    ]
                    for ((_, _, facts, value), _), amount in zip(
                        values,
                        split_amount(hour_amount, [unique for _, unique in values], currency),
                        strict=True,
                    ):
                        batch.add_to(hour, self._event(facts), dimension, value, (0, 0, 0, 0, ZERO, amount))
        return batch


def split_amount(amount: Decimal, weights: list[int], currency: str) -> list[Decimal]:
    """``amount`` in parts proportional to ``weights``, in the currency's minor unit, summing to
    ``amount`` exactly (largest remainder; ties to the earlier part)."""
    total = sum(weights)
    if not weights or total <= 0:
        return [ZERO for _ in weights]
    unit = minor_unit_exponent(currency)
    exact = [amount * weight / total for weight in weights]
    parts = [value.quantize(unit, rounding=ROUND_DOWN) for value in exact]
    left = int(((amount - sum(parts)) / unit).to_integral_value())
    order = sorted(range(len(parts)), key=lambda index: (-(exact[index] - parts[index]), index))
    for index in order[: max(left, 0)]:
        parts[index] += unit
    return parts


def epoch_seconds(moment: dt.datetime) -> int:
    return int(moment.timestamp())
