/**
 * Live counters that carry their deltas. A dashboard subscription first sends a snapshot read from
 * the database (`isSnapshot: true`: when it starts, and again after a reconnection), then one
 * message per change with the `delta` that change added. The dashboards apply the deltas to what
 * they show: a tick costs the server no database query, and the page no re-read.
 */

export interface Amount {
  amount: string;
  currency: string;
}

/** `a + b` on decimal strings, exactly (no floating point): "10.00" + "0.25" = "10.25". */
export function addDecimal(a: string, b: string): string {
  const places = Math.max(decimals(a), decimals(b));
  const sum = scaled(a, places) + scaled(b, places);
  const negative = sum < 0n;
  const digits = (negative ? -sum : sum).toString().padStart(places + 1, "0");
  const whole = digits.slice(0, digits.length - places);
  const fraction = places ? `.${digits.slice(digits.length - places)}` : "";
  return `${negative ? "-" : ""}${whole}${fraction}`;
}

function decimals(value: string): number {
  const dot = value.indexOf(".");
  return dot < 0 ? 0 : value.length - dot - 1;
}

function scaled(value: string, places: number): bigint {
  const negative = value.startsWith("-");
  const [whole, fraction = ""] = (negative ? value.slice(1) : value).split(".");
  const digits = BigInt(`${whole || "0"}${fraction.padEnd(places, "0")}`);
  return negative ? -digits : digits;
}

/** `amounts` with `added` added per currency (a currency not there yet is appended). */
export function addAmounts(amounts: Amount[], added: Amount[]): Amount[] {
  const result = amounts.map((value) => ({ ...value }));
  for (const change of added) {
    const found = result.find((value) => value.currency === change.currency);
    if (found) found.amount = addDecimal(found.amount, change.amount);
    else result.push({ ...change });
  }
  return result;
}

export interface AffiliateCounters {
  clicks: number;
  uniqueClicks: number;
  conversions: number;
  earnings: Amount;
}

export interface LinkDelta {
  linkId?: string | null;
  clicks: number;
  uniqueClicks: number;
  conversions: number;
  earnings: Amount;
}

export interface AffiliateStatsMessage extends AffiliateCounters {
  isSnapshot: boolean;
  delta?: (AffiliateCounters & { links: LinkDelta[] }) | null;
}

/** The counters a dashboard shows after `message`: a snapshot replaces them, a delta adds to them. */
export function applyAffiliateStats(current: AffiliateCounters | null, message: AffiliateStatsMessage): AffiliateCounters {
  const { delta } = message;
  if (message.isSnapshot || !delta || !current) {
    return { clicks: message.clicks, uniqueClicks: message.uniqueClicks, conversions: message.conversions, earnings: message.earnings };
  }
  return {
    clicks: current.clicks + delta.clicks,
    uniqueClicks: current.uniqueClicks + delta.uniqueClicks,
    conversions: current.conversions + delta.conversions,
    earnings: { currency: current.earnings.currency, amount: addDecimal(current.earnings.amount, delta.earnings.amount) },
  };
}

/** What the live deltas have added to each link since the links were read (keyed by link id). */
export type LinkDeltas = Record<string, Omit<LinkDelta, "linkId">>;

export function addLinkDeltas(current: LinkDeltas, links: LinkDelta[]): LinkDeltas {
  const result: LinkDeltas = { ...current };
  for (const { linkId, ...change } of links) {
    if (!linkId) continue; // what came through no link (a cascade commission) belongs to no row
    const found = result[linkId];
    result[linkId] = found
      ? {
          clicks: found.clicks + change.clicks,
          uniqueClicks: found.uniqueClicks + change.uniqueClicks,
          conversions: found.conversions + change.conversions,
          earnings: { currency: found.earnings.currency, amount: addDecimal(found.earnings.amount, change.earnings.amount) },
        }
      : change;
  }
  return result;
}

export interface MerchantCounters {
  clicks: number;
  uniqueClicks: number;
  conversions: number;
  revenue: Amount[];
  commissions: Amount[];
}

export interface MerchantStatsMessage extends MerchantCounters {
  isSnapshot: boolean;
  delta?: MerchantCounters | null;
}

export function applyMerchantStats(current: MerchantCounters | null, message: MerchantStatsMessage): MerchantCounters {
  const { delta } = message;
  if (message.isSnapshot || !delta || !current) {
    const { clicks, uniqueClicks, conversions, revenue, commissions } = message;
    return { clicks, uniqueClicks, conversions, revenue, commissions };
  }
  return {
    clicks: current.clicks + delta.clicks,
    uniqueClicks: current.uniqueClicks + delta.uniqueClicks,
    conversions: current.conversions + delta.conversions,
    revenue: addAmounts(current.revenue, delta.revenue),
    commissions: addAmounts(current.commissions, delta.commissions),
  };
}
