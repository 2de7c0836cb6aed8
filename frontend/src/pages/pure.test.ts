import { describe, expect, it } from "vitest";

import { rulesInput } from "./admin/ProgramSettings";
import { safeNext } from "./auth/Login";
import { compact, trackingUrl } from "./affiliate/links";
import { fillBuckets } from "./affiliate/LinkDetail";
import { compareDecimals } from "./public/programs";

describe("helpers", () => {
  it("compares decimals exactly", () => {
    expect(compareDecimals("30", "25.5")).toBeGreaterThan(0);
    expect(compareDecimals("9.99", "10")).toBeLessThan(0);
    expect(compareDecimals("20.10", "20.1")).toBe(0);
  });

  it("never sends a signed-in user to another site", () => {
    expect(safeNext("/wallet?x=1")).toBe("/wallet?x=1");
    expect(safeNext("//evil.example.com")).toBeNull();
    expect(safeNext("https://evil.example.com")).toBeNull();
    expect(safeNext(null)).toBeNull();
  });

  it("builds tracking URLs with sub-ids", () => {
    expect(trackingUrl("https://nova.example.com/r/abc", { sub1: "ig", sub2: " ", utm_campaign: "spring" })).toBe(
      "https://nova.example.com/r/abc?sub1=ig&utm_campaign=spring",
    );
    expect(compact({ sub1: "", sub2: " x " })).toEqual({ sub2: "x" });
    expect(compact({ sub1: "" })).toBeNull();
  });

  it("fills the days without clicks", () => {
    const since = new Date("2026-01-01T10:00:00Z");
    const until = new Date("2026-01-04T09:00:00Z");
    const buckets = fillBuckets([{ bucket: "2026-01-02T00:00:00+00:00", clicks: 4, uniqueClicks: 3, conversions: 1 }], since, until, "DAY");
    expect(buckets.map((bucket) => [bucket.key, bucket.clicks])).toEqual([
      ["2026-01-01", 0],
      ["2026-01-02", 4],
      ["2026-01-03", 0],
      ["2026-01-04", 0],
    ]);
  });

  it("checks whole numbers before sending the program's rules", () => {
    const form = {
      name: "P",
      description: "",
      landingUrl: "https://shop.example.com/",
      allowedDomains: "a.example.com\nb.example.com, c.example.com",
      isActive: true,
      autoApprove: true,
      commissionKind: "PERCENTAGE" as const,
      flatAmount: "0",
      perClickAmount: "0",
      recurringMode: "NONE" as const,
      recurringMonths: "0",
      cascadeRates: "10, 5,5",
      holdDays: "thirty",
      cookieWindowDays: "30",
      attributionModel: "LAST_CLICK" as const,
      minimumWithdrawal: "10,00",
      maxOrderValue: "10000,00",
      withdrawalMethods: ["PAYPAL" as const],
    };
    expect(rulesInput(form, "whole")).toEqual({ errors: [{ field: "holdDays", code: "INVALID", message: "whole" }] });
    const built = rulesInput({ ...form, holdDays: "30" }, "whole");
    expect("input" in built && built.input).toMatchObject({
      allowedDomains: ["a.example.com", "b.example.com", "c.example.com"],
      cascadeRates: ["10", "5.5"],
      holdDays: 30,
      minimumWithdrawal: "10.00",
      maxOrderValue: "10000.00",
    });
  });
});

describe("analytics and page views", () => {
  it("asks for whole UTC days, today included", async () => {
    const { periodBounds } = await import("./analytics/Analytics");
    expect(periodBounds(7, new Date("2026-03-10T15:30:00Z"))).toEqual({
      from: "2026-03-04T00:00:00.000Z",
      to: "2026-03-11T00:00:00.000Z",
    });
  });

  it("sends a beacon the collector accepts, the outside referrer only once", async () => {
    const { pageViewBody } = await import("../api/pageviews");
    Object.defineProperty(document, "referrer", { value: "https://www.google.com/", configurable: true });
    const first = JSON.parse(pageViewBody("/program"));
    const second = JSON.parse(pageViewBody("/faq"));
    expect(first.path).toBe("/program");
    expect(first.referrer).toBe("https://www.google.com/");
    expect(second.referrer).toBe("");
    expect(first.sessionId).toMatch(/^[A-Za-z0-9_-]{16,64}$/);
    expect(second.sessionId).toBe(first.sessionId);
    expect(first.screen).toMatch(/^\d+x\d+$/);
  });
});
