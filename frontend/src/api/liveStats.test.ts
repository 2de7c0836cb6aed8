import { describe, expect, it } from "vitest";

import { addAmounts, addDecimal, applyAffiliateStats, applyMerchantStats } from "./liveStats";

const EUR = (amount: string) => ({ amount, currency: "EUR" });

describe("live deltas", () => {
  it("adds decimal strings exactly", () => {
    expect(addDecimal("10.00", "0.25")).toBe("10.25");
    expect(addDecimal("0.1", "0.2")).toBe("0.3");
    expect(addDecimal("1.0133", "-2.00")).toBe("-0.9867");
    expect(addDecimal("1999", "1")).toBe("2000");
    expect(addDecimal("-0.50", "0.50")).toBe("0.00");
  });

  it("adds amounts per currency", () => {
    expect(addAmounts([EUR("1.00")], [EUR("2.50"), { amount: "3", currency: "JPY" }])).toEqual([EUR("3.50"), { amount: "3", currency: "JPY" }]);
  });

  it("replaces the counters on a snapshot and adds a delta to them", () => {
    const snapshot = { clicks: 4, uniqueClicks: 2, conversions: 1, earnings: EUR("10.00"), isSnapshot: true, delta: null };
    const shown = applyAffiliateStats(null, snapshot);
    const change = { clicks: 1, uniqueClicks: 1, conversions: 1, earnings: EUR("5.00"), links: [] };
    // The message's own totals are ignored on a delta: the page applies what changed.
    const after = applyAffiliateStats(shown, { ...snapshot, clicks: 99, isSnapshot: false, delta: change });

    expect(after).toEqual({ clicks: 5, uniqueClicks: 3, conversions: 2, earnings: EUR("15.00") });
    expect(applyAffiliateStats(after, { ...snapshot, clicks: 7 })).toEqual({ ...shown, clicks: 7 });
  });

  it("applies a merchant's deltas, currencies included", () => {
    const snapshot = { clicks: 1, uniqueClicks: 1, conversions: 0, revenue: [EUR("0.00")], commissions: [EUR("0.00")], isSnapshot: true, delta: null };
    const shown = applyMerchantStats(null, snapshot);
    const change = { clicks: 0, uniqueClicks: 0, conversions: 1, revenue: [EUR("80.00")], commissions: [EUR("16.00")] };

    expect(applyMerchantStats(shown, { ...snapshot, isSnapshot: false, delta: change })).toEqual({
      clicks: 1,
      uniqueClicks: 1,
      conversions: 1,
      revenue: [EUR("80.00")],
      commissions: [EUR("16.00")],
    });
  });
});
