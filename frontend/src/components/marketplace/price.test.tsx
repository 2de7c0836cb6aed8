import { act, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { I18nProvider, type Language } from "../../i18n";
import { Countdown, formatTimeLeft, timeLeft } from "./countdown";
import { compareDecimal, discountLabel, isReduced, PriceTag, timesQuantity, wholeDiscount } from "./price";
import { starFill } from "./Stars";

const eur = (amount: string) => ({ amount, currency: "EUR" });

function renderIn(language: Language, node: React.ReactNode) {
  return render(<I18nProvider defaultLanguage={language}>{node}</I18nProvider>);
}

describe("prices and discounts", () => {
  it("shows the saving in whole percent, rounded down, and nothing without a saving", () => {
    expect(wholeDiscount("35.99")).toBe(35);
    expect(wholeDiscount("0.50")).toBeNull();
    expect(wholeDiscount("0")).toBeNull();
    expect(discountLabel("40.00", "en")).toBe("−40%");
    expect(discountLabel("40.00", "fr")).toBe("−40 %");
    expect(discountLabel("0.00", "fr")).toBeNull();
  });

  it("compares and multiplies decimal strings exactly", () => {
    expect(compareDecimal("100.00", "99.99")).toBe(1);
    expect(compareDecimal("9.9", "10")).toBe(-1);
    expect(compareDecimal("10.50", "10.5")).toBe(0);
    expect(isReduced(eur("59.00"), eur("59.00"))).toBe(false);
    expect(timesQuantity("19.99", 3)).toBe("59.97");
    expect(timesQuantity("0.10", 3)).toBe("0.30");
    expect(timesQuantity("299", 2)).toBe("598");
    expect(timesQuantity("0.01", 0)).toBe("0.00");
  });

  it("strikes the original price through and badges the discount", () => {
    renderIn("en", <PriceTag price={eur("59.00")} originalPrice={eur("99.00")} discountPercent="40.40" />);
    const tag = screen.getByTestId("price-tag");
    expect(tag.querySelector(".price-now")?.textContent).toBe("€59.00");
    const struck = tag.querySelector("s.price-was");
    expect(struck?.textContent).toBe("Original price €99.00");
    expect(screen.getByTestId("discount-badge").textContent).toBe("Saving −40%");
  });

  it("formats in the visitor's language and currency", () => {
    renderIn("fr", <PriceTag price={{ amount: "1290.00", currency: "MAD" }} originalPrice={{ amount: "1990.00", currency: "MAD" }} discountPercent="35.17" />);
    const tag = screen.getByTestId("price-tag");
    expect(tag.querySelector(".price-now")?.textContent?.replace(/\s/g, " ")).toBe("1 290,00 MAD");
    expect(screen.getByTestId("discount-badge").textContent).toBe("Remise −35 %");
  });

  it("shows a plain price when there is no saving", () => {
    renderIn("en", <PriceTag price={eur("20.00")} originalPrice={eur("20.00")} discountPercent="0.00" />);
    expect(screen.getByTestId("price-tag").querySelector("s")).toBeNull();
    expect(screen.queryByTestId("discount-badge")).toBeNull();
  });

  it("fills the stars by the average", () => {
    expect(starFill("4.50")).toBe(90);
    expect(starFill(0)).toBe(0);
    expect(starFill("7")).toBe(100);
  });
});

describe("the countdown", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("splits the time left into days, hours, minutes and seconds", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    const left = timeLeft("2026-01-03T04:05:06Z", now);
    expect(left).toMatchObject({ days: 2, hours: 4, minutes: 5, seconds: 6 });
    expect(formatTimeLeft(left, "d")).toBe("2 d 04:05:06");
    expect(formatTimeLeft(timeLeft("2026-01-01T00:00:09Z", now), "j")).toBe("00:00:09");
    expect(timeLeft("2025-12-31T00:00:00Z", now).total).toBe(0);
  });

  it("ticks every second and says when the deal has ended", () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date("2026-01-01T00:00:00Z"));
    renderIn("en", <Countdown expiresAt="2026-01-01T00:00:02Z" />);
    expect(screen.getByRole("timer").textContent).toBe("00:00:02");
    act(() => {
      vi.advanceTimersByTime(1000);
    });
    expect(screen.getByRole("timer").textContent).toBe("00:00:01");
    act(() => {
      vi.advanceTimersByTime(1000);
    });
    expect(screen.getByTestId("countdown").dataset.ended).toBe("true");
    expect(screen.getByTestId("countdown").textContent).toBe("This deal has ended.");
  });

  it("counts in days in French", () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date("2026-01-01T00:00:00Z"));
    renderIn("fr", <Countdown expiresAt="2026-01-04T01:00:00Z" />);
    expect(screen.getByTestId("countdown").textContent).toBe("Se termine dans 3 j 01:00:00");
  });
});
